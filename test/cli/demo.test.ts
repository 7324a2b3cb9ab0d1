import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import type { DemoSummary } from '../../src/cli/demo/summary.js';
import { bundledSessionPath } from '../../src/cli/demo/engine-choice.js';
import { loadFixture } from '../../src/testing/index.js';
import { cleanEnv, runBerth, type RunResult } from '../helpers/cli.js';
import { shortTempDir } from '../helpers/tmp.js';

/**
 * `berth demo` end to end with no engine: the bundled recorded session is
 * served by the embedded replay engine, and the run must show the recorded
 * lifecycle — and ask for exactly what was recorded.
 */

const NO_ENGINE = 'unix:///nonexistent/docker.sock';

/** Checks what every successful replayed run shows. */
function checkReplayedRun(t: Test, r: RunResult): void {
  t.equal(r.code, 0, `exit 0\n${r.stderr}`);
  const first = r.stderr.split('\n')[0] ?? '';
  t.match(first, /^engine: none — replaying the recorded session .*fixtures\/demo-session\.json \(no engine answered at unix:\/\/\/nonexistent\/docker\.sock from DOCKER_HOST\); worker connections are simulated$/,
    'the first line says which engine, and why');
  t.notMatch(r.stderr, /strayed|599|no exchange matches/, 'every request was one the session recorded');
  const all = r.stdout + r.stderr;
  t.notMatch(all, /\*{8,}/, 'the masked password of the recording never shows');
  for (const m of all.matchAll(/password (\S+)/g)) t.equal(m[1], '[redacted]', 'every password shown is redacted');
}

t.test('with no engine, the bundled session: the whole lifecycle and a summary', async (t) => {
  const started = Date.now();
  const r = await runBerth(['demo', '--plain'], cleanEnv(t, { DOCKER_HOST: NO_ENGINE }), { timeoutMs: 30_000 });
  checkReplayedRun(t, r);
  t.ok(Date.now() - started < 15_000, 'no real waiting: idle timeouts are not waited out');
  const err = r.stderr;
  for (const worker of ['demo-1', 'demo-2']) {
    t.match(err, new RegExp(`^${worker}: starting a container for build \\d, waiting for the worker to connect…$`, 'm'), `${worker}: a waiting phase`);
    t.match(err, new RegExp(`^  ${worker} \\| worker ${worker}: logging in to the master at 127\\.0\\.0\\.1 as ${worker}, password \\[redacted\\]$`, 'm'),
      `${worker}: its startup output, followed, the password redacted`);
    t.match(err, new RegExp(`^${worker}: worker connected`, 'm'));
    t.match(err, new RegExp(`^${worker}: idle past its buildWaitTimeout: stopping$`, 'm'), `${worker}: stopped for being idle`);
  }
  for (let n = 1; n <= 6; n++) {
    t.match(err, new RegExp(`^build ${n} on demo-${((n - 1) % 2) + 1}: test\\n  1 of 1 tests passed\\nbuild ${n}: success$`, 'm'), `build ${n} ran its commands`);
  }
  t.match(err, /^Step 1\/7 : FROM scratch$/m, 'the image build is shown');
  t.match(r.stdout, /^summary\n  engine      the recorded session \(dockerd-20\.10\.24\+dfsg1, API 1\.41, recorded \d{4}-\d\d-\d\d\)\n  builds      6 of 6 succeeded on 2 workers\n  containers  2 created, 2 removed, 0 left\n/m);
  t.match(r.stdout, /^  time        image \d+ ms, substantiate \d+ ms, build \d+ ms, idle \d+ ms, stop \d+ ms \(summed over workers\)/m);
  t.match(r.stdout, /^ok: 6 builds done$/m);
});

t.test('--json: one object on stdout', async (t) => {
  const r = await runBerth(['demo', '--json'], cleanEnv(t, { DOCKER_HOST: NO_ENGINE }), { timeoutMs: 30_000 });
  checkReplayedRun(t, r);
  const s = JSON.parse(r.stdout) as DemoSummary;
  t.match(s, {
    ok: true, mode: 'replay', workers: 2, interrupted: false,
    builds: { total: 6, succeeded: 6, failed: 0, interrupted: 0, notRun: 0 },
    containers: { created: 2, removed: 2, left: 0 },
    image: { name: 'berth-demo-worker:latest', built: true, removed: true },
  });
  for (const phase of ['image', 'substantiate', 'build', 'idle', 'stop'] as const) t.type(s.phasesMs[phase], 'number', phase);
  t.notMatch(r.stderr, /^demo-1: /m, 'no progress lines with --json');
});

t.test('--replay uses the session even when told of an engine; --quiet keeps the summary', async (t) => {
  const r = await runBerth(['demo', '--replay', '--quiet'], cleanEnv(t), { timeoutMs: 30_000 });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^ok: 6 builds done$/m);
  t.notMatch(r.stderr, /^build \d/m, 'quiet: no build output');
});

t.test('a replay runs what was recorded: other parameters are refused', async (t) => {
  const r = await runBerth(['demo', '--replay', '--workers', '3'], cleanEnv(t), { timeoutMs: 30_000 });
  t.equal(r.code, 2, 'a usage error');
  t.match(r.stderr, /^error: the recorded session ran 6 builds on 2 workers with --idle 3: it cannot replay other values$/m);
  t.match(r.stderr, /^hint: give --builds, --workers and --idle with an engine/m);
});

t.test('a run that strays from its session fails, and does not hang', async (t) => {
  // a session that does not name its parameters cannot refuse a third worker: its requests were never recorded
  const dir = shortTempDir(t);
  const session = join(dir, 'session.json');
  const fixture = loadFixture(bundledSessionPath());
  delete fixture.description;
  writeFileSync(session, JSON.stringify(fixture));
  const started = Date.now();
  const r = await runBerth(['demo', '--session', session, '--workers', '3', '--plain'], cleanEnv(t), { timeoutMs: 60_000 });
  t.equal(r.code, 1, 'exit 1');
  t.ok(Date.now() - started < 10_000, 'given up at once');
  t.match(r.stderr, /^warning: the replay asked for something the session never recorded: giving up on it$/m);
  t.match(r.stdout + r.stderr, /^(failed|error: the replayed demo strayed from its recorded session)$/m);
});

t.test('an engine asked for by --host is never replaced by the session', async (t) => {
  const r = await runBerth(['demo', '--host', NO_ENGINE], cleanEnv(t), { timeoutMs: 30_000 });
  t.equal(r.code, 3, 'engine unreachable');
  t.match(r.stderr, /^error: cannot connect to the engine: socket \/nonexistent\/docker\.sock does not exist$/m);
});

t.test('usage errors', async (t) => {
  for (const [args, message] of [
    [['--builds', '0'], /--builds "0" is not a whole number from 1 to 100/],
    [['--workers', 'two'], /--workers "two" is not a whole number from 1 to 10/],
    [['--idle=-1'], /--idle "-1" is not a number of seconds/],
    [['--replay', '--host', NO_ENGINE], /give one of --host, --context, --replay and --session/],
  ] as const) {
    const r = await runBerth(['demo', ...args], cleanEnv(t));
    t.equal(r.code, 2, args.join(' '));
    t.match(r.stderr, message);
  }
  const help = await runBerth(['demo', '--help'], cleanEnv(t));
  t.equal(help.code, 0);
  t.match(help.stdout, /FROM scratch plus the\s+host's static busybox/, 'help says where the image comes from');
  t.match(help.stdout, /worker logins are simulated/, 'help says what a replay cannot do');
});
