import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerConnectionError, DockerLatentWorker, LatentWorkerError, type BuildWithProperties } from '../../src/index.js';
import { ownedContainers, removeOwned } from '../helpers/docker-worker.js';
import { dockerFor, engineOr } from '../helpers/engines.js';

/**
 * A latent worker whose engine is a TCP endpoint with mutual TLS, given the
 * way Buildbot's options give it: `dockerHost` plus `tls` (a certificate
 * directory, or the PEM contents). The worker makes its own client from
 * them, starts and removes a container over TLS, and one with the wrong
 * client certificate fails its start with the TLS refusal as the cause.
 */

const MASTER = 'berth-it:/docker-worker-tls';

t.test('a worker on a mutual-TLS engine', async (t) => {
  const engine = engineOr(t, 'dockerd-tls');
  if (!engine?.certs) return;
  const certs = engine.certs;
  const docker = dockerFor(t, engine);
  await removeOwned(docker, MASTER);
  t.teardown(() => removeOwned(docker, MASTER));
  const common = { masterId: MASTER, dockerHost: engine.host, image: engine.image, readiness: 'running' as const, command: ['sleep', '600'], hostconfig: { NetworkMode: 'none' } };

  for (const [how, tls] of [
    ['a certificate directory', { certPath: join(certs, 'client') }],
    ['PEM contents', { ca: readFileSync(join(certs, 'client', 'ca.pem')), cert: readFileSync(join(certs, 'client', 'cert.pem')), key: readFileSync(join(certs, 'client', 'key.pem')) }],
  ] as const) {
    await t.test(how, async (t) => {
      const worker = new DockerLatentWorker<BuildWithProperties>({ ...common, name: 'tls_worker', tls });
      t.teardown(() => worker.shutdown());
      await worker.substantiate();
      const [id] = await ownedContainers(docker, MASTER);
      t.ok(id !== undefined && (await docker.containers.inspect(id)).State?.Running === true, 'its container runs on the TLS engine');
      await worker.insubstantiate();
      t.same(await ownedContainers(docker, MASTER), [], 'and is removed');
    });
  }

  await t.test('a client certificate the engine does not trust', async (t) => {
    const rogue = (f: string): Buffer => readFileSync(join(certs, 'rogue', f));
    const worker = new DockerLatentWorker<BuildWithProperties>({
      ...common, name: 'tls_rogue', tls: { ca: readFileSync(join(certs, 'ca.pem')), cert: rogue('cert.pem'), key: rogue('key.pem') },
    });
    t.teardown(() => worker.shutdown());
    const error = await worker.substantiate().then(() => undefined, (e: unknown) => e);
    t.type(error, LatentWorkerError, 'the start fails');
    t.type((error as Error).cause, DockerConnectionError, 'because the engine refused the certificate');
    t.same(await ownedContainers(docker, MASTER), [], 'nothing was created');
  });
});
