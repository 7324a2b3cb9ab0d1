import t from 'tap';
import type { Test } from 'tap';
import {
  DockerAbortError, DockerConfigError, LatentWorkerCancelledError, LatentWorkerCannotSubstantiate, LatentWorkerCrashedError,
  LatentWorkerFailedToSubstantiate, LatentWorkerMissingTimeoutError, LatentWorkerQuarantinedError, LatentWorkerShutDownError,
  ManualClock, substantiationOutcome, type LatentWorkerOptions,
} from '../../../src/index.js';
import { CheckedFakeWorker, FakeWorker, track } from '../../helpers/fake-worker.js';

type Options = Partial<Omit<LatentWorkerOptions, 'clock'>>;

function setup(options: Options = {}): { clock: ManualClock; w: FakeWorker } {
  const clock = new ManualClock();
  return { clock, w: new FakeWorker({ clock, ...options }) };
}

function invariants(t: Test, w: FakeWorker, when: string): void {
  t.same(w.invariantViolations(), [], `invariants hold ${when}`);
}

/** Lets the stop that follows a failure run to its end. */
async function finishStop(clock: ManualClock, w: FakeWorker): Promise<void> {
  await clock.flush();
  w.lastStop().result.resolve();
  await clock.flush();
}

t.test('a start that declines is a retryable failure; the half-made instance is stopped', async (t) => {
  const { clock, w } = setup();
  const p = track(w.substantiate());
  await clock.flush();
  w.lastStart().result.resolve(false);
  await clock.flush();
  t.type(p.error, LatentWorkerFailedToSubstantiate);
  t.match(p.error, { code: 'ERR_WORKER_DECLINED', message: /does not want to substantiate at this time/ });
  t.equal(substantiationOutcome(p.error), 'retry');
  t.equal(w.state, 'INSUBSTANTIATING', 'stopInstance runs after every start');
  invariants(t, w, 'stopping after a refused start');
  await finishStop(clock, w);
  t.equal(w.state, 'NOT_SUBSTANTIATED');
  t.equal(w.stops.length, 1);
  invariants(t, w, 'after the stop');
});

t.test('failed starts quarantine the worker, doubling up to the maximum; a successful build resets it', async (t) => {
  const { clock, w } = setup({ quarantineInitialTimeout: 10, quarantineMaxTimeout: 30, buildWaitTimeout: 0 });
  const failOnce = async (): Promise<unknown> => {
    const p = track(w.substantiate());
    await clock.flush();
    w.lastStart().result.reject(new Error('engine said no'));
    await finishStop(clock, w);
    return p.error;
  };
  const first = await failOnce();
  t.type(first, LatentWorkerFailedToSubstantiate);
  t.match(first, { code: 'ERR_WORKER_FAILED_TO_SUBSTANTIATE', message: /failed to start: engine said no/, cause: { message: 'engine said no' } });
  t.ok(w.isQuarantined);
  t.equal(w.quarantineEndsAt, 10_000);
  const refused = await w.substantiate().catch((e: unknown) => e);
  t.type(refused, LatentWorkerQuarantinedError);
  t.match(refused, { code: 'ERR_WORKER_QUARANTINED', until: 10_000 });
  t.equal(substantiationOutcome(refused), 'retry');
  t.equal(w.starts.length, 1, 'no start during quarantine');
  const lengths: number[] = [];
  for (let i = 0; i < 4; i++) {
    await clock.advance((w.quarantineEndsAt ?? 0) - clock.now());
    t.notOk(w.isQuarantined, 'the quarantine ends by itself');
    await failOnce();
    lengths.push((w.quarantineEndsAt ?? 0) - clock.now());
  }
  t.same(lengths, [20_000, 30_000, 30_000, 30_000], 'doubles, capped at the maximum');
  t.equal(w.eventsOf('quarantine-end').length, 4);
  await clock.advance(30_000);
  const ok = track(w.substantiate());
  await clock.flush();
  await w.startAndAttach();
  t.equal(ok.value, true);
  w.buildStarted();
  w.buildFinished({ success: true });
  await clock.advance(0);
  await finishStop(clock, w);
  await failOnce();
  t.equal((w.quarantineEndsAt ?? 0) - clock.now(), 10_000, 'back to the initial length after a successful build');
  w.exitQuarantine();
  t.notOk(w.isQuarantined, 'exitQuarantine ends it at once');
  t.match(w.eventsOf('quarantine').map((e) => e.durationMs), [10_000, 20_000, 30_000, 30_000, 30_000, 10_000]);
});

