import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import t from 'tap';
import { Docker, DockerLatentWorker, EnginePool, ownedByFilter, type EnginePoolEvent } from '../../src/index.js';
import { engineOr } from '../helpers/engines.js';
import { pollUntil } from '../helpers/swarm.js';
import { engineSh } from '../helpers/private-engine.js';

/**
 * A pool of two private dockerds, one of which is killed (-9, by its pid)
 * while workers run on both: the builds that follow still get workers, on
 * the other engine; the dead engine is marked down, and up again once it is
 * restarted; the pool's reaper then removes what the dead engine kept, and
 * no container of the test master is left on either.
 */

const MASTER = 'berth-test:/pool';

t.test('a pool of two engines, one killed mid-run', async (t) => {
  if (!engineOr(t, 'dockerd-20.10')) return;
  const dir = mkdtempSync('/tmp/bpl-');
  const clients: Docker[] = [];
  let pool: EnginePool | undefined;
  const workers: DockerLatentWorker[] = [];
  try {
    const [hostA, hostB] = await Promise.all([engineSh('start', 'dockerd', `${dir}/a`), engineSh('start', 'dockerd', `${dir}/b`)]);
    await Promise.all([engineSh('image', `${dir}/a/docker.sock`), engineSh('image', `${dir}/b/docker.sock`)]);
    const a = new Docker({ host: hostA, env: {}, timeout: 5000 });
    const b = new Docker({ host: hostB, env: {}, timeout: 5000 });
    clients.push(a, b);
    pool = new EnginePool({ engines: [{ name: 'a', docker: a, maxWorkers: 4 }, { name: 'b', docker: b, maxWorkers: 4 }], healthCheckInterval: 0.5, healthCheckTimeout: 2 });
    const events: EnginePoolEvent[] = [];
    pool.on('event', (e) => events.push(e));
    const worker = (name: string): DockerLatentWorker => {
      const w = new DockerLatentWorker({
        name, masterId: MASTER, pool: pool as EnginePool, image: 'busybox:test', command: ['sleep', '300'], readiness: 'running',
        hostconfig: { NetworkMode: 'none' }, stopTimeout: 0, masterFQDN: '127.0.0.1:9989', quarantineInitialTimeout: 0,
      });
      workers.push(w);
      return w;
    };
    const w1 = worker('p1');
    const w2 = worker('p2');
    await Promise.all([w1.substantiate(), w2.substantiate()]);
    t.same(pool.engines.map((e) => e.workers), [1, 1], 'least busy: one worker per engine');
    const onA = [w1, w2].find((w) => w.instance?.description?.includes(`${dir}/a/`) === true);
    t.ok(onA, 'one worker runs on engine a');

    // engine a dies
    process.kill(Number(readFileSync(`${dir}/a/pid`, 'utf8')), 'SIGKILL');
    const down = await pollUntil(async () => pool?.engines.find((e) => e.name === 'a')?.up, (up) => up === false, 100, 100);
    t.ok(down.met, 'the health check took engine a out');
    t.match(events.find((e) => e.type === 'engine-down'), { engine: 'a' });
    await onA?.insubstantiate();
    t.equal(onA?.pendingCleanups.length, 1, 'its container waits for the engine to come back');

    // the builds go on: three more workers, all on b
    const more = [worker('p3'), worker('p4'), worker('p5')];
    await Promise.all(more.map((w) => w.substantiate()));
    for (const w of more) t.match(w.instance?.description, `${dir}/b/`, `${w.name} runs on b`);
    t.same(pool.engines.map((e) => [e.name, e.up, e.workers]), [['a', false, 0], ['b', true, 4]]);

    // a comes back
    await engineSh('start', 'dockerd', `${dir}/a`);
    const up = await pollUntil(async () => pool?.engines.find((e) => e.name === 'a')?.up, (u) => u === true, 200, 100);
    t.ok(up.met, 'engine a is back in the pool');
    t.match(events.filter((e) => e.type === 'engine-up'), [{ engine: 'a' }]);
    const p6 = worker('p6');
    await p6.substantiate();
    t.match(p6.instance?.description, `${dir}/a/`, 'the next start goes to the engine that came back (the least busy)');

    for (const w of workers) await w.shutdown();
    const reaped = await pool.reapOrphans(MASTER);
    t.same(reaped.map((r) => [r.engine, r.error === undefined]), [['a', true], ['b', true]], 'both engines swept');
    for (const docker of [a, b]) t.same(await docker.containers.list({ all: true, filters: ownedByFilter(MASTER) }), [], `no container left on ${docker.endpoint.url}`);
  } finally {
    await Promise.all(workers.map((w) => w.shutdown().catch(() => undefined)));
    pool?.close();
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(['a', 'b'].map((n) => engineSh('stop', `${dir}/${n}`).catch((err: unknown) => t.fail(`stopping ${n}: ${String(err)}`))));
    rmSync(dir, { recursive: true, force: true });
  }
});
