import t from 'tap';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import {
  Docker, DockerConnectionError, DockerProtocolError, ServerError,
} from '../../src/index.js';
import { MAX_HEAD_BYTES } from '../../src/engine/streams/hijack.js';
import { shortTempDir, type Teardown } from '../helpers/tmp.js';
import { collect, frame } from '../helpers/streams.js';

/**
 * Answers no recorded engine gives but a proxy or a broken engine might:
 * a raw server writes exactly the bytes each case needs.
 */

type Handler = (socket: Socket, request: Buffer) => void;

/** A raw server on a unix socket (or TCP) calling `handler` once the request head (and its body) arrived. */
async function rawEngine(t: Teardown, handler: Handler, tcp = false): Promise<{ docker: Docker; server: Server; closed: Promise<void> }> {
  let closedResolve: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => { closedResolve = resolve; });
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.on('close', () => closedResolve());
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(buf.toString('latin1', 0, end))?.[1] ?? 0);
      if (buf.length < end + 4 + length) return;
      socket.off('data', onData);
      handler(socket, buf);
    };
    socket.on('data', onData);
  });
  let host: string;
  if (tcp) {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`;
  } else {
    const path = join(shortTempDir(t, 'bw'), 'engine.sock');
    await new Promise<void>((resolve) => server.listen(path, resolve));
    host = `unix://${path}`;
  }
  const docker = new Docker({ host, env: {}, apiVersion: '1.41' });
  t.teardown(async () => {
    await docker.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { docker, server, closed };
}

const attach = { method: 'POST', path: '/containers/c/attach', query: { stream: 1, stdout: 1 } } as const;

t.test('a refused upgrade with a chunked body (through a proxy)', async (t) => {
  const { docker } = await rawEngine(t, (s) => {
    s.write('HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n');
    s.write('d\r\nupstream was \r\n');
    s.write('8\r\nunhappy\n\r\n0\r\n\r\n'); // and the connection stays open
  });
  const err = await docker.requester.upgrade(attach).then(() => undefined, (e: unknown) => e);
  t.type(err, ServerError);
  t.equal((err as ServerError).engineMessage, 'upstream was unhappy');
});

t.test('the response head arriving a byte at a time', async (t) => {
  const { docker } = await rawEngine(t, (s) => {
    const bytes = Buffer.concat([Buffer.from('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n'), frame(1, 'x')]);
    let i = 0;
    const next = (): void => {
      if (i < bytes.length) s.write(bytes.subarray(i, ++i), next);
      else s.end();
    };
    next();
  });
  const h = await docker.requester.upgrade(attach);
  t.equal(h.statusCode, 101);
  const r = await collect(h.frames({ tty: false }));
  t.same(r.items.map((f) => f.data.toString()), ['x']);
});

t.test('a response head over 64 KiB is a protocol error, and the connection is dropped', async (t) => {
  const { docker, closed } = await rawEngine(t, (s) => {
    s.write(`HTTP/1.1 101 UPGRADED\r\nX-Big: ${'a'.repeat(MAX_HEAD_BYTES)}\r\n`);
  });
  await t.rejects(docker.requester.upgrade(attach), new DockerProtocolError(`the engine's response head to POST /v1.41/containers/c/attach exceeds ${MAX_HEAD_BYTES} bytes`));
  await closed;
  t.pass('the server saw the connection close');
});

t.test('a connection closed before any answer is a connection error', async (t) => {
  const { docker } = await rawEngine(t, (s) => s.end());
  const err = await docker.requester.upgrade(attach).then(() => undefined, (e: unknown) => e);
  t.type(err, DockerConnectionError);
  t.match((err as Error).message, /the engine closed the connection \(before answering\)/);
});

t.test('200 without an upgrade: a raw stream readable until the engine closes', async (t) => {
  const { docker } = await rawEngine(t, (s) => {
    s.end('HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\nraw output');
  });
  const h = await docker.requester.upgrade(attach);
  t.equal(h.statusCode, 200);
  t.equal(Buffer.concat((await collect(h.frames({ tty: true }))).items.map((f) => f.data)).toString(), 'raw output');
});

t.test('200 with a chunked body, or another 2xx, did not hijack: a protocol error', async (t) => {
  for (const head of ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', 'HTTP/1.1 204 No Content\r\n\r\n']) {
    const { docker } = await rawEngine(t, (s) => s.write(head));
    await t.rejects(docker.requester.upgrade(attach), { name: 'DockerProtocolError', message: /without hijacking the connection/ }, head.split('\r\n')[0] ?? head);
  }
});

t.test('an error body is read up to 1 MiB, whatever the engine sends', async (t) => {
  const { docker } = await rawEngine(t, (s) => {
    s.write('HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\n');
    const mb = Buffer.alloc(1 << 20, 0x7a);
    const more = (): void => {
      if (!s.destroyed) s.write(mb, more); // endless: the client must stop reading on its own
    };
    more();
  });
  const err = await docker.requester.upgrade(attach).then(() => undefined, (e: unknown) => e);
  t.type(err, ServerError);
  t.ok((err as ServerError).engineMessage.length <= 2001, 'the message is cut');
});

t.test('a reset on a hijacked connection nobody reads does not crash the process', async (t) => {
  const { docker } = await rawEngine(t, (s) => {
    s.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n', () => s.resetAndDestroy());
  }, true);
  const h = await docker.requester.upgrade(attach);
  await h.closed; // the kernel reports the RST as an error or as an end: either way, nothing is thrown at the process
  const r = await collect(h.frames({ tty: true }));
  t.ok(r.error === undefined || r.error instanceof DockerConnectionError, `reading afterwards: ${String(r.error ?? 'ended')}`);
  await t.rejects(h.write('x'), /cannot write stdin: the connection is closed/);
});

t.test('a socket error with no reader is kept for the next read', async (t) => {
  const { docker } = await rawEngine(t, (s) => {
    s.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n');
  });
  const h = await docker.requester.upgrade(attach);
  h.socket.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', syscall: 'read' }));
  await h.closed;
  const r = await collect(h.frames({ tty: true }));
  t.type(r.error, DockerConnectionError);
  t.match(r.error, { syscallCode: 'ECONNRESET', method: 'POST', path: '/v1.41/containers/c/attach', message: /the engine closed the connection/ });
});
