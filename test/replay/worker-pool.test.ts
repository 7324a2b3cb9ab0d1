import t from 'tap';
import { Docker, DockerLatentWorker, EnginePool, ManualClock, containerName, type EnginePoolEvent, type LatentWorkerEvent } from '../../src/index.js';
import { EngineScript, SCRIPT_API, containerId } from '../helpers/engine-script.js';
import { TEST_MASTER, scripted, stepDetail, stepsOf } from '../helpers/docker-worker.js';
import { shortTempDir } from '../helpers/tmp.js';

/**
 * A Docker latent worker drawing its engine from a pool: the first two
 * engines chosen are gone (their sockets do not exist: one found so by the
 * version negotiation, one by the start's first request), so the start marks
 * each down and runs on the third engine, a hand-written script of a whole start and stop;
 * the engine goes back to the pool when the container is gone.
 */

const IMAGE = 'busybox:test';

t.test('a start that cannot reach its engine moves to another; the engine is given back at the stop', async (t) => {
  const id = containerId('pooled');
  const s = new EngineScript();
  s.listContainers([]).image(IMAGE, true).create(containerName('w_pool', TEST_MASTER), id);
  const attachEnd = s.attach(id, []);
  const exit = s.wait(id, 0);
  s.start(id);
  s.stop(id);
  exit.after();
  attachEnd.after();
  s.remove(id);
  const dir = shortTempDir(t);
  // one engine found gone by the version negotiation, one (its version pinned) by the first request of the start
  const silent = new Docker({ host: `unix://${dir}/silent.sock`, env: {} });
  const gone = new Docker({ host: `unix://${dir}/gone.sock`, env: {}, apiVersion: SCRIPT_API });
  t.teardown(() => Promise.all([silent.close(), gone.close()]));
  await scripted(t, s, 'a pooled start that moves to the engine that answers', async (live) => {
    const clock = new ManualClock();
    const pool = new EnginePool({ clock, healthCheckInterval: null, engines: [{ name: 'silent', docker: silent }, { name: 'gone', docker: gone }, { name: 'live', docker: live }] });
    const poolEvents: EnginePoolEvent[] = [];
    pool.on('event', (e) => poolEvents.push(e));
    const pooled = { worker: new DockerLatentWorker({ name: 'w_pool', image: IMAGE, readiness: 'running', masterId: TEST_MASTER, masterFQDN: 'master.test:9989', pool, clock }), events: [] as LatentWorkerEvent[] };
    pooled.worker.on('event', (e) => pooled.events.push(e));
    await pooled.worker.substantiate();
    t.same(poolEvents.map((e) => e.type === 'placed' || e.type === 'released' ? `${e.type}:${e.engine}` : e.type),
      ['placed:silent', 'engine-down', 'released:silent', 'placed:gone', 'engine-down', 'released:gone', 'placed:live']);
    t.match(poolEvents[1], { type: 'engine-down', engine: 'silent', reason: /silent\.sock/ });
    t.match(poolEvents[4], { type: 'engine-down', engine: 'gone', reason: /gone\.sock/ });
    t.same(stepsOf(pooled.events), ['render', 'connect!', 'connect', 'stale-cleanup!', 'connect', 'stale-cleanup', 'image-check', 'create', 'attach', 'start', 'ready']);
    t.match(stepDetail(pooled.events, 'connect'), { failed: true, code: 'ERR_DOCKER_CONNECTION' });
    t.same(pool.engines.map((e) => [e.name, e.up, e.workers, e.starting]), [['silent', false, 0, 0], ['gone', false, 0, 0], ['live', true, 1, 0]]);
    t.same(pooled.worker.pendingCleanups, [], 'nothing was made on the engine that is gone');
    await pooled.worker.insubstantiate();
    t.same(pool.engines.map((e) => e.workers), [0, 0, 0], 'the engine was given back');
    t.match(poolEvents.at(-1), { type: 'released', engine: 'live', worker: 'w_pool' });
    await pooled.worker.shutdown();
    pool.close();
  });
});
