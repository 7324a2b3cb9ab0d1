import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  builtImageName, isNotFound, reapOrphans, type Docker,
} from '../../src/index.js';
import { nextEvent, ownedContainers, removeOwned, testWorker } from '../helpers/docker-worker.js';
import { dockerFor, engineOr, type EngineName, type TestEngine } from '../helpers/engines.js';

/**
 * A master that crashes: a child process starts its workers' containers
 * (one on an image it built) and is SIGKILLed, leaving them running. A new
 * master with the same `masterId` finds them by label and removes them —
 * with `reapOrphans()` (sparing the containers of its own live workers),
 * or through a worker made with `reapAtFirstStart`.
 */

const MASTER = 'berth-it:/crashed-master';
const CHILD = fileURLToPath(new URL('../helpers/crashing-master.js', import.meta.url));
const ORPHANS = 3;

/** Runs the crashing master until its containers are up, then kills it; resolves with their ids. */
async function crashMaster(t: Test, engine: TestEngine): Promise<string[]> {
  const child = spawn(process.execPath, [CHILD, engine.host, engine.image, MASTER, String(ORPHANS)], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
  const ids = await new Promise<string[]>((resolve, reject) => {
    const bound = setTimeout(() => reject(new Error(`the crashing master did not come up: ${err}`)), 120_000);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const line = /^up (.*)\n/m.exec(out);
      if (line === null) return;
      clearTimeout(bound);
      resolve((line[1] ?? '').split(' '));
    });
    child.once('exit', (code) => { clearTimeout(bound); reject(new Error(`the crashing master exited (${String(code)}): ${err}`)); });
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  return ids;
}

async function removeBuiltImage(docker: Docker): Promise<void> {
  await docker.images.remove(builtImageName('crashed_0', MASTER)).catch((err: unknown) => { if (!isNotFound(err)) throw err; });
}

for (const name of ['dockerd-20.10', 'podman-4.3'] as const satisfies readonly EngineName[]) {
  t.test(`after a master crash, the next master reaps its orphans on ${name}`, async (t) => {
    const engine = engineOr(t, name);
    if (!engine) return;
    const docker = dockerFor(t, engine);
    await removeOwned(docker, MASTER);
    await removeBuiltImage(docker);
    t.teardown(async () => {
      await removeOwned(docker, MASTER);
      await removeBuiltImage(docker);
    });

    await t.test('reapOrphans() removes containers and the built image, and spares live workers', async (t) => {
      const orphans = await crashMaster(t, engine);
      t.equal(orphans.length, ORPHANS);
      const running = await Promise.all(orphans.map(async (id) => (await docker.containers.inspect(id)).State.Running));
      t.same(running, orphans.map(() => true), 'the orphans outlived their master');

      // a worker of the new master, alive in this process: its container is not an orphan
      const live = testWorker(docker, {
        name: 'survivor', masterId: MASTER, image: engine.image, readiness: 'running', command: ['sleep', '600'], hostconfig: { NetworkMode: 'none' },
      });
      t.teardown(() => live.worker.shutdown());
      await live.worker.substantiate();
      const reaped = await reapOrphans({ docker, masterId: MASTER });
      t.same(reaped.containers.map((c) => c.id).sort(), [...orphans].sort(), 'every orphan, found by label');
      t.same(reaped.containers.map((c) => c.state), orphans.map(() => 'running'));
      t.ok(reaped.images.some((i) => i.tags.some((tag) => tag.endsWith(builtImageName('crashed_0', MASTER)))), 'the image the crashed master built');
      t.same([...new Set(reaped.images.map((i) => i.worker))], ['crashed_0'], 'and nothing else');
      t.same(await docker.images.list({ filters: { label: [`berth.master=${MASTER}`] } }), [], 'no image of the master is left');
      t.same(reaped.failures, []);
      t.same(await ownedContainers(docker, MASTER), [live.worker.container?.id], 'only the live worker\'s container is left');
      t.equal(await docker.images.exists(builtImageName('crashed_0', MASTER)), false);
      await live.worker.shutdown();
      t.same(await ownedContainers(docker, MASTER), [], 'zero containers of the master');
    });

    await t.test('a worker made with reapAtFirstStart sweeps before its first start', async (t) => {
      const orphans = await crashMaster(t, engine);
      const { worker } = testWorker(docker, {
        name: 'newcomer', masterId: MASTER, image: engine.image, readiness: 'running', command: ['sleep', '600'],
        hostconfig: { NetworkMode: 'none' }, reapAtFirstStart: true,
      });
      t.teardown(() => worker.shutdown());
      const reap = nextEvent(worker, (e) => e.type === 'step' && e.step === 'reap', 'the reap step');
      await worker.substantiate();
      const step = await reap;
      t.match(step, { type: 'step', detail: { containers: orphans.length, failures: 0 } });
      t.ok(step.type === 'step' && Number(step.detail?.images) >= 1, 'and the built image');
      t.same(await ownedContainers(docker, MASTER), [worker.container?.id], 'only its own container');
      await worker.shutdown();
      t.same(await ownedContainers(docker, MASTER), [], 'zero containers of the master');
    });
  });
}
