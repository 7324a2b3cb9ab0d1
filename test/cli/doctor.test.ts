import t from 'tap';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import type { DoctorReport } from '../../src/cli/doctor/report.js';
import { median } from '../../src/cli/doctor/report.js';
import { contextDirName } from '../../src/engine/endpoint.js';
import { loadFixture } from '../../src/testing/index.js';
import { BerthServer, cleanEnv, runBerth, type RunResult } from '../helpers/cli.js';
import { engineOr } from '../helpers/engines.js';
import { shortTempDir } from '../helpers/tmp.js';
import { CLI_FIXTURES, loadSessions, maskDoctor } from './sessions.js';

function report(t: Test, r: RunResult): DoctorReport {
  t.equal(r.stderr, '', 'nothing on stderr with --json');
  const parsed = JSON.parse(r.stdout) as DoctorReport;
  t.equal(parsed.exitCode, r.code, 'the report carries the exit code');
  return parsed;
}

function failureLines(t: Test, r: RunResult): [string, string] {
  const lines = r.stderr.trimEnd().split('\n');
  t.equal(lines.length, 2, `one error line and one hint: ${JSON.stringify(r.stderr)}`);
  t.notMatch(r.stderr, /^\s+at /m, 'no stack trace');
  return [lines[0] ?? '', lines[1] ?? ''];
}

t.test('median', async (t) => {
  t.equal(median([3]), 3);
  t.equal(median([5, 1, 3]), 3);
  t.equal(median([4, 1, 3, 2]), 2.5);
});

t.test('a missing socket: exit 3, one line and a hint; --json says the same', async (t) => {
  const env = cleanEnv(t);
  const host = 'unix:///tmp/berth-no-such-dir/docker.sock';
  const r = await runBerth(['doctor', '--host', host], env);
  t.equal(r.code, 3);
  const [line, hint] = failureLines(t, r);
  t.equal(line, 'error: cannot connect to the engine: socket /tmp/berth-no-such-dir/docker.sock does not exist');
  t.equal(hint, `hint: is the engine running? endpoint ${host} from the host option`);
  t.match(r.stdout, /^endpoint\s+unix:\/\/\/tmp\/berth-no-such-dir\/docker\.sock$/m, 'what was tried is shown');

  const quiet = await runBerth(['-q', 'doctor', '--host', host], env);
  t.equal(quiet.code, 3);
  t.equal(quiet.stdout, '', '--quiet: no report');
  t.same(failureLines(t, quiet), [line, hint], 'the error stays');

  const j = await runBerth(['doctor', '--host', host, '--json'], env);
  t.equal(j.code, 3);
  const rep = report(t, j);
  t.equal(rep.ok, false);
  t.match(rep.error, { kind: 'unreachable', code: 'ERR_DOCKER_CONNECTION', syscallCode: 'ENOENT', message: /does not exist/, hint: /is the engine running/ });
  t.match(rep.endpoint, { url: host, source: 'option', context: null, notes: [] });
  t.same(rep.tls, { enabled: false, verify: null, clientCertificate: false, ca: null, caFile: null, certFile: null });
  t.equal(rep.engine, null, 'nothing known about an engine that never answered');
  t.equal(rep.ping, null);
});

t.test('a malformed DOCKER_HOST: exit 5', async (t) => {
  const r = await runBerth(['doctor'], cleanEnv(t, { DOCKER_HOST: 'tcp://::1:2375' }));
  t.equal(r.code, 5);
  const [line, hint] = failureLines(t, r);
  t.match(line, /^error: DOCKER_HOST="tcp:\/\/::1:2375": an IPv6 address must be written in brackets/);
  t.match(hint, /^hint: check DOCKER_HOST/);
  const j = await runBerth(['doctor', '--json'], cleanEnv(t, { DOCKER_HOST: 'ftp://x' }));
  t.equal(j.code, 5);
  t.match(report(t, j), { ok: false, endpoint: null, error: { kind: 'config', code: 'ERR_DOCKER_CONFIG' } });
});

