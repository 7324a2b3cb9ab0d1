import t from 'tap';
import { ManualClock, type LatentWorkerOptions } from '../../../src/index.js';
import { IdleTimer } from '../../../src/worker/idle-timer.js';
import { FakeWorker, track } from '../../helpers/fake-worker.js';

type Options = Partial<Omit<LatentWorkerOptions, 'clock'>>;

/** A substantiated fake worker with `waiters` callers told it is ready. */
async function ready(options: Options, waiters = 1): Promise<{ clock: ManualClock; w: FakeWorker }> {
  const clock = new ManualClock();
  const w = new FakeWorker({ clock, ...options });
  const ps = Array.from({ length: waiters }, (_, i) => w.substantiate({ id: `b${i}` }));
  await clock.flush();
  w.lastStart().result.resolve(true);
  await clock.flush();
  w.attached();
  await Promise.all(ps);
  return { clock, w };
}

t.test('buildWaitTimeout 0: stopped soon after the last build, not inside buildFinished', async (t) => {
  const { clock, w } = await ready({ buildWaitTimeout: 0 });
  w.buildStarted();
  w.buildStarted();
  w.buildFinished();
  await clock.advance(0);
  t.equal(w.state, 'SUBSTANTIATED', 'one build still runs');
  w.buildFinished();
  t.equal(w.state, 'SUBSTANTIATED', 'not synchronously');
  await clock.advance(0);
  t.equal(w.state, 'INSUBSTANTIATING');
  t.match(w.eventsOf('idle'), [{ reason: 'build-wait-timeout' }]);
});

t.test('buildWaitTimeout > 0: an idle timer that a new build cancels', async (t) => {
  const { clock, w } = await ready({ buildWaitTimeout: 120 });
  w.buildStarted();
  w.buildFinished();
  await clock.advance(119_000);
  t.equal(w.state, 'SUBSTANTIATED');
  w.buildStarted();
  await clock.advance(600_000);
  t.equal(w.state, 'SUBSTANTIATED', 'a running build is never idle');
  w.buildFinished();
  await clock.advance(119_999);
  t.equal(w.state, 'SUBSTANTIATED', 'the timer starts again from the last finish');
  await clock.advance(1);
  t.equal(w.state, 'INSUBSTANTIATING');
});

t.test('a substantiate() on an idle worker keeps it for the build that follows', async (t) => {
  const { clock, w } = await ready({ buildWaitTimeout: 10, buildStartTimeout: 60 });
  w.buildStarted();
  w.buildFinished();
  await clock.advance(9_000);
  t.equal(await w.substantiate({ id: 'next' }), true);
  await clock.advance(50_000);
  t.equal(w.state, 'SUBSTANTIATED', 'the claim outlives the idle timer');
  w.buildStarted();
  w.buildFinished();
  await clock.advance(10_000);
  t.equal(w.state, 'INSUBSTANTIATING');
});

t.test('a worker that substantiated and never got a build is stopped after buildStartTimeout (+ buildWaitTimeout)', async (t) => {
  const { clock, w } = await ready({ buildWaitTimeout: 0 });
  await clock.advance(299_999);
  t.equal(w.state, 'SUBSTANTIATED', 'default buildStartTimeout is 300 s');
  await clock.advance(1);
  t.equal(w.state, 'INSUBSTANTIATING');
  const later = await ready({ buildWaitTimeout: 30, buildStartTimeout: 60 });
  await later.clock.advance(89_999);
  t.equal(later.w.state, 'SUBSTANTIATED');
  await later.clock.advance(1);
  t.equal(later.w.state, 'INSUBSTANTIATING', 'the claim expires, then the idle timeout runs');
});

t.test('buildStartTimeout null: like Buildbot, no timer until a build finishes', async (t) => {
  const { clock, w } = await ready({ buildWaitTimeout: 0, buildStartTimeout: null });
  await clock.advance(30 * 24 * 3600 * 1000);
  t.equal(w.state, 'SUBSTANTIATED');
  t.equal(clock.pendingTimers, 0);
  w.buildStarted();
  w.buildFinished();
  await clock.advance(0);
  t.equal(w.state, 'INSUBSTANTIATING');
});

t.test('two builds sharing one start, timeout 0: the first to finish does not stop the other\'s worker', async (t) => {
  const { clock, w } = await ready({ buildWaitTimeout: 0 }, 2);
  w.buildStarted();
  w.buildFinished({ success: true });
  await clock.advance(5_000);
  t.equal(w.state, 'SUBSTANTIATED', 'the second waiter has not started its build yet');
  w.buildStarted();
  w.buildFinished();
  await clock.advance(0);
  t.equal(w.state, 'INSUBSTANTIATING');
});

t.test('an idle stop followed by a request restarts cleanly', async (t) => {
  const { clock, w } = await ready({ buildWaitTimeout: 0 });
  w.buildStarted();
  w.buildFinished();
  await clock.advance(0);
  const p = track(w.substantiate({ id: 'again' }));
  await clock.flush();
  t.equal(w.state, 'INSUBSTANTIATING_SUBSTANTIATING');
  w.lastStop().result.resolve();
  await clock.flush();
  await w.startAndAttach();
  t.equal(p.value, true);
  t.same(w.invariantViolations(), []);
});

t.test('IdleTimer on its own', async (t) => {
  const clock = new ManualClock();
  let idle = 0;
  const timer = new IdleTimer(clock, 1000, 5000, () => { idle++; });
  t.equal(timer.buildFinished(), false, 'nothing to finish');
  timer.claim();
  t.equal(timer.claims, 0, 'claims count only once substantiated');
  timer.substantiated(2);
  t.equal(timer.claims, 2);
  t.equal(timer.due, 5000);
  timer.buildStarted();
  t.equal(timer.due, undefined);
  t.equal(timer.claims, 1);
  t.equal(timer.buildFinished(), true);
  t.equal(timer.due, 5000, 'the open claim keeps the deadline');
  await clock.advance(5000);
  t.equal(timer.claims, 0, 'claims expire');
  t.equal(timer.due, 6000);
  await clock.advance(1000);
  t.equal(idle, 1);
  timer.reset();
  t.equal(timer.running, 0);
  t.equal(clock.pendingTimers, 0);
});
