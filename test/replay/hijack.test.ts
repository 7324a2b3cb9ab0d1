import t from 'tap';
import {
  ConflictError, DockerAbortError, DockerConnectionError, DockerTimeoutError, NotFoundError,
  type Frame,
} from '../../src/index.js';
import type { Exchange, Fixture, UpgradeChunk } from '../../src/testing/index.js';
import { API_ENGINES } from '../helpers/engines.js';
import { fixturePath, replay } from '../helpers/replay.js';
import { collect, frame } from '../helpers/streams.js';
import { attachStdin } from '../scenarios/streams.js';

const RAW = 'application/vnd.docker.raw-stream';
const MUX = 'application/vnd.docker.multiplexed-stream';
const ATTACH_QUERY = { stream: '1', stdin: '1', stdout: '1', stderr: '1' };
const attachSpec = { method: 'POST', path: '/containers/c1/attach', query: { stream: true, stdin: true, stdout: true, stderr: true } } as const;

function fixture(exchanges: Exchange[]): Fixture {
  return { engine: 'synthetic', apiVersion: '', recordedAt: '', exchanges };
}

const b64 = (data: string | Buffer): string => (typeof data === 'string' ? Buffer.from(data) : data).toString('base64');

function upgraded(path: string, options: {
  contentType?: string; toClient?: Array<string | Buffer | { data: string | Buffer; afterClientBytes: number }>;
  fromClient?: string[]; end?: boolean; body?: unknown; query?: Record<string, string>;
}): Exchange {
  const toClient: UpgradeChunk[] = (options.toClient ?? []).map((c) => (typeof c === 'string' || Buffer.isBuffer(c)
    ? { data: b64(c) }
    : { data: b64(c.data), afterClientBytes: c.afterClientBytes }));
  return {
    request: { method: 'POST', path, ...(options.query ? { query: options.query } : {}), ...(options.body !== undefined ? { body: options.body } : {}) },
    upgrade: {
      statusLine: 'HTTP/1.1 101 UPGRADED',
      headers: { 'Content-Type': options.contentType ?? RAW, Connection: 'Upgrade', Upgrade: 'tcp' },
      toClient,
      fromClient: (options.fromClient ?? []).map(b64),
      ...(options.end === false ? { end: false } : {}),
    },
  };
}

function refused(path: string, statusCode: number, statusMessage: string, contentType: string, body: string | object): Exchange {
  return {
    request: { method: 'POST', path, ...(path.endsWith('/attach') ? { query: ATTACH_QUERY } : {}) },
    response: {
      statusCode, statusMessage, headers: { 'content-type': contentType },
      ...(typeof body === 'string' ? { bodyText: body } : { body }),
    },
  };
}

const text = (frames: readonly Frame[], stream?: string): string =>
  Buffer.concat(frames.filter((f) => stream === undefined || f.stream === stream).map((f) => f.data)).toString('utf8');

const pinned = (v: string): { docker: { apiVersion: string } } => ({ docker: { apiVersion: v } });

