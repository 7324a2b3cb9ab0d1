import t from 'tap';
import type { Test } from 'tap';
import {
  LatentWorkerAttachRefusedError, LatentWorkerIncompatibleBuildError, LatentWorkerShutDownError, LatentWorkerStateError,
  ManualClock, WorkerConfigError, substantiationOutcome, type LatentWorkerOptions,
} from '../../../src/index.js';
import { FakeWorker, track, type FakeBuild } from '../../helpers/fake-worker.js';

/** A fake worker on a manual clock; every test checks the state invariants as it goes. */
function setup(options: Partial<Omit<LatentWorkerOptions, 'clock'>> = {}): { clock: ManualClock; w: FakeWorker } {
  const clock = new ManualClock();
  return { clock, w: new FakeWorker({ clock, ...options }) };
}

function invariants(t: Test, w: FakeWorker, when: string): void {
  t.same(w.invariantViolations(), [], `invariants hold ${when}`);
}

/** Substantiates `w` for `build` all the way: start returns, the worker attaches. */
async function substantiated(clock: ManualClock, w: FakeWorker, build: FakeBuild = { id: 'b1' }): Promise<void> {
  const p = w.substantiate(build);
  await clock.flush();
  w.lastStart().result.resolve({ id: 'c1', description: 'container c1' });
  await clock.flush();
  w.attached();
  await p;
}

t.test('options are checked at construction, every problem listed', async (t) => {
  const clock = new ManualClock();
  const err = t.throws(() => new FakeWorker({
    clock, name: '', buildWaitTimeout: Number.NaN, missingTimeout: -1, checkInstanceInterval: Number.POSITIVE_INFINITY,
    maxBuilds: 0, quarantineInitialTimeout: 20, quarantineMaxTimeout: 10,
  }), WorkerConfigError);
  if (err instanceof WorkerConfigError) {
    t.equal(err.code, 'ERR_WORKER_CONFIG');
    t.same(err.problems.map((p) => p.option).sort(), [
      'buildWaitTimeout', 'checkInstanceInterval', 'maxBuilds', 'missingTimeout', 'name', 'quarantineMaxTimeout',
    ]);
  }
  t.throws(() => new FakeWorker({ clock, name: 'has space' }), /name: must not contain whitespace/);
});

t.test('substantiate: request → start → attach, with events and durations', async (t) => {
  const { clock, w } = setup();
  invariants(t, w, 'at rest');
  const p = track(w.substantiate({ id: 'b1' }));
  t.equal(w.state, 'SUBSTANTIATING', 'the start waits for the lock first');
  invariants(t, w, 'while SUBSTANTIATING');
  await clock.flush();
  t.equal(w.state, 'SUBSTANTIATING_STARTING');
  invariants(t, w, 'while starting');
  const start = w.lastStart();
  t.same(start.build, { id: 'b1' }, 'startInstance gets the build');
  t.notOk(start.signal.aborted);
  await clock.advance(1500);
  start.result.resolve({ id: 'c1', description: 'busybox on unix:///s' });
  await clock.flush();
  t.equal(w.state, 'SUBSTANTIATING_STARTING', 'a started instance is not substantiated until its worker attaches');
  t.notOk(p.settled);
  invariants(t, w, 'started, not attached');
  await clock.advance(500);
  w.attached();
  await clock.flush();
  t.equal(p.value, true);
  t.equal(w.state, 'SUBSTANTIATED');
  t.ok(w.isSubstantiated);
  t.same(w.instance, { id: 'c1', description: 'busybox on unix:///s' });
  invariants(t, w, 'substantiated');
  t.same(w.transitions(), [
    'NOT_SUBSTANTIATED>SUBSTANTIATING', 'SUBSTANTIATING>SUBSTANTIATING_STARTING', 'SUBSTANTIATING_STARTING>SUBSTANTIATED',
  ]);
  t.match(w.eventsOf('start'), [{ durationMs: 1500, instance: { id: 'c1' }, worker: 'w1', at: 1500 }]);
  t.match(w.eventsOf('substantiated'), [{ durationMs: 2000, waiters: 1 }]);
  t.equal(await w.substantiate({ id: 'b2' }), true, 'substantiated and connected: true at once');
  t.equal(w.starts.length, 1, 'no second start');
});

