// Connect to the engine the docker CLI would use, and say which one it is.
import { Docker } from '../src/index.js';

const docker = Docker.fromEnv();
try {
  const ping = await docker.ping();                   // negotiates the API version
  const version = await docker.version();
  console.log(`endpoint from ${docker.endpoint.source}`);
  console.log(`engine ${version.Version} on ${ping.osType ?? '?'}, API ${docker.apiVersion ?? '?'}`);
} finally {
  await docker.close();
}
