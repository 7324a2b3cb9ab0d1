// Run a container to its end, as `docker run` does: create, wait, start, inspect, remove.
import { Docker } from '../src/index.js';

const image = process.argv[2] ?? 'busybox:latest';
const docker = Docker.fromEnv();
const { Id } = await docker.containers.create(
  { Image: image, Cmd: ['sh', '-c', 'echo working; exit 3'], HostConfig: { NetworkMode: 'none' }, Labels: { example: 'containers' } },
  { name: 'berth-example-containers' },
);
try {
  // registered before the start, for the next exit (a created container counts as not running): no exit is missed
  const waiter = await docker.containers.waiter(Id, { condition: 'next-exit' });
  await docker.containers.start(Id);
  const { StatusCode } = await waiter.result;
  const info = await docker.containers.inspect(Id);
  console.log(`${info.Name} exited with ${StatusCode} (state ${info.State.Status})`);
} finally {
  await docker.containers.remove(Id, { force: true });
  await docker.close();
}
