import t from 'tap';
import { DEMO_IMAGE, DEMO_IMAGE_LABEL } from '../../src/cli/demo/plan.js';
import { provideWorkerImage } from '../../src/cli/demo/worker-image.js';
import { createRenderer } from '../../src/cli/progress/index.js';
import { dockerFor, engineOr } from '../helpers/engines.js';

/**
 * The demo's worker image on a host without a static busybox: built FROM
 * the busybox image the engine has, still with no registry, and a worker
 * shell in it.
 */

t.test('no busybox on the host: FROM the engine\'s busybox image', async (t) => {
  const engine = engineOr(t, 'dockerd-20.10');
  if (!engine) return;
  const docker = dockerFor(t, engine);
  await docker.images.remove(DEMO_IMAGE).catch(() => undefined);
  t.teardown(() => docker.images.remove(DEMO_IMAGE).catch(() => undefined));
  let shown = '';
  const progress = createRenderer({ stream: { write: (s: string) => { shown += s; } }, mode: 'plain' });
  const image = await provideWorkerImage({
    docker, progress, signal: new AbortController().signal, now: () => Date.now(), replaying: false, busybox: '/nonexistent/busybox',
  });
  progress.end();
  t.match(image, { name: DEMO_IMAGE, built: true, base: engine.image });
  t.match(shown, new RegExp(`^Step 1/\\d+ : FROM ${engine.image}$`, 'm'), 'the build shown, from the engine\'s busybox');
  const inspect = await docker.images.inspect(DEMO_IMAGE);
  t.equal(inspect.Config?.Labels?.[DEMO_IMAGE_LABEL], 'worker', 'labelled as the demo\'s');
  const { Id } = await docker.containers.create({ Image: DEMO_IMAGE, Cmd: ['sh', '-c', 'cat /etc/motd; command -v nc'], HostConfig: { NetworkMode: 'none' } });
  t.teardown(() => docker.containers.remove(Id, { force: true }));
  const waiter = await docker.containers.waiter(Id, { condition: 'next-exit' });
  await docker.containers.start(Id);
  t.equal((await waiter.result).StatusCode, 0);
  t.equal((await docker.containers.logsBuffer(Id)).stdout.toString(), 'berth demo worker\nnc\n', 'sh and nc are there (nc a busybox builtin)');

  const again = await provideWorkerImage({
    docker, progress: createRenderer({ stream: { write: () => true }, mode: 'quiet' }), signal: new AbortController().signal,
    now: () => Date.now(), replaying: false, busybox: '/nonexistent/busybox',
  });
  t.match(again, { built: false }, 'found the second time, not rebuilt');
});