t.test('permanent failures: LatentWorkerCannotSubstantiate as thrown, configuration errors become one', async (t) => {
  const { clock, w } = setup();
  const p = track(w.substantiate());
  await clock.flush();
  w.lastStart().result.reject(new LatentWorkerCannotSubstantiate('w1', 'Image "busybox:123" not found on the engine'));
  await finishStop(clock, w);
  t.type(p.error, LatentWorkerCannotSubstantiate);
  t.equal(substantiationOutcome(p.error), 'exception');
  w.exitQuarantine();
  const q = track(w.substantiate());
  await clock.flush();
  w.lastStart().result.reject(new DockerConfigError('DOCKER_HOST="ftp://x": unsupported scheme'));
  await finishStop(clock, w);
  t.type(q.error, LatentWorkerCannotSubstantiate);
  t.match(q.error, { cause: { message: /unsupported scheme/ } });
  w.exitQuarantine();
  w.throwOnStart = new Error('thrown synchronously');
  const r = track(w.substantiate());
  await finishStop(clock, w);
  t.match(r.error, { code: 'ERR_WORKER_FAILED_TO_SUBSTANTIATE', message: /thrown synchronously/ });
});

t.test('a start that never attaches fails at missingTimeout and is stopped', async (t) => {
  const { clock, w } = setup({ missingTimeout: 3600 });
  const p = track(w.substantiate());
  await clock.flush();
  w.lastStart().result.resolve({ id: 'c1' });
  await clock.advance(3_599_999);
  t.notOk(p.settled);
  t.equal(w.state, 'SUBSTANTIATING_STARTING');
  await clock.advance(1);
  t.type(p.error, LatentWorkerMissingTimeoutError);
  t.match(p.error, { code: 'ERR_WORKER_MISSING_TIMEOUT', timeoutMs: 3_600_000 });
  t.equal(substantiationOutcome(p.error), 'retry');
  t.ok(w.isQuarantined);
  await finishStop(clock, w);
  t.equal(w.state, 'NOT_SUBSTANTIATED');
  t.throws(() => w.attached(), /not starting an instance/, 'a late connection is refused');
});

t.test('missingTimeout also bounds a startInstance that hangs: its signal aborts with the error', async (t) => {
  const { clock, w } = setup({ missingTimeout: 60 });
  const p = track(w.substantiate());
  await clock.advance(60_000);
  t.type(p.error, LatentWorkerMissingTimeoutError);
  const start = w.lastStart();
  t.ok(start.signal.aborted);
  t.equal(start.signal.reason, p.error, 'the abort reason is the timeout');
  t.equal(w.stops.length, 0, 'the stop waits for startInstance to return');
  start.result.reject(new DockerAbortError(start.signal.reason));
  await finishStop(clock, w);
  t.equal(w.stops.length, 1);
  t.equal(w.state, 'NOT_SUBSTANTIATED');
});

t.test('missingTimeout 0 or null waits forever', async (t) => {
  for (const missingTimeout of [0, null]) {
    const { clock, w } = setup({ missingTimeout });
    const p = track(w.substantiate());
    await clock.flush();
    w.lastStart().result.resolve(true);
    await clock.advance(365 * 24 * 3600 * 1000);
    t.notOk(p.settled, `missingTimeout ${String(missingTimeout)}`);
    t.equal(clock.pendingTimers, 0, 'no timer armed');
    invariants(t, w, 'waiting forever');
  }
});

t.test('the crash check fails the start early with its reason', async (t) => {
  const clock = new ManualClock();
  const w = new CheckedFakeWorker({ clock, checkInstanceInterval: 10 });
  const p = track(w.substantiate());
  await clock.advance(30_000);
  t.equal(w.checks.length, 0, 'no check while startInstance runs');
  w.lastStart().result.resolve({ id: 'c1' });
  await clock.advance(9_999);
  t.equal(w.checks.length, 0);
  await clock.advance(1);
  t.equal(w.checks.length, 1, 'first check one interval after the start returned');
  await clock.advance(60_000);
  t.equal(w.checks.length, 1, 'no second check while the first is unanswered');
  w.checks[0]?.resolve({ ok: true });
  await clock.advance(10_000);
  t.equal(w.checks.length, 2);
  w.checks[1]?.resolve({ ok: false, reason: 'container exited (1): last lines: worker: cannot reach master' });
  await clock.flush();
  t.type(p.error, LatentWorkerCrashedError);
  t.match(p.error, { code: 'ERR_WORKER_CRASHED', reason: /cannot reach master/ });
  t.equal(substantiationOutcome(p.error), 'retry');
  t.match(w.eventsOf('check').map((e) => e.ok), [true, false]);
  await finishStop(clock, w);
  t.equal(clock.now(), 110_000, 'long before the missing timeout');
});

