import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  Docker, DockerAbortError, DockerConnectionError, DockerTimeoutError, NotFoundError,
} from '../../src/index.js';
import { destroyQuietly } from '../../src/engine/request.js';
import { ReplayServer, type Exchange, type Fixture } from '../../src/testing/index.js';
import { replay } from '../helpers/replay.js';
import { shortTempDir } from '../helpers/tmp.js';

const V = '1.41';
const json = (status: number, body: unknown): Exchange['response'] => ({ statusCode: status, headers: { 'content-type': 'application/json' }, body });
const ex = (method: string, path: string, response: Exchange['response'], extra: Partial<Exchange> = {}): Exchange => ({ request: { method, path }, ...(response ? { response } : {}), ...extra });
const fixture = (exchanges: Exchange[]): Fixture => ({ engine: 'synthetic', apiVersion: V, recordedAt: '', exchanges });
const pin = { docker: { apiVersion: V } };

t.test('error bodies, 304s and JSON bodies are consumed: one keep-alive connection serves them all', (t) => {
  // with a pool of one connection, a body left unread would hold it and the next call would hang
  const exchanges: Exchange[] = [];
  for (let i = 0; i < 30; i++) {
    exchanges.push(ex('GET', `/v${V}/containers/missing${i}/json`, json(404, { message: `No such container: missing${i}` })));
    exchanges.push(ex('POST', `/v${V}/containers/c${i}/start`, { statusCode: 304, headers: {} }));
    exchanges.push(ex('GET', `/v${V}/info`, json(200, { NCPU: i })));
    exchanges.push(ex('GET', `/v${V}/containers/c${i}/logs`, { statusCode: 500, headers: { 'content-type': 'text/plain' }, bodyText: 'x'.repeat(200_000) }));
  }
  return replay(t, [fixture(exchanges)], async ({ docker, server }) => {
    for (let i = 0; i < 30; i++) {
      await t.rejects(docker.requester.json({ method: 'GET', path: `/containers/missing${i}/json` }), NotFoundError);
      const started = await docker.requester.empty({ method: 'POST', path: `/containers/c${i}/start`, okStatuses: [304] });
      t.equal(started.statusCode, 304);
      await docker.requester.json({ method: 'GET', path: '/info' });
      await t.rejects(docker.requester.json({ method: 'GET', path: `/containers/c${i}/logs` }), { name: 'ServerError' });
    }
    t.equal(server.connections.total, 1, 'every body was consumed, so the connection was reused');
  }, { docker: { apiVersion: V, connections: 1 } });
});

t.test('close() leaves no connection open', (t) => replay(t, [fixture([ex('GET', `/v${V}/info`, json(200, {})), ex('GET', `/v${V}/info`, json(200, {}))])], async ({ docker, server }) => {
  await Promise.all([docker.info(), docker.info()]);
  t.ok(server.connections.open >= 1);
  await docker.close();
  await server.idle();
  t.equal(server.connections.open, 0);
  await t.rejects(docker.info(), DockerConnectionError, 'a closed client refuses new calls');
}, { ...pin, allowUnconsumed: false }));

t.test('long streams use their own connections and never starve unary calls', (t) => {
  const streams = Array.from({ length: 20 }, (_, i) => ex('GET', `/v${V}/containers/s${i}/logs`, {
    statusCode: 200, headers: { 'content-type': 'application/vnd.docker.raw-stream' }, chunks: [Buffer.from(`hello ${i}\n`).toString('base64')], open: true,
  }));
  return replay(t, [fixture([...streams, ex('GET', `/v${V}/info`, json(200, { NCPU: 2 }))])], async ({ docker }) => {
    const open = await Promise.all(streams.map((_, i) => docker.requester.send({ method: 'GET', path: `/containers/s${i}/logs`, stream: true })));
    for (const r of open) {
      const first = await new Promise<Buffer>((resolve) => r.body.once('data', resolve));
      t.match(first.toString(), /^hello \d+/);
    }
    const info = await docker.info();
    t.equal(info.NCPU, 2, 'a unary call still gets through with 20 streams open');
    for (const r of open) destroyQuietly(r.body);
  }, { ...pin, docker: { apiVersion: V, connections: 2 } });
});

