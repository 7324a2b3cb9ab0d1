import t from 'tap';
import { execFileSync } from 'node:child_process';
import { ManualClock, systemClock } from '../../../src/index.js';
import { Mutex } from '../../../src/worker/mutex.js';
import { TimerSlot } from '../../../src/worker/timer-slot.js';

t.test('ManualClock runs due timers in order, with the clock at each due time', async (t) => {
  const clock = new ManualClock(1000);
  const seen: string[] = [];
  clock.setTimeout(() => seen.push(`b@${clock.now()}`), 20);
  clock.setTimeout(() => seen.push(`a@${clock.now()}`), 10);
  clock.setTimeout(() => seen.push(`c@${clock.now()}`), 20);
  const late = clock.setTimeout(() => seen.push('late'), 31);
  t.equal(clock.pendingTimers, 4);
  t.equal(clock.nextDue, 1010);
  await clock.advance(30);
  t.same(seen, ['a@1010', 'b@1020', 'c@1020'], 'earliest first, ties in the order set');
  t.equal(clock.now(), 1030);
  clock.clearTimeout(late);
  await clock.advance(100);
  t.same(seen, ['a@1010', 'b@1020', 'c@1020'], 'a cleared timer never fires');
  t.equal(clock.pendingTimers, 0);
  t.equal(clock.nextDue, undefined);
});

t.test('ManualClock runs timers set by timers and promise reactions between timers', async (t) => {
  const clock = new ManualClock();
  const seen: string[] = [];
  clock.setTimeout(() => {
    seen.push('first');
    void Promise.resolve().then(() => Promise.resolve()).then(() => {
      seen.push('reaction');
      clock.setTimeout(() => seen.push(`chained@${clock.now()}`), 5);
    });
  }, 10);
  clock.setTimeout(() => seen.push('second'), 12);
  await clock.advance(15);
  t.same(seen, ['first', 'reaction', 'second', 'chained@15']);
  await t.rejects(clock.advance(-1), RangeError);
  const zero: string[] = [];
  clock.setTimeout(() => zero.push('now'), 0);
  t.same(zero, [], 'a 0 ms timer does not run inside setTimeout');
  await clock.flush();
  t.same(zero, ['now']);
});

t.test('systemClock tells real time and cancels timers', async (t) => {
  const before = Date.now();
  t.ok(systemClock.now() >= before);
  let fired = false;
  const h = systemClock.setTimeout(() => { fired = true; }, 60_000);
  systemClock.clearTimeout(h);
  const long = systemClock.setTimeout(() => { fired = true; }, 2 ** 33);
  systemClock.clearTimeout(long);
  t.notOk(fired, 'a delay beyond Node\'s limit does not fire at once');
});

t.test('TimerSlot holds one timer; re-arming replaces it', async (t) => {
  const clock = new ManualClock();
  const slot = new TimerSlot(clock);
  const seen: number[] = [];
  slot.arm(10, () => seen.push(1));
  slot.arm(20, () => seen.push(2));
  t.equal(slot.due, 20);
  t.ok(slot.armed);
  await clock.advance(30);
  t.same(seen, [2]);
  t.notOk(slot.armed);
  slot.arm(5, () => seen.push(3));
  slot.cancel();
  await clock.advance(10);
  t.same(seen, [2]);
  t.equal(clock.pendingTimers, 0);
});

t.test('Mutex serves waiters first come, first served', async (t) => {
  const mutex = new Mutex();
  const order: string[] = [];
  const releaseA = await mutex.acquire();
  const b = mutex.acquire().then((release) => { order.push('b'); return release; });
  const c = mutex.acquire().then((release) => { order.push('c'); release(); });
  await new Promise((r) => setImmediate(r));
  t.same(order, [], 'nobody gets a held lock');
  t.ok(mutex.busy);
  releaseA();
  releaseA();
  const releaseB = await b;
  await new Promise((r) => setImmediate(r));
  t.same(order, ['b'], 'a double release does not let two in');
  releaseB();
  await c;
  t.same(order, ['b', 'c']);
  t.notOk(mutex.busy);
});

t.test('systemClock: a background timer lets the process exit, an awaited delay keeps it alive', async (t) => {
  const clock = new URL('../../../src/worker/clock.js', import.meta.url).href;
  const run = (body: string): string => execFileSync(process.execPath, ['--input-type=module', '-e', `import { systemClock, delay } from ${JSON.stringify(clock)};\n${body}`], { encoding: 'utf8', timeout: 10_000 });
  t.equal(run("systemClock.setTimeout(() => console.log('fired'), 50); console.log('set');"), 'set\n', 'an idle-style timer does not hold the process');
  t.equal(run("await delay(systemClock, 50); console.log('waited');"), 'waited\n', 'a delay someone awaits (a removal retry) does');
});
