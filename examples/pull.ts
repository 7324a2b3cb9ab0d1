// Pull an image with its progress, and learn which digest it was.
import { Docker } from '../src/index.js';

const reference = process.argv[2] ?? 'busybox:latest';
const docker = Docker.fromEnv();
try {
  const pulled = await docker.images.pull(reference, {
    onProgress: (m) => {
      // one line per change of a layer's status; the byte counts in between are left out
      if (m.status !== undefined && m.progressDetail?.current === undefined) console.log(`${m.id !== undefined ? `${m.id}: ` : ''}${m.status}`);
    },
  });
  console.log(`pulled ${pulled.image}, ${pulled.digest ?? 'no digest'}`);
  const { RepoDigests = [] } = await docker.images.inspect(reference);
  console.log(`the engine has it as ${RepoDigests.join(', ')}`);
} finally {
  await docker.close();
}
