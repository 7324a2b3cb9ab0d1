// Build an image from a Dockerfile given as text, showing the steps as they run.
import { Docker } from '../src/index.js';

const base = process.argv[2] ?? 'busybox:latest';
const docker = Docker.fromEnv();
try {
  const build = docker.images.build({
    dockerfileContent: `FROM ${base}\nRUN echo "built by berth" > /motd\nCMD ["cat", "/motd"]\n`,
    tag: 'berth-example-build:latest',
    networkMode: 'none',                                // the RUN step needs no network
  });
  for await (const event of build) {
    if (event.type === 'step') console.log(`step ${event.step}/${event.total ?? '?'}: ${event.instruction}`);
  }
  const { id, tags } = await build;                     // the same build: its result
  console.log(`built ${tags.join(', ')} (${id.slice(0, 19)})`);
  await docker.images.remove('berth-example-build:latest');
} finally {
  await docker.close();
}
