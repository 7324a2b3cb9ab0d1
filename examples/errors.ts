// What failures look like: typed errors with the engine's own message.
import { ConflictError, Docker, DockerApiError, NotFoundError } from '../src/index.js';

const image = process.argv[2] ?? 'busybox:latest';
const docker = Docker.fromEnv();
try {
  await docker.containers.inspect('berth-example-nowhere');
} catch (err) {
  if (!(err instanceof NotFoundError)) throw err;
  console.log(`${err.name} ${err.statusCode} (${err.code}): ${err.engineMessage}`);
}
const spec = { Image: image, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } };
const { Id } = await docker.containers.create(spec, { name: 'berth-example-errors' });
try {
  await docker.containers.create(spec, { name: 'berth-example-errors' });
} catch (err) {
  if (!(err instanceof ConflictError)) throw err;
  console.log(`${err.name} ${err.statusCode} on ${err.method} ${err.path}`);
  console.log(`a DockerApiError: ${String(err instanceof DockerApiError)}`);
} finally {
  await docker.containers.remove(Id);
  await docker.close();
}
