import t from 'tap';
import { Readable } from 'node:stream';
import {
  DockerAbortError, DockerArgumentError, DockerError, DockerStreamError, MULTIPLEXED_STREAM, OUTPUT_LIMIT, RAW_STREAM, STDIN_FAILED, type Frame,
} from '../../src/index.js';
import type { Exchange, Fixture } from '../../src/testing/index.js';
import { replay } from '../helpers/replay.js';
import { collect, frame } from '../helpers/streams.js';

/**
 * Logs, exec and events against synthetic exchanges: what real engines send
 * only rarely (an error frame, a Content-Type that decides nothing, an exec
 * reported running after its output ended) or what a test cannot make them
 * send on cue.
 */

const fixture = (exchanges: Exchange[]): Fixture => ({ engine: 'synthetic', apiVersion: '', recordedAt: '', exchanges });
const b64 = (data: string | Buffer): string => (typeof data === 'string' ? Buffer.from(data) : data).toString('base64');
const pinned = (v: string): { docker: { apiVersion: string } } => ({ docker: { apiVersion: v } });

function streamed(path: string, query: Record<string, string>, contentType: string | undefined, chunks: Array<string | Buffer>, open = false): Exchange {
  return {
    request: { method: 'GET', path, query },
    response: { statusCode: 200, headers: contentType ? { 'content-type': contentType } : {}, chunks: chunks.map(b64), ...(open ? { open: true } : {}) },
  };
}

function json(method: string, path: string, statusCode: number, body: unknown, extra: Partial<Exchange['request']> = {}): Exchange {
  return { request: { method, path, ...extra }, response: { statusCode, headers: { 'content-type': 'application/json' }, body } };
}

const inspect = (v: string, tty: boolean): Exchange => json('GET', `/v${v}/containers/c1/json`, 200, { Id: 'c1', Config: { Tty: tty } });
const LOGS = { stdout: '1', stderr: '1' };
const text = (frames: readonly Frame[], stream: string): string => Buffer.concat(frames.filter((f) => f.stream === stream).map((f) => f.data)).toString();

t.test('an error frame in logs is a DockerStreamError after the frames before it', (t) => replay(t, [fixture([
  streamed('/v1.41/containers/c1/logs', LOGS, RAW_STREAM, [frame(1, 'line 1\n'), frame(3, 'Error grabbing logs: log file is corrupt\n')]),
  inspect('1.41', false),
])], async ({ docker }) => {
  const r = await collect(docker.containers.logs('c1'));
  t.equal(text(r.items, 'stdout'), 'line 1\n');
  t.type(r.error, DockerStreamError);
  t.equal((r.error as DockerStreamError).engineMessage, 'Error grabbing logs: log file is corrupt');
}, pinned('1.41')));

t.test('from API 1.42 the Content-Type decides, with no inspect', async (t) => {
  await t.test('raw', (t) => replay(t, [fixture([
    streamed('/v1.44/containers/c1/logs', LOGS, RAW_STREAM, ['\u0001 is not a frame header on a TTY\r\n']),
  ])], async ({ docker }) => {
    const r = await collect(docker.containers.logs('c1'));
    t.equal(r.error, undefined);
    t.equal(text(r.items, 'stdout'), '\u0001 is not a frame header on a TTY\r\n', 'raw bytes, not mistaken for frames');
  }, pinned('1.44')));
  await t.test('multiplexed', (t) => replay(t, [fixture([
    streamed('/v1.44/containers/c1/logs', { ...LOGS, follow: '0' }, MULTIPLEXED_STREAM, [frame(2, 'e'), frame(1, 'o')]),
  ])], async ({ docker }) => {
    const b = await docker.containers.logsBuffer('c1');
    t.same([b.stdout.toString(), b.stderr.toString()], ['o', 'e']);
  }, pinned('1.44')));
  await t.test('a type that decides nothing (podman\'s application/octet-stream) falls back to Config.Tty', (t) => replay(t, [fixture([
    streamed('/v1.44/containers/c1/logs', { ...LOGS, follow: '0' }, 'application/octet-stream', [frame(1, 'mux\n')]),
    inspect('1.44', false),
  ])], async ({ docker }) => {
    t.equal((await docker.containers.logsBuffer('c1')).stdout.toString(), 'mux\n');
  }, pinned('1.44')));
});

