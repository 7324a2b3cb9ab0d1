import t from 'tap';
import {
  Docker, DockerAbortError, DockerConnectionError, EnginePool, EnginePoolError, ManualClock, WorkerConfigError, isUnreachable, place,
  type CallOptions, type EngineLease, type EngineLoad, type EnginePoolEvent, type PingResult, type PoolEngineOptions,
} from '../../src/index.js';

/**
 * The engine pool with fake engines (clients whose ping the test answers)
 * on a manual clock: placement by load and labels, limits, waiting starts,
 * health checks that take engines out and put them back.
 */

/** A client whose `/_ping` answers as the test says: ok, refused, or never. */
class FakeEngine extends Docker {
  answer: 'ok' | 'refused' | 'hang' = 'ok';
  pings = 0;

  constructor() {
    super({ host: 'unix:///nonexistent/berth-fake.sock', env: {}, apiVersion: '1.43' });
  }

  override ping(options: CallOptions = {}): Promise<PingResult> {
    this.pings++;
    if (this.answer === 'ok') return Promise.resolve({ apiVersion: '1.43' } as PingResult);
    if (this.answer === 'refused') return Promise.reject(new DockerConnectionError('connect ECONNREFUSED', { endpoint: 'unix:///nonexistent', syscallCode: 'ECONNREFUSED' }));
    return new Promise((_, reject) => options.signal?.addEventListener('abort', () => reject(new DockerAbortError(options.signal?.reason))));
  }
}

function pool(engines: ReadonlyArray<Partial<PoolEngineOptions> & { name: string }>, extra: { healthCheckInterval?: number | null } = {}) {
  const clock = new ManualClock();
  const fakes = new Map<string, FakeEngine>();
  const p = new EnginePool({
    clock, healthCheckInterval: extra.healthCheckInterval === undefined ? null : extra.healthCheckInterval, healthCheckTimeout: 5,
    engines: engines.map((e) => {
      const docker = new FakeEngine();
      fakes.set(e.name, docker);
      return { docker, ...e };
    }),
  });
  const events: EnginePoolEvent[] = [];
  p.on('event', (e) => events.push(e));
  t.teardown(async () => {
    p.close();
    await Promise.all([...fakes.values()].map((d) => d.close()));
  });
  return { p, clock, fakes, events };
}

const acquire = (p: EnginePool, worker: string, extra: Partial<Parameters<EnginePool['acquire']>[0]> = {}): Promise<EngineLease> =>
  p.acquire({ worker, ...extra });

