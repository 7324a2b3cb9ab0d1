import t from 'tap';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ReplayServer, type Fixture } from '../../src/testing/index.js';
import { shortTempDir } from '../helpers/tmp.js';

/**
 * `beforeUpgradeChunk`: a test playing what is outside the engine holds a
 * chunk of hijacked output until its cause happened; the chunks sent with
 * the head are not held.
 */

const b64 = (s: string): string => Buffer.from(s).toString('base64');

const fixture: Fixture = {
  engine: 'dockerd-test', apiVersion: '1.41', recordedAt: '2026-01-01T00:00:00.000Z',
  exchanges: [{
    request: { method: 'POST', path: '/v1.41/containers/c/attach', query: { stream: '1' } },
    upgrade: {
      statusLine: 'HTTP/1.1 101 UPGRADED', headers: { 'Content-Type': 'application/vnd.docker.raw-stream', Connection: 'Upgrade', Upgrade: 'tcp' },
      toClient: [b64('first;'), { data: b64('second;'), afterRequests: 1 }, { data: b64('third;'), afterRequests: 1 }],
      fromClient: [],
    },
  }],
};

t.test('a held chunk goes out when the hook lets it, and not before', async (t) => {
  const dir = shortTempDir(t, 'bru');
  const calls: Array<[number, number, string]> = [];
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => { release = resolve; });
  const server = await ReplayServer.start(fixture, {
    listen: { socketPath: join(dir, 'e.sock') },
    beforeUpgradeChunk: (exchange, chunk, data) => {
      calls.push([exchange, chunk, data.toString()]);
      return chunk === 1 ? held : undefined;
    },
  });
  t.teardown(() => server.close());
  const socket = connect(join(dir, 'e.sock'));
  let got = '';
  const ended = new Promise<void>((resolve) => socket.once('end', resolve));
  socket.setEncoding('utf8').on('data', (d: string) => { got += d; });
  socket.write('POST /v1.41/containers/c/attach?stream=1 HTTP/1.1\r\nHost: engine\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n');
  await server.waitForRequests(1);
  while (!got.includes('first;')) await new Promise((r) => setImmediate(r));
  // every turn the server could take to send more: it must not
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  t.notMatch(got, /second/, 'the held chunk waits');
  t.same(calls, [[0, 1, 'second;']], 'the hook is asked for the timed chunks only, in order');
  release();
  await ended;
  t.match(got, /first;second;third;$/, 'then it and the rest go out, in order, and the answer ends');
  t.same(calls, [[0, 1, 'second;'], [0, 2, 'third;']]);
  socket.destroy();
});