t.test('an unknown context: exit 5', async (t) => {
  const r = await runBerth(['doctor', '--context', 'nowhere'], cleanEnv(t));
  t.equal(r.code, 5);
  const [line] = failureLines(t, r);
  t.match(line, /context option="nowhere": no such context/);
});

t.test('the recorded doctor session replays to the same report', async (t) => {
  const sessions = loadSessions();
  const env = cleanEnv(t);
  const fake = await BerthServer.start(t, ['replay', join(CLI_FIXTURES, sessions.doctor.fixture), '--once', '--check'], env);
  const r = await runBerth(sessions.doctor.args, { ...env, DOCKER_HOST: fake.host });
  t.equal(r.code, 0, r.stderr);
  t.equal(maskDoctor(r.stdout, fake.host), sessions.doctor.stdout);
  t.equal(r.stderr, '', 'nothing on stderr when all is well (no spinner off a terminal)');
  t.match(r.stdout, /^ping\s+\d+(?:\.\d\d)? ms median of 5 \(\d+(?:\.\d\d)? ms–\d+(?:\.\d\d)? ms\)$/m, 'five pings timed (two decimals below 10 ms)');
  const served = await fake.exited();
  t.equal(served.code, 0, 'every recorded exchange was asked for, and nothing else');
});

t.test('an engine older than API 1.40: exit 4, with what the engine said', async (t) => {
  const dir = shortTempDir(t, 'bdo');
  const old = loadFixture(join(CLI_FIXTURES, 'doctor.json'));
  const ping = old.exchanges[0];
  if (!ping?.response) throw new Error('the doctor fixture starts with a ping');
  ping.response.headers['api-version'] = '1.30';
  ping.response.headers.server = 'Docker/17.06.2-ce (linux)';
  ping.repeat = true;
  old.exchanges = [ping];
  const file = join(dir, 'old.json');
  writeFileSync(file, JSON.stringify(old));
  const env = cleanEnv(t);
  const fake = await BerthServer.start(t, ['replay', file], env);
  const r = await runBerth(['doctor', '--host', fake.host], env);
  t.equal(r.code, 4);
  const [line, hint] = failureLines(t, r);
  t.equal(line, 'error: the engine\'s API version 1.30 is too old: berth needs at least 1.40 (docker 19.03 or newer)');
  t.match(hint, /^hint: berth needs an engine that speaks API 1\.40 or newer/);
  t.match(r.stdout, /^engine\s+dockerd \(Docker\/17\.06\.2-ce \(linux\)\)$/m);
  t.match(r.stdout, /^api\s+none; engine \?–1\.30, berth 1\.40–1\.55$/m);
  const j = await runBerth(['doctor', '--host', fake.host, '--json'], env);
  t.match(report(t, j), { ok: false, exitCode: 4, error: { kind: 'api-version' }, api: { negotiated: null, engineMax: '1.30' }, engine: { kind: 'dockerd', server: 'Docker/17.06.2-ce (linux)' } });
  await fake.stop();
});

t.test('permission denied on the socket: exit 6', async (t) => {
  if (process.getuid?.() !== 0) {
    t.pass('needs root to run the command as another user', { skip: 'not root' });
    return;
  }
  const dir = shortTempDir(t, 'bdp');
  chmodSync(dir, 0o755);
  const env = cleanEnv(t);
  chmodSync(env.DOCKER_CONFIG as string, 0o755);
  const fake = await BerthServer.start(t, ['replay', join(CLI_FIXTURES, 'doctor.json'), '--socket', join(dir, 'engine.sock')], env);
  // the socket is root's and not writable by others: nobody may not connect
  const r = await runBerth(['doctor', '--host', fake.host], { ...env, HOME: '/' }, { uid: 65534, gid: 65534 });
  t.equal(r.code, 6, r.stderr);
  const [line, hint] = failureLines(t, r);
  t.equal(line, `error: permission denied on ${join(dir, 'engine.sock')}`);
  t.match(hint, /^hint: run as a user in the docker group/);
  await fake.stop();
});