t.test('least busy: equal engines take turns; a released slot is taken first', async (t) => {
  const { p, events } = pool([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
  const leases = [];
  for (const w of ['w1', 'w2', 'w3', 'w4']) leases.push(await acquire(p, w));
  t.same(leases.map((l) => l.engine), ['a', 'b', 'c', 'a'], 'one each, then the least recently picked');
  leases[1]?.started();
  leases[1]?.release();
  t.equal((await acquire(p, 'w5')).engine, 'b', 'the engine with a free slot');
  t.same(p.engines.map((e) => [e.name, e.workers]), [['a', 2], ['b', 1], ['c', 1]]);
  t.same(events.filter((e) => e.type === 'placed').map((e) => e.type === 'placed' ? `${e.worker}@${e.engine}:${e.workers}` : ''),
    ['w1@a:1', 'w2@b:1', 'w3@c:1', 'w4@a:2', 'w5@b:1']);
  t.ok(events.some((e) => e.type === 'released' && e.worker === 'w2' && e.engine === 'b'));
  leases[1]?.release();
  t.equal(p.engines.find((e) => e.name === 'b')?.workers, 1, 'a second release is ignored');
});

t.test('weights: a bigger engine takes proportionally more', async (t) => {
  const { p } = pool([{ name: 'small' }, { name: 'big', weight: 3 }]);
  const got = [];
  for (let i = 0; i < 8; i++) got.push((await acquire(p, `w${i}`)).engine);
  t.equal(got.filter((e) => e === 'big').length, 6);
  t.equal(got.filter((e) => e === 'small').length, 2);
});

t.test('labels: a worker that requires labels gets an engine carrying them, or none', async (t) => {
  const { p, events } = pool([{ name: 'x86', labels: { arch: 'amd64' } }, { name: 'arm', labels: { arch: 'arm64', ssd: 'yes' } }]);
  t.equal((await acquire(p, 'w1', { requireLabels: { arch: 'arm64' } })).engine, 'arm');
  t.equal((await acquire(p, 'w2', { requireLabels: { arch: 'arm64', ssd: 'yes' } })).engine, 'arm', 'busier, but the only match');
  t.equal((await acquire(p, 'w3')).engine, 'x86', 'no requirement: the least busy');
  const err = await acquire(p, 'w4', { requireLabels: { arch: 'riscv64' } }).catch((e: unknown) => e);
  t.type(err, EnginePoolError);
  t.match((err as Error).message, /no engine for worker "w4": no engine of the pool has the labels arch=riscv64/);
  t.ok(events.some((e) => e.type === 'unplaced' && e.worker === 'w4'));
});

t.test('limits: a start waits for a worker slot, and for a start slot', async (t) => {
  const { p, events, clock } = pool([{ name: 'a', maxWorkers: 2, maxConcurrentStarts: 1 }]);
  const first = await acquire(p, 'w1');
  let second: EngineLease | undefined;
  void acquire(p, 'w2').then((l) => { second = l; });
  await clock.flush();
  t.equal(second, undefined, 'one start at a time');
  t.match(events.at(-1), { type: 'waiting', worker: 'w2', reason: /at its limit \(a\)/ });
  first.started();
  await clock.flush();
  t.equal(second?.engine, 'a', 'the start slot came free');
  second?.started();
  let third: EngineLease | undefined;
  void acquire(p, 'w3').then((l) => { third = l; });
  await clock.flush();
  t.equal(third, undefined, 'two workers at most');
  first.release();
  await clock.flush();
  t.equal(third?.engine, 'a', 'a worker slot came free');
  t.same(p.engines[0], { name: 'a', up: true, labels: {}, workers: 2, starting: 1, maxWorkers: 2, maxConcurrentStarts: 1 });
});

t.test('a waiting start can be cancelled; closing the pool rejects the others', async (t) => {
  const { p, clock } = pool([{ name: 'a', maxWorkers: 1 }]);
  await acquire(p, 'w1');
  const abort = new AbortController();
  const cancelled = acquire(p, 'w2', { signal: abort.signal });
  const closed = acquire(p, 'w3');
  abort.abort();
  await t.rejects(cancelled, DockerAbortError);
  await clock.flush();
  p.close();
  await t.rejects(closed, EnginePoolError);
  await t.rejects(acquire(p, 'w4'), { message: /closed/ });
});

t.test('health: an engine that stops answering is taken out, and put back when it answers', async (t) => {
  const { p, clock, fakes, events } = pool([{ name: 'a' }, { name: 'b' }], { healthCheckInterval: 10 });
  const a = fakes.get('a') as FakeEngine;
  await clock.advance(10_000);
  t.equal(a.pings, 1, 'pinged every interval on the clock');
  a.answer = 'refused';
  await clock.advance(10_000);
  t.match(events.at(-1), { type: 'engine-down', engine: 'a', reason: /ECONNREFUSED/, at: 20_000 });
  t.equal((await acquire(p, 'w1')).engine, 'b');
  t.equal((await acquire(p, 'w2')).engine, 'b', 'even when busier');
  a.answer = 'hang';
  await clock.advance(10_000);
  t.equal(events.filter((e) => e.type === 'engine-down').length, 1, 'still down: no new event');
  a.answer = 'ok';
  await clock.advance(5_000);
  t.equal(a.pings, 3, 'the hanging ping was given up after its timeout; the next waits for the interval');
  await clock.advance(10_000);
  t.match(events.at(-1), { type: 'engine-up', engine: 'a', at: 45_000 });
  t.equal((await acquire(p, 'w3')).engine, 'a');
});

t.test('health: a ping without an answer counts as down after the timeout', async (t) => {
  const { clock, fakes, events } = pool([{ name: 'a' }], { healthCheckInterval: 10 });
  (fakes.get('a') as FakeEngine).answer = 'hang';
  await clock.advance(14_999);
  t.equal(events.length, 0);
  await clock.advance(1);
  t.match(events, [{ type: 'engine-down', engine: 'a', reason: /no answer to a ping within 5000 ms/ }]);
});

t.test('a start that cannot reach its engine marks it down; the retry excludes it; a waiting start learns there is none', async (t) => {
  const { p, events, clock } = pool([{ name: 'a', maxWorkers: 1 }, { name: 'b', maxWorkers: 1 }]);
  const onB = await acquire(p, 'holder', { exclude: new Set(['a']) });
  t.equal(onB.engine, 'b');
  const first = await acquire(p, 'w1');
  t.equal(first.engine, 'a');
  const refused = new DockerConnectionError('connect ECONNREFUSED /run/a.sock', { endpoint: 'unix:///run/a.sock' });
  t.ok(isUnreachable(new Error('wrapped', { cause: refused })), 'found in the causes');
  t.notOk(isUnreachable(new Error('other')));
  let waiting: Promise<unknown> | undefined;
  waiting = acquire(p, 'w2').catch((e: unknown) => e);
  await clock.flush();
  first.unreachable(refused);
  first.release();
  t.match(events.find((e) => e.type === 'engine-down'), { engine: 'a', reason: /ECONNREFUSED/ });
  onB.release();
  t.equal(((await waiting) as EngineLease).engine, 'b', 'the waiting start gets the engine that is up');
  const err = await acquire(p, 'w1', { exclude: new Set(['b']) }).catch((e: unknown) => e);
  t.match((err as Error).message, /every engine that could take the start is down \(a\)/);
  waiting = undefined;
});

t.test('placement as a pure rule', async (t) => {
  const e = (name: string, extra: Partial<EngineLoad> = {}): EngineLoad => ({
    name, up: true, labels: {}, workers: 0, starting: 0, maxWorkers: undefined, maxStarts: undefined, weight: 1, lastPicked: 0, ...extra,
  });
  t.same(place([]), { kind: 'none', reason: 'no engine of the pool has the labels (none)' });
  t.same(place([e('a', { workers: 2 }), e('b', { workers: 1 })]), { kind: 'engine', engine: 'b' });
  t.same(place([e('a', { workers: 1, starting: 1 }), e('b', { workers: 1 })]), { kind: 'engine', engine: 'b' }, 'fewer starts in flight');
  t.same(place([e('a', { lastPicked: 2 }), e('b', { lastPicked: 1 })]), { kind: 'engine', engine: 'b' }, 'picked less recently');
  t.match(place([e('a', { workers: 1, maxWorkers: 1 })]), { kind: 'wait' });
  t.match(place([e('a', { up: false, workers: 0 }), e('b', { workers: 1, maxWorkers: 1 })]), { kind: 'wait' }, 'an engine at its limit is worth waiting for');
  t.match(place([e('a', { up: false })]), { kind: 'none', reason: /down \(a\)/ });
  t.match(place([e('a')], { exclude: new Set(['a']) }), { kind: 'none', reason: /failed this start already \(a\)/ });
});

t.test('options are checked, every problem at once', async (t) => {
  const docker = new FakeEngine();
  t.teardown(() => docker.close());
  const err = (() => {
    try {
      return new EnginePool({ engines: [{ name: 'a', docker, maxWorkers: 0 }, { name: 'a', docker, weight: -1 }], healthCheckInterval: -1 });
    } catch (e) {
      return e;
    }
  })();
  t.type(err, WorkerConfigError);
  t.same((err as WorkerConfigError).problems.map((x) => x.option), ['engines[0].maxWorkers', 'engines[1].name', 'engines[1].weight', 'healthCheckInterval']);
  t.throws(() => new EnginePool({ engines: [] }), WorkerConfigError);
});
