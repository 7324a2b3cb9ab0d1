import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { inspect } from 'node:util';
import t from 'tap';
import { Docker, DockerError, encodeAuthHeader } from '../../src/index.js';
import { RecordingProxy } from '../../src/testing/index.js';
import { frame } from '../helpers/streams.js';
import { shortTempDir } from '../helpers/tmp.js';

/**
 * Credentials stay where they belong. A stand-in engine answers the way a
 * real one does where secrets show up — a container's environment in its
 * inspect, a worker printing its password, an engine error after a push
 * with credentials — and everything berth produces from it (the recorded
 * fixture, errors, warnings) is searched for every secret, in clear and in
 * the encodings it travels in.
 */

const PUSH_PASSWORD = 'push-pass-6d1f0c';
const WORKER_PASSWORD = 'worker-pass-93ab2e';
const PRINTED_SECRET = 'printed-secret-51c7';
const API = '1.45';

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks).toString()));
  });
}

/** The stand-in engine: the few answers the test needs, shaped like dockerd's. */
async function engine(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const sent = await body(req);
  const json = (status: number, value: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json', 'api-version': API }).end(JSON.stringify(value));
  };
  const path = (req.url ?? '').replace(/^\/v[\d.]+/, '').replace(/\?.*$/, '');
  if (path === '/_ping' || path === '/version') {
    json(200, { Version: '26.1.5', ApiVersion: API, MinAPIVersion: '1.24', Os: 'linux', Arch: 'amd64' });
  } else if (path === '/containers/create') {
    const env = (JSON.parse(sent) as { Env?: string[] }).Env ?? [];
    json(201, { Id: 'c0ffee'.padEnd(64, '0'), Warnings: [], EchoedEnv: env });
  } else if (path.endsWith('/json') && path.startsWith('/containers/')) {
    json(200, { Id: 'c0ffee'.padEnd(64, '0'), Config: { Env: [`WORKERPASS=${WORKER_PASSWORD}`, 'WORKERNAME=w1'], Tty: false }, State: { Status: 'running' } });
  } else if (path.endsWith('/logs')) {
    res.writeHead(200, { 'content-type': 'application/vnd.docker.multiplexed-stream', 'api-version': API });
    res.end(Buffer.concat([frame(1, 'worker starting\n'), frame(2, `connecting with ${PRINTED_SECRET}\n`), frame(1, 'connected\n')]));
  } else if (path.endsWith('/push')) {
    json(401, { message: 'unauthorized: authentication required' });
  } else {
    json(404, { message: `page not found: ${path}` });
  }
}

t.test('a recording keeps no credential, and errors carry none', async (t) => {
  const dir = shortTempDir(t, 'bsec');
  const server = createServer((req, res) => void engine(req, res));
  await new Promise<void>((resolve) => server.listen(join(dir, 'engine.sock'), resolve));
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  const recorder = await RecordingProxy.start({ target: `unix://${join(dir, 'engine.sock')}`, listen: { socketPath: join(dir, 'rec.sock') }, secrets: [PRINTED_SECRET] });
  t.teardown(() => recorder.close());
  const docker = new Docker({ host: recorder.url, env: {} });
  t.teardown(() => docker.close());
  const warnings: string[] = [];
  docker.on('warning', (w) => warnings.push(w));

  const created = await docker.containers.create({ Image: 'worker:1', Env: [`WORKERPASS=${WORKER_PASSWORD}`, 'WORKERNAME=w1'] });
  t.equal(created.Id.length, 64);
  const inspected = await docker.containers.inspect(created.Id);
  t.same(inspected.Config?.Env, [`WORKERPASS=${WORKER_PASSWORD}`, 'WORKERNAME=w1'], 'the client itself sees the real values');
  const logs = await docker.containers.logsBuffer(created.Id, { stdout: true, stderr: true });
  t.match(logs.stderr.toString(), PRINTED_SECRET, 'and the real output');

  const auth = { username: 'builder', password: PUSH_PASSWORD, serveraddress: '127.0.0.1:5000' };
  const push = docker.images.push('127.0.0.1:5000/berth/app:1', { auth });
  const error = await push.then(() => undefined, (e: unknown) => e);
  t.type(error, DockerError, 'the failed push is a typed error');
  const header = encodeAuthHeader(auth);
  const everything = [
    String(error), inspect(error, { showHidden: true, depth: 10 }), JSON.stringify(error),
    (error as Error).stack ?? '', ...warnings,
  ].join('\n');
  for (const secret of [PUSH_PASSWORD, header, Buffer.from(JSON.stringify(auth)).toString('base64')]) {
    t.notMatch(everything, secret, 'the push error shows no credential in any form');
  }
  t.match(String(error), /401|unauthorized/, 'it says what the engine said');

  const path = join(dir, 'session.json');
  await recorder.save(path);
  const text = readFileSync(path, 'utf8');
  // streamed answers are kept as base64 chunks: search them decoded too
  const chunks = [...text.matchAll(/"chunks": \[([^\]]*)\]/g)]
    .flatMap((m) => [...(m[1] ?? '').matchAll(/"([A-Za-z0-9+/=]+)"/g)].map((c) => Buffer.from(c[1] ?? '', 'base64').toString('latin1')));
  const fixture = [text, ...chunks].join('\n');
  t.match(fixture, /\/containers\/create/, 'the session was recorded');
  for (const secret of [WORKER_PASSWORD, PUSH_PASSWORD, PRINTED_SECRET, header, header.slice(0, 24)]) {
    t.notMatch(fixture, secret, 'the fixture holds no secret');
  }
  t.match(fixture, /WORKERPASS=<redacted>/, 'secret environment entries are redacted in requests and answers');
  t.match(fixture, /"x-registry-auth": "<redacted>"/, 'the registry auth header is redacted');
  t.ok(chunks.length > 0, 'the log answer was kept as chunks');
  t.match(fixture, /connecting with \*{19}\n/, 'a registered secret inside a stream is masked byte for byte (frame sizes stay valid)');
});

t.test('plain TCP to another host is warned about; loopback, unix sockets and TLS are not', async (t) => {
  const warned = async (options: ConstructorParameters<typeof Docker>[0]): Promise<string[]> => {
    const docker = new Docker(options);
    const seen: string[] = [];
    docker.on('warning', (w) => seen.push(w));
    await new Promise((resolve) => setImmediate(resolve));
    await docker.close();
    return seen;
  };
  const remote = await warned({ host: 'tcp://192.0.2.10:2375', env: {} });
  t.equal(remote.length, 1);
  t.match(remote[0], /plain HTTP \(no TLS\) to tcp:\/\/192\.0\.2\.10:2375/);
  t.same(await warned({ host: 'tcp://127.0.0.1:2375', env: {} }), [], 'loopback');
  t.same(await warned({ host: 'tcp://[::1]:2375', env: {} }), [], 'IPv6 loopback');
  t.same(await warned({ host: 'unix:///tmp/none.sock', env: {} }), [], 'unix socket');
  t.same(await warned({ host: 'tcp://192.0.2.10:2376', tls: { verify: true }, env: {} }), [], 'TLS');
});
