import t from 'tap';
import {
  DockerProtocolError, DockerStreamError, ServerError,
} from '../../src/index.js';
import { JSON_BODY_LIMIT } from '../../src/engine/request.js';
import type { Exchange } from '../../src/testing/index.js';
import { V, chunked, deadline, drain, failureOf, faultEngine, infoExchange, json, seenFor, until } from '../helpers/faults.js';

/**
 * A hostile (or broken) engine: answers that would cost a naive client
 * unbounded memory or time. Each must end in a typed error after reading
 * no more than its bound, with the memory the process holds staying near
 * that bound; the server counts the bytes it managed to write, and the
 * endless answers never end by themselves — a call that settles has
 * stopped reading.
 */

const MiB = 1 << 20;

/**
 * The most memory (V8 heap and buffers) the process held while `run` ran,
 * above what it held before: sampled every millisecond or so. An upper
 * bound of what `run` needed (garbage counts until collected).
 */
async function peakGrowth<T>(run: () => Promise<T>): Promise<{ result: T; growth: number }> {
  const used = (): number => {
    const m = process.memoryUsage();
    return m.heapUsed + m.external; // external includes the buffers
  };
  const before = used();
  let peak = before;
  const sampler = setInterval(() => { peak = Math.max(peak, used()); }, 1);
  try {
    const result = await run();
    peak = Math.max(peak, used());
    return { result, growth: peak - before };
  } finally {
    clearInterval(sampler);
  }
}

const mib = (n: number): string => `${(n / MiB).toFixed(1)} MiB`;

t.test('a 1 MiB response header: DockerProtocolError at 64 KiB, the rest never read', async (t) => {
  const faulted: Exchange = { request: { method: 'GET', path: `/v${V}/containers/c1/json` }, fault: { kind: 'huge-headers', bytes: MiB } };
  const { docker, server } = await faultEngine(t, [faulted, infoExchange()], 'unix');
  const { result: err, growth } = await peakGrowth(() => failureOf(docker.containers.inspect('c1'), 'inspect with a 1 MiB header'));
  t.type(err, DockerProtocolError);
  t.match((err as Error).message, /response head to GET \/v1\.45\/containers\/c1\/json exceeds 65536 bytes/);
  const seen = seenFor(t, server, 0);
  await deadline(server.connectionClosed(seen.connection), 'the close of the connection');
  t.ok((seen.bytesSent ?? 0) < MiB, `the engine could write ${seen.bytesSent ?? 0} bytes of its 1 MiB head before the client hung up`);
  t.ok(growth < 16 * MiB, `memory grew by at most ${mib(growth)}`);
  t.equal((await docker.info()).Name, 'after-the-fault');
});

