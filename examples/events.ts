// The engine's events about one container, read back from the moment it was created.
import { Docker } from '../src/index.js';

const image = process.argv[2] ?? 'busybox:latest';
const docker = Docker.fromEnv();
try {
  const { Id } = await docker.containers.create(
    { Image: image, Cmd: ['true'], Labels: { example: 'events' }, HostConfig: { NetworkMode: 'none' } },
    { name: 'berth-example-events' },
  );
  const { Created } = await docker.containers.inspect(Id);
  await docker.containers.start(Id);
  await docker.containers.wait(Id);
  await docker.containers.remove(Id);
  // since: the past is sent first, then the stream follows; break ends it quietly
  for await (const e of docker.events({ since: Created, filters: { type: ['container'], label: ['example=events'] } })) {
    console.log(`${e.Action ?? '?'} ${e.Actor?.Attributes?.name ?? ''}`);
    if (e.Action === 'destroy' || e.Action === 'remove') break;   // dockerd says destroy, podman remove
  }
} finally {
  await docker.close();
}
