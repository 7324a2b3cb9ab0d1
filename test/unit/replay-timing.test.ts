import t from 'tap';
import { join } from 'node:path';
import { Pool } from 'undici';
import { Docker } from '../../src/index.js';
import { RecordingProxy, ReplayServer, type Exchange, type Fixture } from '../../src/testing/index.js';
import { shortTempDir } from '../helpers/tmp.js';

/**
 * Long answers keep their place among the other requests: the recorder notes
 * how many requests the client had made when the engine sent each part, and
 * replay holds the part until it has seen as many. A wait registered before
 * a start gets its headers at once and its result after the stop.
 */

const JSON_HEADERS = { 'content-type': 'application/json' };

/** An engine whose wait answers after the stop, and whose attach output ends after it too. */
const engine: Fixture = {
  engine: 'dockerd-test', apiVersion: '1.41', recordedAt: '2026-01-01T00:00:00.000Z',
  exchanges: [
    {
      request: { method: 'POST', path: '/v1.41/containers/c/wait', query: { condition: 'next-exit' } },
      response: { statusCode: 200, headers: JSON_HEADERS, body: { StatusCode: 137 }, timing: { body: 4 } },
    },
    {
      request: { method: 'GET', path: '/v1.41/containers/c/logs', query: { follow: '1' } },
      response: {
        statusCode: 200, headers: { 'content-type': 'application/vnd.docker.raw-stream' },
        chunks: [Buffer.from('early\n').toString('base64'), Buffer.from('late\n').toString('base64')],
        timing: { chunks: [0, 4], end: 4 },
      },
    },
    { request: { method: 'POST', path: '/v1.41/containers/c/stop' }, response: { statusCode: 204, headers: {} } },
    {
      request: { method: 'POST', path: '/v1.41/containers/create', body: { Env: ['WORKERNAME=w', 'WORKERPASS=<redacted>'] } },
      response: { statusCode: 201, headers: JSON_HEADERS, body: { Id: 'c', Warnings: [] } },
    },
  ],
};

/** The client's view of one run: what arrived before the stop was sent. */
async function run(socketPath: string, password: string): Promise<{ beforeStop: string[]; wait: string; logs: string }> {
  const client = new Pool('http://engine', { socketPath });
  const seen: string[] = [];
  try {
    const created = await client.request({
      method: 'POST', path: '/v1.41/containers/create', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Env: ['WORKERNAME=w', `WORKERPASS=${password}`] }),
    });
    seen.push(`create ${created.statusCode}`);
    await created.body.dump();
    const wait = await client.request({ method: 'POST', path: '/v1.41/containers/c/wait?condition=next-exit' });
    seen.push(`wait headers ${wait.statusCode}`);
    const logs = await client.request({ method: 'GET', path: '/v1.41/containers/c/logs?follow=1' });
    const logChunks: string[] = [];
    const reading = (async () => {
      for await (const c of logs.body) {
        logChunks.push(String(c));
        seen.push(`logs ${String(c).trim()}`);
      }
    })();
    let waitBody = '';
    const waiting = wait.body.text().then((text) => { waitBody = text; seen.push('wait body'); });
    // give every held part the chance to arrive early (it must not)
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    const beforeStop = [...seen];
    await (await client.request({ method: 'POST', path: '/v1.41/containers/c/stop' })).body.dump();
    await Promise.all([waiting, reading]);
    return { beforeStop, wait: waitBody, logs: logChunks.join('') };
  } finally {
    await client.close();
  }
}

t.test('replay holds the timed parts of an answer until the requests that came before them', async (t) => {
  const dir = shortTempDir(t, 'brt');
  const server = await ReplayServer.start(engine, { listen: { socketPath: join(dir, 'e.sock') } });
  t.teardown(() => server.close());
  const r = await run(join(dir, 'e.sock'), 'hunter2-any-value');
  t.same(r.beforeStop, ['create 201', 'wait headers 200', 'logs early'], 'the wait result and the late output wait for the stop');
  t.equal(r.wait, '{"StatusCode":137}\n');
  t.equal(r.logs, 'early\nlate\n');
  t.same(server.report(), { unconsumed: [], misses: [] }, 'WORKERPASS=<redacted> matched another password');
});