t.test('doctor against dockerd 20.10', async (t) => {
  const engine = engineOr(t, 'dockerd-20.10');
  if (!engine) return;
  const env = cleanEnv(t);
  const r = await runBerth(['doctor', '--json'], { ...env, DOCKER_HOST: engine.host });
  t.equal(r.code, 0, r.stdout);
  const rep = report(t, r);
  t.match(rep, {
    ok: true, error: null,
    berth: { minApiVersion: '1.40', maxApiVersion: '1.55', node: process.version },
    endpoint: { url: engine.host, source: 'DOCKER_HOST', context: null },
    tls: { enabled: false },
    api: { negotiated: engine.apiVersion, pinnedBy: null, engineMax: engine.apiVersion, engineMin: '1.12', berthMin: '1.40', berthMax: '1.55' },
    engine: {
      kind: 'dockerd', version: engine.version, server: `Docker/${engine.version} (linux)`, os: 'linux', storageDriver: String,
      cgroupDriver: String, swarm: 'inactive', runtimes: Array, defaultRuntime: 'runc',
    },
    ping: { samples: 5, medianMs: Number },
    warnings: Array,
  });
  t.ok(rep.engine?.runtimes.includes('runc'), 'runtimes listed');
  t.ok((rep.ping?.minMs ?? -1) >= 0 && (rep.ping?.minMs ?? 0) <= (rep.ping?.medianMs ?? -1) && (rep.ping?.medianMs ?? 0) <= (rep.ping?.maxMs ?? -1), 'min ≤ median ≤ max');
  t.same(Object.keys(rep), ['ok', 'exitCode', 'berth', 'endpoint', 'tls', 'api', 'engine', 'ping', 'warnings', 'error'], 'stable top-level fields');

  const pinned = await runBerth(['doctor', '--json', '--host', engine.host], { ...env, DOCKER_API_VERSION: '1.40' });
  t.match(report(t, pinned), { ok: true, api: { negotiated: '1.40', pinnedBy: 'DOCKER_API_VERSION' } });

  const tooNew = await runBerth(['doctor', '--host', engine.host], { ...env, DOCKER_API_VERSION: '1.55' });
  t.equal(tooNew.code, 4, 'a pinned version the engine refuses: exit 4');
  const [line, hint] = failureLines(t, tooNew);
  t.match(line, /API version 1\.55 \(pinned by DOCKER_API_VERSION\) is newer than this engine supports \(maximum 1\.41\)/);
  t.match(hint, /unset DOCKER_API_VERSION/);
});

t.test('doctor through a docker context', async (t) => {
  const engine = engineOr(t, 'dockerd-20.10');
  if (!engine) return;
  const env = cleanEnv(t);
  const config = env.DOCKER_CONFIG as string;
  const meta = join(config, 'contexts', 'meta', contextDirName('build-box'));
  mkdirSync(meta, { recursive: true });
  writeFileSync(join(meta, 'meta.json'), JSON.stringify({ Name: 'build-box', Metadata: {}, Endpoints: { docker: { Host: engine.host, SkipTLSVerify: false } } }));
  const byOption = report(t, await runBerth(['doctor', '--json', '--context', 'build-box'], env));
  t.match(byOption, { ok: true, endpoint: { url: engine.host, source: 'option', context: 'build-box' } });
  const byEnv = report(t, await runBerth(['doctor', '--json'], { ...env, DOCKER_CONTEXT: 'build-box' }));
  t.match(byEnv, { ok: true, endpoint: { source: 'DOCKER_CONTEXT', context: 'build-box' } });
  writeFileSync(join(config, 'config.json'), JSON.stringify({ currentContext: 'build-box' }));
  const byConfig = await runBerth(['doctor'], env);
  t.equal(byConfig.code, 0);
  t.match(byConfig.stdout, /^\s+from\s+context "build-box" \(currentContext in config\.json\)$/m);
});

