import t from 'tap';
import { connect } from 'node:net';
import { DemoMaster, type LoginEvent } from '../../src/cli/demo/master.js';
import { recordedParameters, sessionDescription } from '../../src/cli/demo/engine-choice.js';
import { EventTally, formatDuration, formatSummary, type DemoSummary } from '../../src/cli/demo/summary.js';
import { scaledClock } from '../../src/cli/demo/scaled-clock.js';
import { makeStyle } from '../../src/cli/output.js';
import { ManualClock, type LatentWorkerEvent, type LatentWorkerEventBody } from '../../src/index.js';
import { matchesValue } from '../../src/testing/fixture.js';

/** The parts of `berth demo` that need no engine: the event tally, the master's door, the recorded parameters. */

function event(worker: string, at: number, body: LatentWorkerEventBody): LatentWorkerEvent {
  return { worker, at, ...body } as LatentWorkerEvent;
}

t.test('the tally: containers from the create and remove steps, phases from the lifecycle events', async (t) => {
  const tally = new EventTally();
  const events: LatentWorkerEvent[] = [
    event('w1', 0, { type: 'step', step: 'create', durationMs: 5, detail: { id: 'abc' } }),
    event('w2', 0, { type: 'step', step: 'create', durationMs: 5, detail: { failed: true, code: 'ERR' } }),
    event('w1', 100, { type: 'substantiated', durationMs: 100, waiters: 1 }),
    event('w1', 100, { type: 'build-started', running: 1 }),
    event('w1', 350, { type: 'build-finished', running: 0, success: true }),
    event('w1', 360, { type: 'build-started', running: 1 }),
    event('w1', 400, { type: 'build-finished', running: 0, success: true }),
    event('w1', 3400, { type: 'idle', reason: 'build-wait-timeout' }),
    event('w1', 3450, { type: 'step', step: 'remove', durationMs: 20 }),
    event('w1', 3450, { type: 'stop', durationMs: 50, fast: false }),
  ];
  for (const e of events) tally.add(e);
  t.equal(tally.created, 1, 'a failed create made no container');
  t.equal(tally.removed, 1);
  t.same(tally.phases, { image: 0, substantiate: 100, build: 250 + 40, idle: 3000, stop: 50 });
});

t.test('the summary in words', async (t) => {
  const summary: DemoSummary = {
    ok: false, mode: 'engine', engine: 'dockerd 28.5.1 at unix:///run/docker.sock', workers: 1, interrupted: false,
    builds: { total: 4, succeeded: 2, failed: 1, interrupted: 0, notRun: 1 },
    containers: { created: 1, removed: 1, left: 0 },
    image: { name: 'img:latest', built: true, base: 'busybox:1.36', removed: false },
    phasesMs: { image: 1500, substantiate: 800, build: 61_000, idle: 3000, stop: 40 }, totalMs: 66_000,
  };
  const lines = formatSummary(summary, makeStyle(false));
  t.same(lines, [
    'summary',
    '  engine      dockerd 28.5.1 at unix:///run/docker.sock',
    '  builds      2 of 4 succeeded on 1 worker, 1 failed, 1 not run',
    '  containers  1 created, 1 removed, 0 left',
    '  image       img:latest, built from busybox:1.36, kept',
    '  time        image 1.5 s, substantiate 800 ms, build 1 min 1 s, idle 3.0 s, stop 40 ms (summed over workers); 1 min 6 s in all',
    'failed',
  ]);
  t.equal(formatDuration(999), '999 ms');
});

t.test('a session names the parameters it was recorded with', async (t) => {
  const p = { builds: 6, workers: 2, idleSeconds: 3 };
  t.same(recordedParameters(`${sessionDescription(p)}: what it did`), p);
  t.same(recordedParameters(sessionDescription({ builds: 1, workers: 1, idleSeconds: 0.5 })), { builds: 1, workers: 1, idleSeconds: 0.5 });
  t.equal(recordedParameters('a session of something else'), undefined);
  t.equal(recordedParameters(undefined), undefined);
});

t.test('fixture strings ending in a wildcard match any value with that prefix', async (t) => {
  t.ok(matchesValue('BUILDMASTER_PORT=<any>', 'BUILDMASTER_PORT=41234'));
  t.ok(matchesValue('WORKERPASS=<redacted>', 'WORKERPASS=s3cret'));
  t.notOk(matchesValue('BUILDMASTER_PORT=<any>', 'BUILDMASTER=127.0.0.1'), 'the prefix must match');
  t.notOk(matchesValue('BUILDMASTER_PORT=<any>', 41234), 'only strings');
});

t.test('a scaled clock runs timers faster and keeps time true', async (t) => {
  const base = new ManualClock();
  const clock = scaledClock(base, 100);
  let fired = false;
  const handle = clock.setTimeout(() => { fired = true; }, 3000);
  await base.advance(29);
  t.notOk(fired);
  await base.advance(1);
  t.ok(fired, '3 s at 100× is 30 ms');
  t.equal(clock.now(), base.now());
  let cancelled = true;
  clock.clearTimeout(clock.setTimeout(() => { cancelled = false; }, 100));
  await base.advance(10);
  t.ok(cancelled);
  clock.clearTimeout(handle);
});

/** Sends `lines` to the master and resolves with its answer, once it hangs up or answers. */
function login(port: number, text: string, keepOpen = false): Promise<{ answer: string; close: () => void }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('data', (d: string) => {
      answer += d;
      if (keepOpen && answer.endsWith('\n')) resolve({ answer, close: () => socket.destroy() });
    });
    socket.on('close', () => resolve({ answer, close: () => undefined }));
    socket.write(text);
  });
}

t.test('the master: a known worker with its password is attached until it hangs up; anything else is refused', async (t) => {
  const seen: LoginEvent[] = [];
  const calls: string[] = [];
  const master = await DemoMaster.start((e) => seen.push(e));
  t.teardown(() => master.close());
  master.add({ name: 'w1', password: 'pw-one', attached: () => calls.push('attached'), detached: () => calls.push('detached') });
  t.ok(master.port > 0);

  const wrong = await login(master.port, 'w1\nnot-it\n');
  t.equal(wrong.answer, 'refused: wrong password\n');
  const unknown = await login(master.port, 'w9\npw-one\n');
  t.equal(unknown.answer, 'refused: unknown worker\n');
  t.same(calls, [], 'refused logins attach nothing');

  const ok = await login(master.port, 'w1\npw-one\n', true);
  t.equal(ok.answer, 'welcome w1\n');
  t.same(calls, ['attached']);
  ok.close();
  await new Promise<void>((resolve) => { const check = (): void => { if (calls.length === 2) resolve(); else setImmediate(check); }; check(); });
  t.same(calls, ['attached', 'detached'], 'hanging up detaches');
  t.same(seen, [
    { kind: 'refused', worker: 'w1', why: 'wrong password' },
    { kind: 'refused', worker: 'w9', why: 'unknown worker' },
    { kind: 'login', worker: 'w1' },
    { kind: 'closed', worker: 'w1' },
  ]);
  t.notMatch(JSON.stringify(seen), /pw-one|not-it/, 'no password in what the master reports');
});