t.test('a crash check that throws counts as a crash; a late answer after attach is ignored', async (t) => {
  const clock = new ManualClock();
  const w = new CheckedFakeWorker({ clock, checkInstanceInterval: 5 });
  const p = track(w.substantiate());
  await clock.flush();
  w.lastStart().result.resolve(true);
  await clock.advance(5_000);
  w.checks[0]?.reject(new Error('inspect failed'));
  await clock.flush();
  t.match(p.error, { code: 'ERR_WORKER_CRASHED', message: /the crash check failed: inspect failed/, cause: { message: 'inspect failed' } });
  await finishStop(clock, w);
  w.exitQuarantine();
  const q = track(w.substantiate());
  await clock.flush();
  w.lastStart().result.resolve(true);
  await clock.advance(5_000);
  w.attached();
  await clock.flush();
  t.equal(q.value, true);
  w.checks[1]?.resolve({ ok: false, reason: 'too late' });
  await clock.advance(60_000);
  t.equal(w.state, 'SUBSTANTIATED', 'an answer that comes after the attach changes nothing');
  t.equal(w.checks.length, 2, 'no check once substantiated');
});

t.test('cancelling the only waiter cancels the start and cleans up', async (t) => {
  const { clock, w } = setup();
  const ac = new AbortController();
  const p = track(w.substantiate({ id: 'b1' }, { signal: ac.signal }));
  await clock.flush();
  const start = w.lastStart();
  ac.abort(new Error('build stopped by user'));
  await clock.flush();
  t.type(p.error, LatentWorkerCancelledError);
  t.type(p.error, DockerAbortError, 'a cancellation is an abort');
  t.match(p.error, { code: 'ERR_WORKER_CANCELLED', reason: { message: 'build stopped by user' } });
  t.equal(substantiationOutcome(p.error), 'cancelled');
  t.ok(start.signal.aborted, 'startInstance is told');
  t.equal(w.state, 'INSUBSTANTIATING');
  start.result.resolve({ id: 'made-anyway' });
  await finishStop(clock, w);
  t.equal(w.stops.length, 1, 'what was made is removed');
  t.notOk(w.isQuarantined, 'a cancellation is not a failure');
  t.equal(w.state, 'NOT_SUBSTANTIATED');
  invariants(t, w, 'after the cancellation');
});

t.test('cancellation: other waiters are unaffected; all cancelling cancels the start', async (t) => {
  const { clock, w } = setup();
  const a = new AbortController();
  const b = new AbortController();
  const pa = track(w.substantiate(undefined, { signal: a.signal }));
  const pb = track(w.substantiate(undefined, { signal: b.signal }));
  await clock.flush();
  a.abort();
  await clock.flush();
  t.type(pa.error, LatentWorkerCancelledError);
  t.notOk(pb.settled);
  t.notOk(w.lastStart().signal.aborted, 'the start goes on for the other waiter');
  b.abort();
  await clock.flush();
  t.type(pb.error, LatentWorkerCancelledError);
  t.ok(w.lastStart().signal.aborted);
});

t.test('cancellation before startInstance is called abandons the start; an aborted signal is refused at once', async (t) => {
  const { clock, w } = setup();
  const ac = new AbortController();
  const p = track(w.substantiate(undefined, { signal: ac.signal }));
  ac.abort();
  await clock.flush();
  t.type(p.error, LatentWorkerCancelledError);
  t.equal(w.state, 'NOT_SUBSTANTIATED');
  t.equal(w.starts.length, 0, 'startInstance never called');
  t.equal(w.stops.length, 0, 'nothing to stop');
  invariants(t, w, 'after abandoning');
  const again = await w.substantiate(undefined, { signal: ac.signal }).catch((e: unknown) => e);
  t.type(again, LatentWorkerCancelledError);
  t.equal(w.state, 'NOT_SUBSTANTIATED');
});

t.test('shutdown during substantiation: retryable for the waiters, waits for the start, stops, refuses later starts', async (t) => {
  const { clock, w } = setup();
  const p = track(w.substantiate());
  await clock.flush();
  const start = w.lastStart();
  const done = track(w.shutdown());
  await clock.flush();
  t.type(p.error, LatentWorkerShutDownError);
  t.equal(substantiationOutcome(p.error), 'retry');
  t.ok(start.signal.aborted);
  t.notOk(done.settled, 'shutdown waits for the start in flight');
  const late = await w.substantiate().catch((e: unknown) => e);
  t.type(late, LatentWorkerShutDownError, 'no new start while shutting down');
  start.result.resolve(true);
  await clock.flush();
  t.notOk(done.settled, 'then for the stop');
  w.lastStop().result.resolve();
  await clock.flush();
  t.ok(done.settled);
  t.equal(w.state, 'SHUT_DOWN');
  t.equal(clock.pendingTimers, 0, 'no timer left behind');
  t.equal(w.shutdown(), w.shutdown(), 'shutdown is idempotent');
  await w.insubstantiate();
  t.equal(w.state, 'SHUT_DOWN');
});
