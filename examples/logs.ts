// Read a container's output line by line, stdout and stderr told apart.
import { Docker } from '../src/index.js';

const image = process.argv[2] ?? 'busybox:latest';
const docker = Docker.fromEnv();
const { Id } = await docker.containers.create(
  { Image: image, Cmd: ['sh', '-c', 'echo one; echo two >&2; echo three'], HostConfig: { NetworkMode: 'none' } },
  { name: 'berth-example-logs' },
);
try {
  await docker.containers.start(Id);
  // follow: the lines as they come, until the container stops
  for await (const { stream, line } of docker.containers.logLines(Id, { follow: true, stdout: true, stderr: true })) {
    console.log(`${stream}: ${line}`);
  }
} finally {
  await docker.containers.remove(Id, { force: true });
  await docker.close();
}