t.test('abort: before sending, while waiting, while reading a stream', (t) => replay(t, [fixture([
  ex('GET', `/v${V}/info`, undefined, { fault: { kind: 'stall' } }),
  ex('GET', `/v${V}/containers/x/logs`, { statusCode: 200, headers: {}, chunks: [Buffer.from('a').toString('base64')], open: true }),
  ex('GET', `/v${V}/version`, json(200, { ApiVersion: V, Version: 'x', Os: 'linux', Arch: 'amd64' })),
])], async ({ docker, server }) => {
  const pre = new AbortController();
  pre.abort(new Error('not wanted'));
  const e1 = await docker.info({ signal: pre.signal }).then(() => undefined, (e: unknown) => e);
  t.type(e1, DockerAbortError);
  t.equal((e1 as DockerAbortError).reason, pre.signal.reason, 'the signal\'s reason passes through');

  const mid = new AbortController();
  const pending = docker.info({ signal: mid.signal });
  await server.waitForRequests(1);
  mid.abort('user pressed stop');
  const e2 = await pending.then(() => undefined, (e: unknown) => e);
  t.type(e2, DockerAbortError);
  t.equal((e2 as DockerAbortError).reason, 'user pressed stop');

  const body = new AbortController();
  const res = await docker.requester.send({ method: 'GET', path: '/containers/x/logs', stream: true, signal: body.signal });
  const reading = docker.requester.collect(res, 1 << 20, 'logs');
  body.abort(new Error('enough'));
  const e3 = await reading.then(() => undefined, (e: unknown) => e);
  t.type(e3, DockerAbortError, 'aborting mid-body gives DockerAbortError');

  const v = await docker.version();
  t.equal(v.ApiVersion, V, 'the client still works after aborts');
}, pin));

t.test('a call aborted while it waits for a connection fails at once and is never sent', async (t) => {
  const dir = shortTempDir(t, 'bq');
  const server = await ReplayServer.start(fixture([
    ex('GET', `/v${V}/containers/busy/json`, undefined, { fault: { kind: 'stall' } }),
    ex('GET', `/v${V}/info`, json(200, { NCPU: 3 })),
  ]), { listen: { socketPath: join(dir, 'engine.sock') } });
  t.teardown(() => server.close());
  // one connection: the second call queues behind the stalled first
  const docker = new Docker({ host: server.url, env: {}, apiVersion: V, connections: 1 });
  t.teardown(() => docker.close());
  const first = new AbortController();
  const stalled = docker.requester.json({ method: 'GET', path: '/containers/busy/json', timeout: 0, signal: first.signal }).then(() => undefined, (e: unknown) => e);
  await server.waitForRequests(1);
  const queued = new AbortController();
  const waiting = docker.info({ signal: queued.signal }).then(() => undefined, (e: unknown) => e);
  queued.abort(new Error('no longer wanted'));
  const err = await waiting;
  t.type(err, DockerAbortError, 'the queued call fails without waiting for the connection');
  t.equal((err as DockerAbortError).reason, queued.signal.reason, 'the signal\'s reason passes through');
  first.abort(new Error('stop waiting'));
  t.type(await stalled, DockerAbortError);
  // had the aborted call been sent once the connection was free, it would have taken the info answer
  t.equal((await docker.info()).NCPU, 3, 'the next call gets the answer the aborted one never asked for');
  t.equal(server.requests.length, 2);
  server.assertDone();
});

t.test('a stalled engine gives DockerTimeoutError within the timeout', (t) => replay(t, [fixture([
  ex('GET', `/v${V}/info`, undefined, { fault: { kind: 'stall' } }),
])], async ({ docker }) => {
  const err = await docker.info({ timeout: 200 }).then(() => undefined, (e: unknown) => e);
  t.type(err, DockerTimeoutError);
  t.match((err as Error).message, /did not answer in time/);
}, pin));

t.test('replay server and client over TCP with mutual TLS', async (t) => {
  const dir = shortTempDir(t, 'btls');
  const certs = join(dir, 'certs');
  execFileSync(join(process.cwd(), 'scripts', 'engine.sh'), ['certs', certs]);
  const read = (f: string): Buffer => readFileSync(join(certs, f));
  const server = await ReplayServer.start(fixture([
    ex('HEAD', '/_ping', { statusCode: 200, headers: { 'api-version': '1.45', ostype: 'linux' } }),
    ex('GET', '/v1.45/info', json(200, { NCPU: 8 })),
  ]), { listen: { host: '127.0.0.1', port: 0, tls: { key: read('server/key.pem'), cert: read('server/cert.pem'), ca: read('ca.pem'), requestCert: true } } });
  t.teardown(() => server.close());
  const docker = new Docker({ env: { DOCKER_HOST: server.url, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: join(certs, 'client') } });
  t.teardown(() => docker.close());
  t.equal((await docker.info()).NCPU, 8);
  t.equal(docker.apiVersion, '1.45');
  server.assertDone();
});