t.test('a frame claiming 4 GiB: DockerProtocolError at its header, the connection dropped', async (t) => {
  const header = Buffer.from([1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
  for (const follow of [false, true]) {
    await t.test(follow ? 'a followed log' : 'a log read whole (logsBuffer)', async (t) => {
      // the answer stays open and endless: only the client can end it
      const faulted: Exchange = {
        request: { method: 'GET', path: `/v${V}/containers/c1/logs`, query: { follow: follow ? '1' : '0', stdout: '1', stderr: '1' } },
        response: { statusCode: 200, headers: { 'content-type': 'application/vnd.docker.multiplexed-stream' } },
        fault: { kind: 'endless-body', prefix: header.toString('latin1'), fill: 'x' },
      };
      const { docker, server } = await faultEngine(t, [faulted, infoExchange()], 'unix');
      const { result: err, growth } = await peakGrowth(() => (follow
        ? drain(docker.containers.logs('c1', { follow: true }), 'the followed log').then((r) => r.error)
        : failureOf(docker.containers.logsBuffer('c1'), 'logsBuffer')));
      t.type(err, DockerProtocolError);
      t.match((err as Error).message, /^a frame of 4294967295 bytes exceeds the limit of 67108864 bytes \(maxFrameBytes\)/);
      const seen = seenFor(t, server, 0);
      await deadline(server.connectionClosed(seen.connection), 'the close of the connection');
      t.pass('the client closed the connection of the endless answer');
      t.ok(growth < 16 * MiB, `memory grew by at most ${mib(growth)} (the engine wrote ${mib(seen.bytesSent ?? 0)})`);
      t.equal((await docker.info()).Name, 'after-the-fault');
    });
  }
});

t.test('a frame claiming 4 GiB on a hijacked connection', async (t) => {
  const faulted: Exchange = {
    request: { method: 'POST', path: `/v${V}/containers/c1/attach`, query: { stream: '1', stdin: '0', stdout: '1', stderr: '1' } },
    upgrade: { statusLine: 'HTTP/1.1 101 UPGRADED', headers: { 'Content-Type': 'application/vnd.docker.multiplexed-stream' }, toClient: [], fromClient: [] },
    fault: { kind: 'endless-body', fill: '\u0001\u0000\u0000\u0000\u00ff\u00ff\u00ff\u00ff' },
  };
  const { docker, server } = await faultEngine(t, [faulted, infoExchange()], 'unix');
  const stdio = await deadline(docker.containers.attach('c1'), 'attach');
  const r = await drain(stdio.frames(), 'the attached output');
  t.type(r.error, DockerProtocolError);
  t.match((r.error as Error).message, /^a frame of 4294967295 bytes exceeds the limit of 67108864 bytes/);
  await deadline(server.connectionClosed(seenFor(t, server, 0).connection), 'the close of the hijacked connection');
  await until(() => docker.transport.stats().hijacked === 0, 'the client to drop the hijacked connection');
  t.pass('the hijacked connection was closed');
});

t.test('error bodies that are not the engine\'s JSON', async (t) => {
  const html = `<html><head><title>502 Bad Gateway</title></head><body>${'<p>upstream unavailable</p>'.repeat(400)}</body></html>`;
  const cases: Array<{ name: string; response: NonNullable<Exchange['response']>; error: typeof ServerError; message: RegExp }> = [
    { name: 'a proxy\'s HTML page', response: { statusCode: 502, headers: { 'content-type': 'text/html' }, bodyText: html }, error: ServerError, message: /^<html><head><title>502 Bad Gateway<\/title>.{1900,}…$/s },
    { name: 'plain text', response: { statusCode: 500, headers: { 'content-type': 'text/plain' }, bodyText: 'runtime exploded\n' }, error: ServerError, message: /^runtime exploded$/ },
    { name: 'JSON without a message', response: json(500, { error: 'x' }), error: ServerError, message: /^engine answered 500 without an error message$/ },
    { name: 'JSON that is not an object', response: json(500, ['a', 'b']), error: ServerError, message: /^\["a","b"\]$/ },
    { name: 'broken JSON', response: { statusCode: 500, headers: { 'content-type': 'application/json' }, bodyText: '{"message": "half' }, error: ServerError, message: /^\{"message": "half$/ },
    { name: 'an empty body', response: { statusCode: 500, headers: {} }, error: ServerError, message: /^engine answered 500 with no message; does it support API version 1\.45\?$/ },
    { name: 'binary bytes', response: chunked(500, 'application/octet-stream', [Buffer.from([0, 1, 2, 0xff, 0xfe, 10])]), error: ServerError, message: /^\u0000\u0001\u0002/ },
  ];
  for (const c of cases) {
    await t.test(c.name, async (t) => {
      const { docker } = await faultEngine(t, [{ request: { method: 'GET', path: `/v${V}/info` }, response: c.response }, infoExchange()], 'unix');
      const err = await failureOf(docker.info(), c.name);
      t.type(err, c.error);
      t.match((err as ServerError).engineMessage, c.message);
      t.ok((err as ServerError).engineMessage.length <= 2001, 'the message is cut at 2000 characters');
      t.equal((await docker.info()).Name, 'after-the-fault', 'and the connection serves the next call');
    });
  }
});

t.test('an endless error body: 1 MiB is read, the message cut, the connection dropped', async (t) => {
  const faulted: Exchange = {
    request: { method: 'GET', path: `/v${V}/containers/c1/json` },
    response: { statusCode: 500, headers: { 'content-type': 'text/plain' } },
    fault: { kind: 'endless-body', fill: 'error! ' },
  };
  const { docker, server } = await faultEngine(t, [faulted, infoExchange()], 'unix');
  const { result: err, growth } = await peakGrowth(() => failureOf(docker.containers.inspect('c1'), 'inspect with an endless error body'));
  t.type(err, ServerError);
  t.equal((err as ServerError).statusCode, 500);
  t.match((err as ServerError).engineMessage, /^(error! ){285}error…$/, 'the message is the first 2000 characters');
  const seen = seenFor(t, server, 0);
  await deadline(server.connectionClosed(seen.connection), 'the close of the connection');
  t.pass('the client closed the connection of the endless answer');
  t.ok(growth < 16 * MiB, `memory grew by at most ${mib(growth)} (the engine wrote ${mib(seen.bytesSent ?? 0)} before the client hung up)`);
  t.equal((await docker.info()).Name, 'after-the-fault');
});

t.test('a JSON result bigger than the bound: DockerProtocolError as soon as it passes it', async (t) => {
  t.equal(JSON_BODY_LIMIT, 256 * MiB, 'the default bound');
  const bound = 16 * MiB;
  const faulted: Exchange = {
    request: { method: 'GET', path: `/v${V}/containers/json` },
    response: { statusCode: 200, headers: { 'content-type': 'application/json' } },
    fault: { kind: 'endless-body', prefix: '[', fill: '{"Id":"0123456789abcdef","Names":["/x"]},' },
  };
  const { docker, server } = await faultEngine(t, [faulted, infoExchange()], 'unix', { maxResponseBytes: bound });
  const { result: err, growth } = await peakGrowth(() => failureOf(docker.containers.list(), 'a list that never ends'));
  t.type(err, DockerProtocolError);
  t.match((err as Error).message, /^GET \/containers\/json: response body exceeds 16777216 bytes/);
  const seen = seenFor(t, server, 0);
  await deadline(server.connectionClosed(seen.connection), 'the close of the connection');
  t.ok(growth < 3 * bound, `memory grew by at most ${mib(growth)} for a ${mib(bound)} bound (the engine wrote ${mib(seen.bytesSent ?? 0)})`);
  t.equal((await docker.info()).Name, 'after-the-fault');
});

t.test('the bound is checked when the client is made', async (t) => {
  const { Docker } = await import('../../src/index.js');
  t.throws(() => new Docker({ host: 'unix:///nowhere.sock', env: {}, maxResponseBytes: 0 }), { name: 'DockerArgumentError' });
  t.throws(() => new Docker({ host: 'unix:///nowhere.sock', env: {}, maxResponseBytes: 1.5 }), { name: 'DockerArgumentError' });
});

t.test('deeply nested JSON: a typed error or a value, never a stack overflow', async (t) => {
  const depth = 1_000_000;
  const deepArray = `${'['.repeat(depth)}${']'.repeat(depth)}`;
  const deepObject = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  await t.test('a result', async (t) => {
    const { docker } = await faultEngine(t, [
      { request: { method: 'GET', path: `/v${V}/info` }, response: { statusCode: 200, headers: { 'content-type': 'application/json' }, bodyText: deepArray } },
      { request: { method: 'GET', path: `/v${V}/info` }, response: { statusCode: 200, headers: { 'content-type': 'application/json' }, bodyText: deepObject } },
    ], 'unix');
    const err = await failureOf(docker.info(), 'info answered with a deep array');
    t.type(err, DockerProtocolError, 'an array where an object is expected');
    const info = await deadline(docker.info(), 'info answered with a deep object');
    t.type(info, 'object', 'a deep object is handed out as the engine sent it');
  });
  await t.test('an error body', async (t) => {
    const { docker } = await faultEngine(t, [
      { request: { method: 'GET', path: `/v${V}/info` }, response: { statusCode: 500, headers: { 'content-type': 'application/json' }, bodyText: deepObject } },
    ], 'unix');
    const err = await failureOf(docker.info(), 'info answered 500 with a deep body');
    t.type(err, ServerError);
    t.match((err as ServerError).engineMessage, /^\{"a":\{"a":/, 'over 1 MiB: the first 2000 characters');
  });
  await t.test('a progress stream and an event stream', async (t) => {
    const line = Buffer.from(`${deepObject}\n`);
    const { docker } = await faultEngine(t, [
      { request: { method: 'POST', path: `/v${V}/images/create`, query: { fromImage: 'busybox', tag: '1.36' } }, response: chunked(200, 'application/json', [line]) },
      { request: { method: 'GET', path: `/v${V}/events` }, response: chunked(200, 'application/json', [line, Buffer.from('{"Type":"container"}\n')]) },
    ], 'unix');
    const pull = await drain(docker.images.pull('busybox:1.36', { auth: false }), 'a pull of deep messages');
    t.equal(pull.error, undefined, 'a deep progress message is read like any other');
    if (pull.error !== undefined) t.comment(String(pull.error));
    const events = await drain(docker.events(), 'events with a deep message');
    t.equal(events.error, undefined);
    t.equal(events.count, 2);
  });
});

t.test('an in-band error with a huge message is bounded by the line limit', async (t) => {
  const message = 'x'.repeat(17 * MiB);
  const { docker, server } = await faultEngine(t, [
    { request: { method: 'GET', path: `/v${V}/events` }, response: chunked(200, 'application/json', [Buffer.from(`{"error":"${message}"}\n`)]) },
    infoExchange(),
  ], 'unix');
  const r = await drain(docker.events(), 'events with a 17 MiB line');
  t.type(r.error, DockerProtocolError, 'a line over 16 MiB is refused before it is parsed');
  t.notOk(r.error instanceof DockerStreamError);
  t.match((r.error as Error).message, /exceeds 16777216 bytes/);
  await deadline(server.connectionClosed(seenFor(t, server, 0).connection), 'the close of the connection');
  t.equal((await docker.info()).Name, 'after-the-fault');
});

t.test('a call that expects no body, answered with an endless one: the status is its result, 1 MiB read, the connection dropped', async (t) => {
  const faulted: Exchange = {
    request: { method: 'POST', path: `/v${V}/containers/c1/start` },
    response: { statusCode: 200, headers: { 'content-type': 'text/plain' } },
    fault: { kind: 'endless-body', fill: 'unexpected ' },
  };
  const { docker, server } = await faultEngine(t, [faulted, infoExchange()], 'unix');
  const { result: res, growth } = await peakGrowth(() => deadline(docker.requester.empty({ method: 'POST', path: '/containers/c1/start' }), 'a start answered endlessly'));
  t.equal(res.statusCode, 200, 'the status is the answer');
  const seen = seenFor(t, server, 0);
  await deadline(server.connectionClosed(seen.connection), 'the close of the connection');
  t.pass('the client closed the connection of the endless answer');
  t.ok(growth < 16 * MiB, `memory grew by at most ${mib(growth)} (the engine wrote ${mib(seen.bytesSent ?? 0)} before the client hung up)`);
  t.equal((await docker.info()).Name, 'after-the-fault');
});