t.test('doctor against the TLS engine', async (t) => {
  const engine = engineOr(t, 'dockerd-tls');
  if (!engine?.certs) return;
  const certs = engine.certs;
  const env = cleanEnv(t, { DOCKER_HOST: engine.host, DOCKER_TLS_VERIFY: '1' });

  await t.test('with the client certificate: ok', async (t) => {
    const r = await runBerth(['doctor', '--json'], { ...env, DOCKER_CERT_PATH: join(certs, 'client') });
    t.equal(r.code, 0, r.stdout);
    t.match(report(t, r), {
      ok: true,
      endpoint: { url: engine.host, source: 'DOCKER_HOST', description: /\(TLS, verified, client certificate\) from DOCKER_HOST$/ },
      tls: { enabled: true, verify: true, clientCertificate: true, ca: 'file', caFile: join(certs, 'client', 'ca.pem'), certFile: join(certs, 'client', 'cert.pem') },
      api: { negotiated: '1.41' },
    });
  });

  await t.test('without a client certificate: exit 8 and the certificate hint', async (t) => {
    const dir = shortTempDir(t, 'bdt');
    copyFileSync(join(certs, 'ca.pem'), join(dir, 'ca.pem'));
    const r = await runBerth(['doctor'], { ...env, DOCKER_CERT_PATH: dir });
    t.equal(r.code, 8);
    const [line, hint] = failureLines(t, r);
    t.match(line, /^error: /);
    t.match(hint, /client certificate/);
    t.match(r.stdout, /^tls\s+on: engine certificate verified, no client certificate/m);
    const j = await runBerth(['doctor', '--json'], { ...env, DOCKER_CERT_PATH: dir });
    t.match(report(t, j), { ok: false, exitCode: 8, error: { kind: 'certificate' }, tls: { clientCertificate: false } });
  });

  await t.test('an engine certificate from an unknown CA: exit 8', async (t) => {
    const r = await runBerth(['doctor'], { ...env, DOCKER_CERT_PATH: join(certs, 'rogue') });
    t.equal(r.code, 8);
    const [line, hint] = failureLines(t, r);
    t.match(line, /cannot verify the engine's certificate/);
    t.match(hint, /ca\.pem/);
  });

  await t.test('plain HTTP to the TLS port: exit 7, "is this a TLS port?"', async (t) => {
    const r = await runBerth(['doctor', '--host', engine.host], cleanEnv(t));
    t.equal(r.code, 7);
    const [line, hint] = failureLines(t, r);
    t.match(line, /Client sent an HTTP request to an HTTPS server/);
    t.match(hint, /is this a TLS port\?/);
    t.match(r.stdout, /^tls\s+off: plain HTTP$/m);
  });

  await t.test('an unreadable client key: exit 5 naming the file', async (t) => {
    const dir = shortTempDir(t, 'bdk');
    for (const f of ['ca.pem', 'cert.pem']) copyFileSync(join(certs, 'client', f), join(dir, f));
    mkdirSync(join(dir, 'key.pem'));
    const r = await runBerth(['doctor'], { ...env, DOCKER_CERT_PATH: dir });
    t.equal(r.code, 5);
    const [line] = failureLines(t, r);
    t.match(line, new RegExp(`cannot read the TLS client key ${join(dir, 'key.pem').replace(/[.]/g, '\\.')}`));
    t.ok(readFileSync(join(dir, 'cert.pem')).length > 0);
  });
});

t.test('TLS spoken to a plain-HTTP port: exit 7', async (t) => {
  const sessions = loadSessions();
  const env = cleanEnv(t);
  const fake = await BerthServer.start(t, ['replay', join(CLI_FIXTURES, sessions.doctor.fixture), '--listen', '127.0.0.1:0'], env);
  const r = await runBerth(['doctor', '--host', fake.host], { ...env, DOCKER_TLS: '1' });
  t.equal(r.code, 7);
  const [line, hint] = failureLines(t, r);
  t.match(line, /did not answer in TLS/);
  t.match(hint, /is this a TLS port\?/);
  await fake.stop();
});