t.test('101 with a raw (TTY) stream', (t) => replay(t, [fixture([
  upgraded('/v1.41/containers/c1/attach', { query: ATTACH_QUERY, toClient: ['hello from a tty\r\n', '$ '] }),
])], async ({ docker, server }) => {
  const h = await docker.requester.upgrade(attachSpec);
  t.equal(h.statusCode, 101);
  t.equal(h.contentType, RAW);
  t.equal(h.multiplexed(true), false, 'below 1.42 the Tty decides');
  t.equal(h.multiplexed(false), true);
  const r = await collect(h.frames({ tty: true }));
  t.equal(r.error, undefined);
  t.same(r.items.map((f) => f.stream), r.items.map(() => 'stdout'));
  t.equal(text(r.items), 'hello from a tty\r\n$ ');
  await h.closed;
  const seen = server.requests[0];
  t.equal(seen?.headers.connection, 'Upgrade');
  t.equal(seen?.headers.upgrade, 'tcp');
  t.match(seen?.headers['user-agent'], /^berth\//);
  t.equal(seen?.headers.host, 'api.moby.localhost');
  t.equal(seen?.headers['content-length'], undefined, 'no body, no Content-Length');
}, pinned('1.41')));

t.test('101 with a multiplexed stream: frames cut anywhere by the chunks', (t) => {
  const wire = Buffer.concat([frame(1, 'out 1\n'), frame(2, 'err 1\n'), frame(1, 'out 2\n'), frame(2, '')]);
  return replay(t, [fixture([
    upgraded('/v1.45/containers/c1/attach', { query: ATTACH_QUERY, contentType: MUX, toClient: [wire.subarray(0, 3), wire.subarray(3, 17), wire.subarray(17)] }),
  ])], async ({ docker }) => {
    const h = await docker.requester.upgrade(attachSpec);
    t.equal(h.multiplexed(), true, 'from 1.42 the Content-Type decides');
    t.equal(h.multiplexed(true), true, 'even against the tty hint');
    const r = await collect(h.frames());
    t.equal(r.error, undefined);
    t.same(r.items.map((f) => `${f.stream}:${f.data.toString()}`), ['stdout:out 1\n', 'stderr:err 1\n', 'stdout:out 2\n']);
  }, pinned('1.45'));
});

t.test('bytes that arrive with the response head are kept in front of the output', (t) => replay(t, [fixture([
  upgraded('/v1.45/containers/c1/attach', { query: ATTACH_QUERY, contentType: MUX, toClient: [frame(1, 'early bird\n'), frame(2, 'also early\n')] }),
])], async ({ docker }) => {
  const h = await docker.requester.upgrade(attachSpec);
  t.equal(h.output.readableLength, 2 * 8 + 11 + 11, 'the bytes read with the head are already buffered for the consumer');
  const r = await collect(h.frames());
  t.equal(text(r.items, 'stdout'), 'early bird\n');
  t.equal(text(r.items, 'stderr'), 'also early\n');
}, pinned('1.45')));

t.test('exec start: JSON body, stdin, half-close, and output after the half-close', (t) => {
  const stdin = 'line one\nline two\n';
  return replay(t, [fixture([
    upgraded('/v1.41/exec/e1/start', {
      body: { Detach: false, Tty: false },
      toClient: [
        frame(2, 'started\n'),
        // sent only once the client has ended its side (more bytes than stdin holds)
        { data: Buffer.concat([frame(1, stdin), frame(2, 'done\n')]), afterClientBytes: stdin.length + 1 },
      ],
      fromClient: [stdin],
    }),
  ])], async ({ docker, server }) => {
    const h = await docker.requester.upgrade({ method: 'POST', path: '/exec/e1/start', json: { Detach: false, Tty: false } });
    const frames = h.frames({ tty: false });
    const first = await frames.next();
    t.equal(first.done === false && first.value.data.toString(), 'started\n');
    await h.write('line one\n');
    await h.write(Buffer.from('line two\n'));
    await h.end();
    t.ok(h.socket.writableFinished, 'our side is closed');
    t.notOk(h.socket.readableEnded, 'theirs is still open');
    const rest = await collect(frames);
    t.equal(rest.error, undefined);
    t.equal(text(rest.items, 'stdout'), stdin, 'output produced after the half-close arrived');
    t.equal(text(rest.items, 'stderr'), 'done\n');
    const seen = server.requests[0];
    t.same(seen?.body, { Detach: false, Tty: false }, 'the JSON body was sent and matched');
    t.equal(seen?.headers['content-type'], 'application/json');
    t.equal(seen?.fromClient?.toString(), stdin, 'the engine saw exactly the stdin bytes');
    t.equal(seen?.clientEnded, true, 'and the half-close');
    await t.rejects(h.write('late'), /cannot write stdin: the connection is (half-closed|closed)/);
  }, pinned('1.41'));
});

t.test('refused upgrades become typed errors with the engine message', async (t) => {
  await t.test('404 as plain text on the hijacked socket (dockerd attach)', (t) => replay(t, [fixture([
    refused('/v1.41/containers/c1/attach', 404, 'Not Found', RAW, 'No such container: c1\r\n'),
  ])], async ({ docker }) => {
    const err = await docker.requester.upgrade(attachSpec).then(() => undefined, (e: unknown) => e);
    t.type(err, NotFoundError);
    t.match(err, {
      statusCode: 404, method: 'POST', path: '/v1.41/containers/c1/attach', apiVersion: '1.41', engineMessage: 'No such container: c1',
      message: 'No such container: c1 (HTTP 404, POST /v1.41/containers/c1/attach)',
    });
  }, pinned('1.41')));

  await t.test('409 refusal (paused container)', (t) => replay(t, [fixture([{
    request: { method: 'POST', path: '/v1.41/containers/c1/attach', query: ATTACH_QUERY },
    fault: { kind: 'refuse-upgrade', statusCode: 409, message: 'container c1 is paused, unpause the container before attach' },
  }])], async ({ docker }) => {
    await t.rejects(docker.requester.upgrade(attachSpec), new ConflictError(409, 'container c1 is paused, unpause the container before attach', { method: 'POST', path: '/v1.41/containers/c1/attach', apiVersion: '1.41' }));
  }, pinned('1.41')));

  await t.test('a JSON error with Content-Length on a connection kept open (exec start)', (t) => replay(t, [fixture([
    refused('/v1.41/exec/nope/start', 404, 'Not Found', 'application/json', { message: 'No such exec instance: nope' }),
  ])], async ({ docker }) => {
    const err = await docker.requester.upgrade({ method: 'POST', path: '/exec/nope/start', json: { Detach: false, Tty: false } }).then(() => undefined, (e: unknown) => e);
    t.type(err, NotFoundError);
    t.equal((err as NotFoundError).engineMessage, 'No such exec instance: nope');
  }, pinned('1.41')));

  await t.test("podman's JSON error shape", (t) => replay(t, [fixture([
    refused('/v1.41/containers/c1/attach', 409, 'Conflict', 'application/json', {
      cause: 'container state improper', message: 'can only attach to created or running containers: container state improper', response: 409,
    }),
  ])], async ({ docker }) => {
    await t.rejects(docker.requester.upgrade(attachSpec), { name: 'ConflictError', engineMessage: 'can only attach to created or running containers: container state improper' });
  }, pinned('1.41')));
});

t.test('an unpinned client told "too new" on a hijack adopts the maximum and retries', (t) => replay(t, [fixture([
  { request: { method: 'HEAD', path: '/_ping' }, response: { statusCode: 200, headers: { 'api-version': '1.44' } } },
  refused('/v1.44/containers/c1/attach', 400, 'Bad Request', 'application/json', { message: 'client version 1.44 is too new. Maximum supported API version is 1.43' }),
  upgraded('/v1.43/containers/c1/attach', { query: ATTACH_QUERY, toClient: ['ok'] }),
])], async ({ docker }) => {
  const h = await docker.requester.upgrade(attachSpec);
  t.equal(h.request.apiVersion, '1.43');
  t.equal(text((await collect(h.frames({ tty: true }))).items), 'ok');
}));

t.test('broken answers', async (t) => {
  await t.test('the connection closed inside the head: DockerConnectionError, as for a plain request', (t) => replay(t, [fixture([
    { request: { method: 'POST', path: '/v1.41/containers/c1/attach', query: ATTACH_QUERY }, fault: { kind: 'close-mid-headers' } },
  ])], async ({ docker }) => {
    const err = await docker.requester.upgrade(attachSpec).then(() => undefined, (e: unknown) => e);
    t.type(err, DockerConnectionError);
    t.match((err as Error).message, /the engine closed the connection \(inside its answer to POST \/v1\.41\/containers\/c1\/attach: \d+ bytes, no end of the response head\)/);
  }, pinned('1.41')));

  await t.test('a reset before any answer: DockerConnectionError naming the request', (t) => replay(t, [fixture([
    { request: { method: 'POST', path: '/v1.41/containers/c1/attach', query: ATTACH_QUERY }, fault: { kind: 'reset' } },
  ])], async ({ docker }) => {
    const err = await docker.requester.upgrade(attachSpec).then(() => undefined, (e: unknown) => e);
    t.type(err, DockerConnectionError);
    t.match(err, { method: 'POST', path: '/v1.41/containers/c1/attach' });
  }, pinned('1.41')));

  await t.test('no answer within the timeout: DockerTimeoutError', (t) => replay(t, [fixture([
    { request: { method: 'POST', path: '/v1.41/containers/c1/attach', query: ATTACH_QUERY }, fault: { kind: 'stall' } },
  ])], async ({ docker }) => {
    await t.rejects(docker.requester.upgrade({ ...attachSpec, timeout: 50 }), DockerTimeoutError);
  }, pinned('1.41')));
});

t.test('abort', async (t) => {
  await t.test('while waiting for the answer', (t) => replay(t, [fixture([
    { request: { method: 'POST', path: '/v1.41/containers/c1/attach', query: ATTACH_QUERY }, fault: { kind: 'stall' } },
  ])], async ({ docker, server }) => {
    const ac = new AbortController();
    const pending = docker.requester.upgrade({ ...attachSpec, signal: ac.signal });
    await until(() => server.requests.length === 1);
    ac.abort(new Error('caller gave up'));
    const err = await pending.then(() => undefined, (e: unknown) => e);
    t.type(err, DockerAbortError);
    t.match((err as DockerAbortError).reason, { message: 'caller gave up' });
  }, pinned('1.41')));

  await t.test('while reading output: the read rejects, the connection is destroyed, writes fail', (t) => replay(t, [fixture([
    upgraded('/v1.41/containers/c1/attach', { query: ATTACH_QUERY, toClient: [frame(1, 'first\n')], end: false }),
  ])], async ({ docker }) => {
    const ac = new AbortController();
    const h = await docker.requester.upgrade({ ...attachSpec, signal: ac.signal });
    const frames = h.frames({ tty: false });
    t.equal((await frames.next()).value?.data.toString(), 'first\n');
    const pending = frames.next();
    ac.abort('stop');
    await t.rejects(pending, DockerAbortError);
    await h.closed;
    t.ok(h.socket.destroyed);
    await t.rejects(h.write('x'), DockerAbortError);
  }, pinned('1.41')));

  await t.test('an already aborted signal sends nothing', (t) => replay(t, [fixture([])], async ({ docker, server }) => {
    await t.rejects(docker.requester.upgrade({ ...attachSpec, signal: AbortSignal.abort() }), DockerAbortError);
    t.equal(server.requests.length, 0);
  }, pinned('1.41')));
});

t.test('close() of the client destroys hijacked connections', (t) => replay(t, [fixture([
  upgraded('/v1.41/containers/c1/attach', { query: ATTACH_QUERY, end: false }),
])], async ({ docker }) => {
  const h = await docker.requester.upgrade(attachSpec);
  const reading = collect(h.frames({ tty: true }));
  await docker.close();
  await h.closed;
  const r = await reading;
  t.type(r.error, DockerConnectionError, `reading ended: ${String(r.error)}`);
}, pinned('1.41')));

t.test('recorded attach: the engine saw the stdin bytes and the half-close', async (t) => {
  // the scenario's own checks run in test/replay/scenarios.test.ts; this adds what only the server can see
  const ctx = { image: 'busybox:test', tmp: '/tmp', secret: () => undefined };
  for (const engine of API_ENGINES) {
    await t.test(engine, (t) => replay(t, [fixturePath(engine, 'attach-stdin')], async ({ docker, server }) => {
      await attachStdin.run(docker, { ...ctx, engine });
      const attach = server.requests.find((q) => q.path.endsWith('/attach'));
      t.equal(attach?.fromClient?.toString(), 'hello ✓\n');
      t.equal(attach?.clientEnded, true);
    }, { strictOrder: true }));
  }
});

/** Waits for a condition by yielding to the event loop (no timers). */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise<void>((resolve) => setImmediate(resolve));
}