t.test('two builds share one start', async (t) => {
  const { clock, w } = setup();
  const a = track(w.substantiate({ id: 'a' }));
  const b = track(w.substantiate({ id: 'b' }));
  await clock.flush();
  const c = track(w.substantiate({ id: 'c' }));
  await clock.flush();
  t.equal(w.starts.length, 1, 'one startInstance for three requests');
  t.same(w.lastStart().build, { id: 'a' }, 'the start is for the first build');
  await w.startAndAttach({ id: 'x' });
  t.same([a.value, b.value, c.value], [true, true, true]);
  t.match(w.eventsOf('substantiated'), [{ waiters: 3 }]);
});

t.test('two workers start in parallel', async (t) => {
  const clock = new ManualClock();
  const w1 = new FakeWorker({ clock, name: 'one' });
  const w2 = new FakeWorker({ clock, name: 'two' });
  const p1 = track(w1.substantiate());
  const p2 = track(w2.substantiate());
  await clock.flush();
  t.equal(w1.starts.length, 1);
  t.equal(w2.starts.length, 1, 'the second start does not wait for the first');
  await w2.startAndAttach();
  t.equal(p2.value, true);
  t.notOk(p1.settled);
  t.equal(w1.state, 'SUBSTANTIATING_STARTING');
});

t.test('attached() during startInstance completes the start when it returns', async (t) => {
  const { clock, w } = setup();
  const p = track(w.substantiate());
  await clock.flush();
  w.attached();
  t.equal(w.state, 'SUBSTANTIATING_STARTING', 'not substantiated before startInstance returned');
  w.lastStart().result.resolve(true);
  await clock.flush();
  t.equal(p.value, true);
  t.equal(w.state, 'SUBSTANTIATED');
  t.equal(w.instance, undefined, 'a start that returned true describes no instance');
});

t.test('attached() outside a start is refused; detached() of a substantiated worker stops it', async (t) => {
  const { clock, w } = setup({ buildWaitTimeout: 600 });
  t.throws(() => w.attached(), LatentWorkerAttachRefusedError);
  await substantiated(clock, w);
  const err = t.throws(() => w.attached(), LatentWorkerAttachRefusedError, 'a second connection is refused');
  if (err instanceof LatentWorkerAttachRefusedError) t.equal(err.code, 'ERR_WORKER_ATTACH_REFUSED');
  t.equal(w.eventsOf('attach-refused').length, 2);
  w.detached();
  t.equal(w.state, 'INSUBSTANTIATING', 'a lost connection stops the instance');
  t.match(w.eventsOf('idle'), [{ reason: 'detached' }]);
  await clock.flush();
  w.lastStop().result.resolve();
  await clock.flush();
  t.equal(w.state, 'NOT_SUBSTANTIATED');
  invariants(t, w, 'after the stop');
});

t.test('negative buildWaitTimeout: never idle, reconnects accepted, stopped at shutdown', async (t) => {
  const { clock, w } = setup({ buildWaitTimeout: -1 });
  await substantiated(clock, w);
  w.buildStarted();
  w.buildFinished({ success: true });
  await clock.advance(10 * 24 * 3600 * 1000);
  t.equal(w.state, 'SUBSTANTIATED', 'still running ten days later');
  t.equal(w.stops.length, 0);
  w.detached();
  t.equal(w.state, 'SUBSTANTIATED');
  t.notOk(w.connected);
  w.attached();
  t.ok(w.connected, 'the reconnect is accepted');
  t.match(w.eventsOf('attached').at(-1), { reconnect: true });
  w.buildStarted();
  w.buildFinished();
  const done = track(w.shutdown());
  await clock.flush();
  t.equal(w.state, 'INSUBSTANTIATING', 'shutdown stops it even with a negative timeout');
  w.lastStop().result.resolve();
  await clock.flush();
  t.ok(done.settled);
  t.equal(w.state, 'SHUT_DOWN');
  invariants(t, w, 'shut down');
  const later = await w.substantiate().catch((e: unknown) => e);
  t.type(later, LatentWorkerShutDownError);
  t.equal(substantiationOutcome(later), 'retry');
});

