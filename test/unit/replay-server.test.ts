import t from 'tap';
import { writeFileSync, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { Client } from 'undici';
import { RecordingProxy, ReplayServer, type Fixture } from '../../src/testing/index.js';
import { claimSocketPath } from '../../src/testing/socket-path.js';
import { shortTempDir } from '../helpers/tmp.js';

const fixture = (chunks: string[]): Fixture => ({
  engine: 'dockerd-test', apiVersion: '1.41', recordedAt: '2026-01-01T00:00:00.000Z',
  exchanges: [
    { request: { method: 'HEAD', path: '/_ping' }, response: { statusCode: 200, headers: { 'api-version': '1.41' } }, repeat: true },
    { request: { method: 'GET', path: '/v1.41/version' }, response: { statusCode: 200, headers: { 'content-type': 'application/json' }, body: { Version: '20.10' } } },
    {
      request: { method: 'GET', path: '/v1.41/containers/c/logs', query: { stdout: '1' } },
      response: { statusCode: 200, headers: { 'content-type': 'application/vnd.docker.raw-stream' }, chunks: chunks.map((c) => Buffer.from(c).toString('base64')) },
    },
  ],
});

async function get(socketPath: string, path: string): Promise<string> {
  const client = new Client('http://engine', { socketPath });
  try {
    return await (await client.request({ method: 'GET', path })).body.text();
  } finally {
    await client.close();
  }
}

/** Leaves a socket file nobody listens on: its listener is killed before it could remove it. */
async function staleSocket(path: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', "require('net').createServer().listen(process.argv[1], () => console.log('up'))", path], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

t.test('consumed() resolves once every non-repeat exchange was answered completely', async (t) => {
  const dir = shortTempDir(t, 'brs');
  const socketPath = join(dir, 'e.sock');
  const server = await ReplayServer.start(fixture(['one\n', 'two\n']), { listen: { socketPath } });
  t.teardown(() => server.close());
  let done = false;
  const consumed = server.consumed().then(() => { done = true; });
  const client = new Client('http://engine', { socketPath });
  t.teardown(() => client.close());
  await (await client.request({ method: 'HEAD', path: '/_ping' })).body.dump();
  await (await client.request({ method: 'GET', path: '/v1.41/version' })).body.text();
  await new Promise((r) => setImmediate(r));
  t.equal(done, false, 'not before the logs exchange');
  const logs = await client.request({ method: 'GET', path: '/v1.41/containers/c/logs?stdout=1' });
  t.equal(await logs.body.text(), 'one\ntwo\n', 'the streamed body was complete when consumed() resolved');
  await consumed;
  t.equal(done, true);
  t.same(server.report(), { unconsumed: [], misses: [] });
  // already consumed: resolves at once
  await server.consumed();
});

t.test('consumed() resolves at once for a fixture of only repeatable exchanges', async (t) => {
  const dir = shortTempDir(t, 'brs');
  const only: Fixture = { ...fixture([]), exchanges: fixture([]).exchanges.slice(0, 1) };
  const server = await ReplayServer.start(only, { listen: { socketPath: join(dir, 'e.sock') } });
  t.teardown(() => server.close());
  await server.consumed();
  t.pass('resolved');
});

t.test('claimSocketPath: removes a stale socket, refuses a live one and any other file', async (t) => {
  const dir = shortTempDir(t, 'bsp');
  await claimSocketPath(join(dir, 'absent.sock'));
  t.pass('a path that does not exist is free');

  const file = join(dir, 'notes.txt');
  writeFileSync(file, 'keep me');
  await t.rejects(claimSocketPath(file), { code: 'EEXIST', message: /is not a socket; refusing to replace it/ });
  t.equal(readFileSync(file, 'utf8'), 'keep me', 'the file is untouched');

  const live = join(dir, 'live.sock');
  const listener = createServer((s) => s.end());
  await new Promise<void>((resolve) => listener.listen(live, resolve));
  t.teardown(() => new Promise<void>((resolve) => listener.close(() => resolve())));
  await t.rejects(claimSocketPath(live), { code: 'EADDRINUSE', message: /in use/ });
  t.ok(existsSync(live), 'the live socket stays');

  const stale = join(dir, 'stale.sock');
  await staleSocket(stale);
  t.ok(existsSync(stale), 'a killed listener leaves its socket file');
  await claimSocketPath(stale);
  t.notOk(existsSync(stale), 'the stale socket was removed');
});

t.test('the replay server and the recording proxy refuse to take over a live socket', async (t) => {
  const dir = shortTempDir(t, 'bsp');
  const path = join(dir, 'engine.sock');
  const first = await ReplayServer.start(fixture([]), { listen: { socketPath: path } });
  t.teardown(() => first.close());
  await t.rejects(ReplayServer.start(fixture([]), { listen: { socketPath: path } }), { code: 'EADDRINUSE' });
  await t.rejects(RecordingProxy.start({ target: `unix://${path}`, listen: { socketPath: path } }), { code: 'EADDRINUSE' });
  t.equal(await get(path, '/v1.41/version'), '{"Version":"20.10"}\n', 'the first server still answers');
});