t.test('the recorder notes when each part came, and what it recorded replays in the same order', async (t) => {
  const dir = shortTempDir(t, 'brt');
  const upstream = await ReplayServer.start(engine, { listen: { socketPath: join(dir, 'up.sock') } });
  t.teardown(() => upstream.close());
  const proxy = await RecordingProxy.start({ target: `unix://${join(dir, 'up.sock')}`, listen: { socketPath: join(dir, 'rec.sock') } });
  t.teardown(() => proxy.close());
  const live = await run(join(dir, 'rec.sock'), 'the-real-password');
  t.same(live.beforeStop, ['create 201', 'wait headers 200', 'logs early']);
  await proxy.settle();
  const recorded = proxy.fixture();
  const byPath = (suffix: string): Exchange | undefined => recorded.exchanges.find((e) => e.request.path.endsWith(suffix));
  t.same(byPath('/wait')?.response?.timing, { body: 4 }, 'the wait result came after the fourth request (the stop)');
  t.same(byPath('/logs')?.response?.timing, { chunks: [0, 4] }, 'the late output came after the stop (and the end with it)');
  t.notOk(byPath('/create')?.response?.timing, 'an immediate answer has no timing');
  t.same(byPath('/create')?.request.body, { Env: ['WORKERNAME=w', 'WORKERPASS=<redacted>'] }, 'the password was scrubbed');
  t.notMatch(JSON.stringify(recorded), /the-real-password/, 'nowhere in the fixture');

  const server = await ReplayServer.start(recorded, { listen: { socketPath: join(dir, 'again.sock') } });
  t.teardown(() => server.close());
  const again = await run(join(dir, 'again.sock'), 'yet-another-password');
  t.same(again, live, 'the replay of the recording is what the client saw live');
  t.same(server.report(), { unconsumed: [], misses: [] });
});

t.test('a hijacked stream: output and end held until the requests that came before them', async (t) => {
  const dir = shortTempDir(t, 'brt');
  const raw = (s: string): string => Buffer.from(s).toString('base64');
  const fixture: Fixture = {
    engine: 'dockerd-test', apiVersion: '1.43', recordedAt: '2026-01-01T00:00:00.000Z',
    exchanges: [
      { request: { method: 'HEAD', path: '/_ping' }, response: { statusCode: 200, headers: { 'api-version': '1.43' } }, repeat: true },
      {
        request: { method: 'POST', path: '/v1.43/containers/c/attach', query: { stream: '1', stdin: '0', stdout: '1', stderr: '1', logs: '1' } },
        upgrade: {
          statusLine: 'HTTP/1.1 101 UPGRADED', headers: { 'Content-Type': 'application/vnd.docker.raw-stream' },
          toClient: [{ data: raw('before\n') }, { data: raw('after start\n'), afterRequests: 2 }], fromClient: [], endAfterRequests: 3,
        },
      },
      { request: { method: 'POST', path: '/v1.43/containers/c/start' }, response: { statusCode: 204, headers: {} } },
      { request: { method: 'POST', path: '/v1.43/containers/c/stop' }, response: { statusCode: 204, headers: {} } },
    ],
  };
  const server = await ReplayServer.start(fixture, { listen: { socketPath: join(dir, 'e.sock') } });
  t.teardown(() => server.close());
  const docker = new Docker({ host: server.url, env: {}, apiVersion: '1.43' });
  t.teardown(() => docker.close());
  const stdio = await docker.containers.attach('c', { logs: true });
  const seen: string[] = [];
  const reading = (async () => {
    for await (const f of stdio.frames()) seen.push(f.data.toString().trim());
    seen.push('end');
  })();
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  t.same(seen, ['before'], 'only what the engine had before the start');
  await docker.containers.start('c');
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  t.same(seen, ['before', 'after start'], 'the output after the start, and no end yet');
  await docker.containers.stop('c');
  await reading;
  t.same(seen, ['before', 'after start', 'end'], 'the end after the stop');
  t.same(server.report(), { unconsumed: [], misses: [] });
});