t.test('negative buildWaitTimeout: a substantiate after a lost connection restarts the instance', async (t) => {
  const { clock, w } = setup({ buildWaitTimeout: -1 });
  await substantiated(clock, w);
  w.detached();
  const p = track(w.substantiate({ id: 'b2' }));
  await clock.flush();
  t.equal(w.state, 'INSUBSTANTIATING_SUBSTANTIATING');
  invariants(t, w, 'restarting');
  w.lastStop().result.resolve();
  await clock.flush();
  t.equal(w.starts.length, 2);
  t.same(w.lastStart().build, { id: 'b2' });
  await w.startAndAttach();
  t.equal(p.value, true);
});

t.test('a request during insubstantiation waits for the stop, then starts', async (t) => {
  const { clock, w } = setup();
  await substantiated(clock, w);
  const stopped = track(w.insubstantiate());
  t.equal(w.state, 'INSUBSTANTIATING');
  const p = track(w.substantiate({ id: 'b2' }));
  await clock.flush();
  t.equal(w.state, 'INSUBSTANTIATING_SUBSTANTIATING');
  t.equal(w.starts.length, 1, 'no start while the stop runs');
  invariants(t, w, 'queued behind a stop');
  w.lastStop().result.resolve();
  await clock.flush();
  t.ok(stopped.settled);
  t.equal(w.state, 'SUBSTANTIATING_STARTING');
  t.same(w.lastStart().build, { id: 'b2' });
  await w.startAndAttach();
  t.equal(p.value, true);
  t.same(w.transitions().slice(3), [
    'SUBSTANTIATED>INSUBSTANTIATING', 'INSUBSTANTIATING>INSUBSTANTIATING_SUBSTANTIATING',
    'INSUBSTANTIATING_SUBSTANTIATING>SUBSTANTIATING', 'SUBSTANTIATING>SUBSTANTIATING_STARTING', 'SUBSTANTIATING_STARTING>SUBSTANTIATED',
  ]);
});

t.test('a queued request is given up (retryable) when another insubstantiation comes', async (t) => {
  const { clock, w } = setup();
  await substantiated(clock, w);
  void w.insubstantiate();
  const p = track(w.substantiate());
  await clock.flush();
  t.equal(w.state, 'INSUBSTANTIATING_SUBSTANTIATING');
  const second = track(w.insubstantiate());
  await clock.flush();
  t.equal(w.state, 'INSUBSTANTIATING');
  t.match(p.error, { code: 'ERR_WORKER_INTERRUPTED' });
  t.equal(substantiationOutcome(p.error), 'retry');
  invariants(t, w, 'after dropping the queue');
  w.lastStop().result.resolve();
  await clock.flush();
  t.ok(second.settled, 'the second insubstantiate waits for the same stop');
  t.equal(w.state, 'NOT_SUBSTANTIATED');
  t.equal(w.starts.length, 1);
});

