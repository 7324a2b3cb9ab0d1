// Give up on a call with an AbortSignal: here, waiting for a container that does not end.
import { Docker, DockerAbortError } from '../src/index.js';

const image = process.argv[2] ?? 'busybox:latest';
const docker = Docker.fromEnv();
const { Id } = await docker.containers.create(
  { Image: image, Cmd: ['sleep', '300'], HostConfig: { NetworkMode: 'none', Init: true } },
  { name: 'berth-example-cancellation' },
);
try {
  await docker.containers.start(Id);
  await docker.containers.wait(Id, { signal: AbortSignal.timeout(500) });
} catch (err) {
  if (!(err instanceof DockerAbortError)) throw err;
  console.log(`${err.name}: ${err.message}`);
  console.log(`reason: ${err.reason instanceof Error ? err.reason.name : String(err.reason)}`);
} finally {
  await docker.containers.remove(Id, { force: true });
  await docker.close();
}
