import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BerthServer, cleanEnv, dockerClis, runBerth, runDocker } from '../helpers/cli.js';
import { shortTempDir } from '../helpers/tmp.js';
import { CLI_FIXTURES, loadSessions } from './sessions.js';

const sessions = loadSessions();

t.test('recorded docker CLI sessions replay to the same output', async (t) => {
  const clis = dockerClis();
  const playable = clis.filter((cli) => sessions.sessions.some((s) => s.cli === cli.version));
  if (playable.length === 0) {
    t.pass('no docker CLI of a recorded version here', { skip: `have ${clis.map((c) => c.version).join(', ') || 'none'}, recorded ${[...new Set(sessions.sessions.map((s) => s.cli))].join(', ')}` });
    return;
  }
  for (const cli of playable) {
    for (const s of sessions.sessions.filter((x) => x.cli === cli.version)) {
      await t.test(`docker ${cli.version}: docker ${s.args.join(' ')}`, async (t) => {
        const env = cleanEnv(t);
        const fake = await BerthServer.start(t, ['replay', join(CLI_FIXTURES, s.fixture), '--once', '--check'], env);
        t.match(fake.host, /^unix:\/\/\/tmp\/berth-[^/]+\/engine\.sock$/, 'a short temporary socket by default');
        const run = await runDocker(cli, fake.host, s.args, env);
        t.equal(run.code, 0, run.stderr);
        t.equal(run.stdout, s.stdout, 'stdout as recorded');
        t.equal(run.stderr, s.stderr, 'stderr as recorded');
        const served = await fake.exited();
        t.equal(served.code, 0, `replay exits by itself once all is served: ${served.stderr}`);
        t.match(served.stdout, /^replay complete: (\d+) of \1 exchanges served, \d+ requests, 0 missed$/m);
        t.notOk(existsSync(dirname(fake.host.slice('unix://'.length))), 'the temporary socket directory is removed');
      });
    }
  }
});

t.test('a request that misses gets a 599 naming the nearest exchange; --check makes it exit 1', async (t) => {
  const env = cleanEnv(t);
  const ps = sessions.sessions.find((s) => s.name === 'ps');
  if (!ps) throw new Error('no ps session');
  for (const check of [true, false]) {
    const fake = await BerthServer.start(t, ['replay', join(CLI_FIXTURES, ps.fixture), ...(check ? ['--check'] : [])], env);
    const doctor = await runBerth(['doctor', '--host', fake.host, '--json'], env);
    t.not(doctor.code, 0, 'the client saw the miss');
    const r = await fake.stop('SIGTERM');
    t.equal(r.code, check ? 1 : 0, check ? '--check: exit 1' : 'without --check: exit 0');
    t.match(r.stdout, /^replay incomplete: 1 of 2 exchanges served, \d+ requests, [1-9]\d* missed$/m);
    t.match(r.stdout, /^ {2}missed: no exchange matches HEAD \/_ping; nearest is #0 HEAD \/_ping \(differs in already consumed\)$/m);
    t.match(r.stdout, /^ {2}not served: #1 GET \/v1\.41\/containers\/json$/m);
    if (check) t.match(r.stderr, /^error: replay incomplete: [1-9]\d* missed, 1 not served$/m);
    else t.notMatch(r.stderr, /error/);
  }
});

t.test('fixtures served over TCP, strictly in order', async (t) => {
  const env = cleanEnv(t);
  const fake = await BerthServer.start(t, ['replay', join(CLI_FIXTURES, sessions.doctor.fixture), '--listen', '127.0.0.1:0', '--strict-order', '--once'], env);
  t.match(fake.host, /^tcp:\/\/127\.0\.0\.1:\d+$/);
  const doctor = await runBerth(['doctor', '--json'], { ...env, DOCKER_HOST: fake.host });
  t.equal(doctor.code, 0, doctor.stdout);
  const served = await fake.exited();
  t.equal(served.code, 0);
  t.match(served.stdout, /^replay complete: 7 of 7 exchanges served, 7 requests, 0 missed$/m);
});

t.test('bad fixtures are configuration errors (exit 5)', async (t) => {
  const env = cleanEnv(t);
  const dir = shortTempDir(t, 'brf');
  const missing = await runBerth(['replay', join(dir, 'absent.json')], env);
  t.equal(missing.code, 5);
  t.match(missing.stderr, /^error: cannot load fixture .*absent\.json: no such file\nhint: /);
  writeFileSync(join(dir, 'bad.json'), '{"exchanges": [ {"request": {}} ]}');
  const bad = await runBerth(['replay', join(dir, 'bad.json')], env);
  t.equal(bad.code, 5);
  t.match(bad.stderr, /exchange #0 needs a request and a response/);
  writeFileSync(join(dir, 'text.json'), 'not json');
  const text = await runBerth(['replay', join(dir, 'text.json')], env);
  t.equal(text.code, 5);
  t.notMatch(text.stderr, /^\s+at /m);
});

t.test('replay never replaces a file or a live socket', async (t) => {
  const env = cleanEnv(t);
  const dir = shortTempDir(t, 'brs');
  const file = join(dir, 'precious.txt');
  writeFileSync(file, 'keep');
  const r = await runBerth(['replay', join(CLI_FIXTURES, sessions.doctor.fixture), '--socket', file], env);
  t.equal(r.code, 1);
  t.match(r.stderr, /^error: cannot listen on .*precious\.txt: .*is not a socket; refusing to replace it\nhint: pick another --socket\n$/);
  t.equal(readFileSync(file, 'utf8'), 'keep');

  const first = await BerthServer.start(t, ['replay', join(CLI_FIXTURES, sessions.doctor.fixture), '--socket', join(dir, 'e.sock')], env);
  const second = await runBerth(['replay', join(CLI_FIXTURES, sessions.doctor.fixture), '--socket', join(dir, 'e.sock')], env);
  t.equal(second.code, 1);
  t.match(second.stderr, /cannot listen on .*e\.sock: it is in use/);
  const doctor = await runBerth(['doctor', '--host', first.host], env);
  t.equal(doctor.code, 0, 'the first replay still serves');
  const stopped = await first.stop();
  t.equal(stopped.code, 0);
});
