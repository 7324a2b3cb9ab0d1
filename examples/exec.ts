// Run commands in a running container, as `docker exec` does: input in, exit code and output back.
import { Docker } from '../src/index.js';

const image = process.argv[2] ?? 'busybox:latest';
const docker = Docker.fromEnv();
const { Id } = await docker.containers.create(
  { Image: image, Cmd: ['sleep', '300'], HostConfig: { NetworkMode: 'none', Init: true } },
  { name: 'berth-example-exec' },
);
try {
  await docker.containers.start(Id);
  const count = await docker.containers.exec(Id, ['wc', '-l'], { stdin: 'a\nb\nc\n' });
  console.log(`wc -l: exit ${count.exitCode}, ${count.stdout.toString().trim()} lines`);
  const failing = await docker.containers.exec(Id, ['sh', '-c', 'echo not there >&2; exit 2'], { workingDir: '/tmp' });
  console.log(`exit ${failing.exitCode}, stderr: ${failing.stderr.toString().trim()}`);
} finally {
  await docker.containers.remove(Id, { force: true });
  await docker.close();
}