t.test('before 1.42 the container\'s Tty decides: a TTY\'s bytes are not demultiplexed', (t) => replay(t, [fixture([
  streamed('/v1.41/containers/c1/logs', { ...LOGS, timestamps: '1' }, RAW_STREAM, ['2024-01-01T00:00:00.000000001Z hello\r\n2024-01-01T00:00:01Z wor', 'ld\r\n']),
  inspect('1.41', true),
])], async ({ docker }) => {
  const lines = [];
  for await (const l of docker.containers.logLines('c1', { timestamps: true })) lines.push(l);
  t.same(lines, [
    { stream: 'stdout', line: 'hello', timestamp: '2024-01-01T00:00:00.000000001Z' },
    { stream: 'stdout', line: 'world', timestamp: '2024-01-01T00:00:01Z' },
  ], 'lines across chunks, CR and timestamp split off');
}, pinned('1.41')));

t.test('a followed stream waits for output; the signal ends it with DockerAbortError and the reason', (t) => replay(t, [fixture([
  streamed('/v1.41/containers/c1/logs', { ...LOGS, follow: '1' }, RAW_STREAM, [frame(1, 'first\n')], true),
  inspect('1.41', false),
])], async ({ docker, server }) => {
  const controller = new AbortController();
  const frames: Frame[] = [];
  const reading = (async () => {
    for await (const f of docker.containers.logs('c1', { follow: true, signal: controller.signal })) frames.push(f);
  })();
  await server.waitForRequests(2);
  while (frames.length === 0) await new Promise((resolve) => setImmediate(resolve));
  controller.abort('user is done');
  const err = await reading.catch((e: unknown) => e);
  t.type(err, DockerAbortError);
  t.equal((err as DockerAbortError).reason, 'user is done');
  t.equal(text(frames, 'stdout'), 'first\n');
}, pinned('1.41')));

t.test('logsBuffer stops at maxBytes', (t) => replay(t, [fixture([
  streamed('/v1.41/containers/c1/logs', { ...LOGS, follow: '0' }, RAW_STREAM, [frame(1, 'x'.repeat(64)), frame(1, 'y'.repeat(64))]),
  inspect('1.41', false),
])], async ({ docker }) => {
  const err = await docker.containers.logsBuffer('c1', { maxBytes: 100 }).catch((e: unknown) => e);
  t.type(err, DockerError);
  t.equal((err as DockerError).code, OUTPUT_LIMIT);
}, { ...pinned('1.41'), allowUnconsumed: true }));

/** An exec whose output is `out` (multiplexed), then inspected `running` times as running before it ends with `code`. */
function execExchanges(out: Buffer[], code: number, running: number, stdin: string[] = []): Exchange[] {
  const inspectAs = (Running: boolean): Exchange => json('GET', '/v1.41/exec/e1/json', 200, { ID: 'e1', Running, ExitCode: Running ? null : code });
  return [
    json('POST', '/v1.41/containers/c1/exec', 201, { Id: 'e1' }),
    {
      request: { method: 'POST', path: '/v1.41/exec/e1/start', body: { Detach: false, Tty: false } },
      upgrade: {
        statusLine: 'HTTP/1.1 101 UPGRADED', headers: { 'Content-Type': RAW_STREAM, Connection: 'Upgrade', Upgrade: 'tcp' },
        toClient: out.map((c) => ({ data: c.toString('base64') })), fromClient: stdin.map(b64),
      },
    },
    ...Array.from({ length: running }, () => inspectAs(true)),
    inspectAs(false),
  ];
}

t.test('exec asks again while the engine still reports the process running after its output ended', (t) => replay(t, [fixture(
  execExchanges([frame(1, 'done\n')], 9, 2),
)], async ({ docker, server }) => {
  const r = await docker.containers.exec('c1', ['true']);
  t.same([r.exitCode, r.stdout.toString()], [9, 'done\n']);
  t.equal(server.requests.filter((q) => q.path === '/v1.41/exec/e1/json').length, 3, 'inspected until it ended');
  const create = server.requests.find((q) => q.path === '/v1.41/containers/c1/exec');
  t.same(create?.body, { Cmd: ['true'], AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false }, 'no stdin attached without stdin');
}, { ...pinned('1.41'), strictOrder: true }));