t.test('stopInstance failing, async or synchronously, does not block later builds', async (t) => {
  const { clock, w } = setup();
  await substantiated(clock, w);
  const stop = track(w.insubstantiate());
  await clock.flush();
  w.lastStop().result.reject(new Error('engine unreachable'));
  await clock.flush();
  t.ok(stop.settled);
  t.equal(stop.error, undefined, 'insubstantiate resolves: the failure is reported, not thrown');
  t.equal(w.state, 'NOT_SUBSTANTIATED');
  t.match(w.eventsOf('stop-error'), [{ error: { message: 'engine unreachable' } }]);
  await substantiated(clock, w, { id: 'b2' });
  t.equal(w.state, 'SUBSTANTIATED', 'the next substantiation works');
  w.throwOnStop = new Error('thrown synchronously');
  await w.insubstantiate();
  t.equal(w.state, 'NOT_SUBSTANTIATED');
  t.match(w.eventsOf('stop-error').at(-1), { error: { message: 'thrown synchronously' } });
  await substantiated(clock, w, { id: 'b3' });
  t.equal(w.starts.length, 3);
  invariants(t, w, 'after recovering');
});

t.test('buildStarted/buildFinished are checked against the state and maxBuilds', async (t) => {
  const { clock, w } = setup({ maxBuilds: 2, buildWaitTimeout: 60 });
  const err = t.throws(() => w.buildStarted(), LatentWorkerStateError);
  if (err instanceof LatentWorkerStateError) t.equal(err.code, 'ERR_WORKER_STATE');
  await substantiated(clock, w);
  w.buildStarted();
  w.buildStarted();
  t.throws(() => w.buildStarted(), /maxBuilds/);
  t.equal(w.runningBuilds, 2);
  w.buildFinished();
  w.buildFinished();
  w.buildFinished();
  t.equal(w.runningBuilds, 0, 'a stale buildFinished does not go negative');
  t.match(w.eventsOf('build-finished').map((e) => e.running), [1, 0, 0]);
});

t.test('an incompatible build waits; it gets the worker once the instance stops', async (t) => {
  t.test('buildWaitTimeout 0: right after the current build', async (t) => {
    const { clock, w } = setup({ buildWaitTimeout: 0 });
    await substantiated(clock, w, { id: 'b1', kind: 'alpine' });
    w.buildStarted();
    t.equal(await w.isCompatibleWithBuild({ id: 'b2', kind: 'debian' }), false);
    t.equal(await w.isCompatibleWithBuild({ id: 'b3', kind: 'alpine' }), true);
    const refused = await w.substantiate({ id: 'b2', kind: 'debian' }).catch((e: unknown) => e);
    t.type(refused, LatentWorkerIncompatibleBuildError);
    t.equal(substantiationOutcome(refused), 'retry');
    w.buildFinished({ success: true });
    t.equal(w.state, 'SUBSTANTIATED', 'not stopped inside buildFinished');
    await clock.advance(0);
    t.equal(w.state, 'INSUBSTANTIATING', 'stopped on the next tick');
    w.lastStop().result.resolve();
    await clock.flush();
    t.equal(await w.isCompatibleWithBuild({ id: 'b2', kind: 'debian' }), true, 'a stopped worker accepts any build');
    const p = track(w.substantiate({ id: 'b2', kind: 'debian' }));
    await clock.flush();
    t.same(w.lastStart().build, { id: 'b2', kind: 'debian' });
    t.equal(await w.isCompatibleWithBuild({ id: 'b4', kind: 'alpine' }), false, 'a start in flight keeps its rendering');
    await w.startAndAttach();
    t.equal(p.value, true);
  });
  t.test('buildWaitTimeout > 0: only after the idle timeout', async (t) => {
    const { clock, w } = setup({ buildWaitTimeout: 300 });
    await substantiated(clock, w, { id: 'b1', kind: 'alpine' });
    w.buildStarted();
    w.buildFinished({ success: true });
    await clock.advance(299_999);
    t.equal(w.state, 'SUBSTANTIATED');
    t.equal(await w.isCompatibleWithBuild({ id: 'b2', kind: 'debian' }), false, 'still incompatible while idle');
    await clock.advance(1);
    t.equal(w.state, 'INSUBSTANTIATING');
    w.lastStop().result.resolve();
    await clock.flush();
    t.equal(await w.isCompatibleWithBuild({ id: 'b2', kind: 'debian' }), true);
  });
});