function stdinFails(fromClient: string[]): Fixture {
  return fixture([
    json('POST', '/v1.41/containers/c1/exec', 201, { Id: 'e1' }),
    {
      request: { method: 'POST', path: '/v1.41/exec/e1/start', body: { Detach: false, Tty: false } },
      upgrade: { statusLine: 'HTTP/1.1 101 UPGRADED', headers: { 'Content-Type': RAW_STREAM }, toClient: [], fromClient: fromClient.map(b64), end: false },
    },
  ]);
}

t.test('a stdin source that fails while read fails the exec with its own error', (t) => replay(t, [stdinFails(['part 1\n'])], async ({ docker }) => {
  const cause = new Error('disk read failed');
  let reads = 0;
  const stdin = new Readable({ read() { if (reads++ === 0) this.push('part 1\n'); else this.destroy(cause); } });
  const err = await docker.containers.exec('c1', ['cat'], { stdin }).catch((e: unknown) => e);
  t.type(err, DockerError);
  t.equal((err as DockerError).code, STDIN_FAILED);
  t.equal((err as DockerError).cause, cause, 'the source\'s error is the cause');
}, { ...pinned('1.41'), allowUnconsumed: true }));

t.test('a stdin source that gives something other than bytes fails the exec with a DockerArgumentError', (t) => replay(t, [stdinFails(['part 1\n'])], async ({ docker }) => {
  async function* stdin(): AsyncGenerator<unknown> {
    yield 'part 1\n';
    yield { not: 'bytes' };
  }
  const err = await docker.containers.exec('c1', ['cat'], { stdin: stdin() as AsyncIterable<string> }).catch((e: unknown) => e);
  t.type(err, DockerArgumentError);
  t.match((err as Error).message, /Buffers, Uint8Arrays or strings, not an object \(Object\)/);
}, { ...pinned('1.41'), allowUnconsumed: true }));

t.test('a stdin source that failed before the exec started fails it too, without crashing the process', (t) => replay(t, [stdinFails([])], async ({ docker }) => {
  const cause = new Error('gone early');
  const stdin = new Readable({ read() { /* never */ } });
  const running = docker.containers.execStream('c1', ['cat'], { stdin });
  stdin.destroy(cause); // nobody reads it yet
  const { exitCode, stdout, stderr } = await running;
  stdout.resume();
  stderr.resume();
  const err = await exitCode.catch((e: unknown) => e);
  t.equal((err as DockerError).code, STDIN_FAILED);
  t.equal((err as DockerError).cause, cause);
}, { ...pinned('1.41'), allowUnconsumed: true }));

t.test('exec output over maxBytes closes the connection with an error', (t) => replay(t, [fixture(
  execExchanges([frame(1, 'a'.repeat(40)), frame(2, 'b'.repeat(40))], 0, 0),
)], async ({ docker }) => {
  const err = await docker.containers.exec('c1', ['yes'], { maxBytes: 50 }).catch((e: unknown) => e);
  t.equal((err as DockerError).code, OUTPUT_LIMIT);
}, { ...pinned('1.41'), allowUnconsumed: true }));

t.test('events ask for JSON lines and read a json-seq answer too', (t) => replay(t, [fixture([
  streamed('/v1.52/events', { filters: '{"type":["container"]}' }, 'application/json-seq', [
    '\u001e{"Type":"container","Action":"start","Actor":{"ID":"c1","Attributes":{"name":"x"}},"scope":"local","time":1,"timeNano":1000000001}\n',
    '\u001e{"Type":"container","Action":"die","Actor":{"ID":"c1","Attributes":{"exitCode":"0"}},"scope":"local","time":2,"timeNano":2000000002}\n',
  ]),
])], async ({ docker, server }) => {
  const events = [];
  for await (const e of docker.events({ filters: { type: ['container'] } })) events.push(e);
  t.same(events.map((e) => e.Action), ['start', 'die']);
  t.equal(events[1]?.Actor?.Attributes?.exitCode, '0');
  t.equal(server.requests[0]?.headers.accept, 'application/json', 'Accept: application/json');
}, pinned('1.52')));
