import t from 'tap';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  DockerAbortError, DockerProtocolError, DockerStreamError, LineAssembler, Transcript, jsonLines, progress, statusLine,
  type ProgressMessage,
} from '../../src/index.js';
import { JsonLineDecoder, LineDecoder } from '../../src/engine/streams/json-lines.js';
import { Prng, chunkings, collect, decodeAll, errorText, fromChunks, fuzzSeed, randomChunks, readableOf } from '../helpers/streams.js';

type Outcome = { values: string[]; error: string | undefined };

function describe(values: readonly unknown[], error: unknown): Outcome {
  return { values: values.map((v) => JSON.stringify(v)), error: errorText(error) };
}

function decodeSync(chunks: readonly Buffer[]): Outcome {
  const r = decodeAll(new JsonLineDecoder(), chunks);
  return describe(r.items, r.error);
}

async function decodeAsync(chunks: readonly Buffer[]): Promise<Outcome> {
  const r = await collect(jsonLines(fromChunks(chunks)));
  return describe(r.items, r.error);
}

/** A deliberately simple whole-buffer oracle: split the decoded text on newlines, parse every non-blank line. */
function reference(buf: Buffer, max = 16 * 1024 * 1024): Outcome {
  const values: unknown[] = [];
  const raw = buf.toString('latin1').split('\n'); // byte-exact split; lines decoded as UTF-8 below
  for (const [i, part] of raw.entries()) {
    const bytes = Buffer.from(part, 'latin1');
    if (bytes.length > max) return { values: values.map((v) => JSON.stringify(v)), error: `DockerProtocolError: line ${i + 1} of the stream exceeds ${max} bytes (maxLineBytes)` };
    const line = bytes[0] === 0x1e ? bytes.subarray(1) : bytes;
    const text = line.toString('utf8');
    if (/^[ \t\r]*$/.test(text)) continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      const sample = text.length > 80 ? `${text.slice(0, 80)}…` : text;
      return { values: values.map((v) => JSON.stringify(v)), error: `DockerProtocolError: line ${i + 1} of the stream is not JSON: ${JSON.stringify(sample)}` };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { values: values.map((v) => JSON.stringify(v)), error: `DockerProtocolError: line ${i + 1} of the stream is ${describeJson(value)}, not a JSON object` };
    }
    values.push(value);
  }
  return { values: values.map((v) => JSON.stringify(v)), error: undefined };
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 40 ? `a string "${value.slice(0, 40)}…"` : `"${value}"`;
  return typeof value;
}

const CASES: Array<{ name: string; text: string; want: Outcome }> = [
  {
    name: 'multi-byte characters (✓, 😀) survive every split, CRLF terminators',
    text: '{"status":"✓ done"}\r\n{"stream":"😀 Step 1/2\\n"}\r\n',
    want: { values: ['{"status":"✓ done"}', '{"stream":"😀 Step 1/2\\n"}'], error: undefined },
  },
  {
    name: 'blank lines and whitespace-only lines are skipped',
    text: '\n\r\n{"a":1}\n   \n\t\r\n{"b":"ü"}\n\n',
    want: { values: ['{"a":1}', '{"b":"ü"}'], error: undefined },
  },
  {
    name: 'an unterminated last line is still read',
    text: '{"a":1}\n{"id":"é"}',
    want: { values: ['{"a":1}', '{"id":"é"}'], error: undefined },
  },
  {
    name: 'RFC 7464 record separators are dropped',
    text: '\u001e{"Type":"container"}\n\u001e{"Type":"image"}\n',
    want: { values: ['{"Type":"container"}', '{"Type":"image"}'], error: undefined },
  },
  {
    name: 'a malformed line is a DockerProtocolError after the good lines',
    text: '{"a":1}\n{"b":\n{"c":3}\n',
    want: { values: ['{"a":1}'], error: 'DockerProtocolError: line 2 of the stream is not JSON: "{\\"b\\":"' },
  },
  {
    name: 'a JSON value that is not an object is a DockerProtocolError',
    text: '{"a":1}\n[1,2]\n',
    want: { values: ['{"a":1}'], error: 'DockerProtocolError: line 2 of the stream is an array, not a JSON object' },
  },
  {
    name: 'a bare string is not an object either',
    text: '"ok"\n',
    want: { values: [], error: 'DockerProtocolError: line 1 of the stream is "ok", not a JSON object' },
  },
  {
    name: 'truncated JSON at the end is malformed',
    text: '{"a":1}\n{"status":"Pulling',
    want: { values: ['{"a":1}'], error: 'DockerProtocolError: line 2 of the stream is not JSON: "{\\"status\\":\\"Pulling"' },
  },
];

t.test('lines split at every byte boundary, inside multi-byte characters too', async (t) => {
  for (const c of CASES) {
    await t.test(c.name, async (t) => {
      const bytes = Buffer.from(c.text, 'utf8');
      t.same(reference(bytes), c.want, 'the oracle agrees');
      for (const { name, chunks } of chunkings(bytes)) {
        const got = decodeSync(chunks);
        if (JSON.stringify(got) !== JSON.stringify(c.want)) t.same(got, c.want, name);
      }
      t.pass(`${chunkings(bytes).length} chunkings agree`);
      t.same(await decodeAsync(chunkings(bytes)[1]?.chunks ?? [bytes]), c.want, 'jsonLines(), 1-byte chunks');
      t.same(await decodeAsync([bytes]), c.want, 'jsonLines(), one chunk');
    });
  }
});

t.test('the line bound', async (t) => {
  await t.test('a line over maxLineBytes fails, even before its newline arrives', async (t) => {
    const d = new LineDecoder({ maxLineBytes: 10 });
    d.push(Buffer.from('{"a":1}\n0123'));
    t.equal(d.read()?.toString(), '{"a":1}');
    t.equal(d.read(), undefined);
    d.push(Buffer.from('456789'));
    t.equal(d.read(), undefined, 'exactly 10 bytes pending: still fine');
    d.push(Buffer.from('A'));
    t.throws(() => d.read(), new DockerProtocolError('line 2 of the stream exceeds 10 bytes (maxLineBytes)'));
    t.throws(() => d.push(Buffer.from('\n')), DockerProtocolError, 'the error sticks');
  });
  await t.test('an endless line is refused without buffering it', async (t) => {
    let pulled = 0;
    const endless = new Readable({ read() { pulled++; this.push(Buffer.alloc(65536, 0x61)); } });
    const r = await collect(jsonLines(endless, { maxLineBytes: 1 << 20 }));
    t.match(r.error, { name: 'DockerProtocolError', message: /line 1 of the stream exceeds 1048576 bytes/ });
    t.ok(pulled <= 20, `read ${pulled} chunks of 64 KiB, then stopped`);
    t.ok(endless.destroyed, 'the source was destroyed');
  });
  await t.test('the default bound is 16 MiB', async (t) => {
    const big = Buffer.concat([Buffer.from('{"stream":"'), Buffer.alloc(16 * 1024 * 1024, 0x61), Buffer.from('"}\n')]);
    t.match(decodeSync(randomChunks(big, new Prng(1), 1 << 20)).error, /exceeds 16777216 bytes/);
    const fits = Buffer.concat([Buffer.from('{"stream":"'), Buffer.alloc(16 * 1024 * 1024 - 20, 0x61), Buffer.from('"}\n')]);
    t.equal(decodeSync(randomChunks(fits, new Prng(2), 1 << 20)).values.length, 1);
  });
  await t.test('a long line across many chunks is joined once', async (t) => {
    const line = Buffer.concat([Buffer.from('{"stream":"'), Buffer.alloc(4 << 20, 0x62), Buffer.from('"}\n')]);
    const original = Buffer.concat;
    let concats = 0;
    Buffer.concat = ((list: readonly Uint8Array[], total?: number) => { concats++; return original(list, total); }) as typeof Buffer.concat;
    let out: Outcome;
    try {
      out = decodeSync(randomChunks(line, new Prng(3), 4096));
    } finally {
      Buffer.concat = original;
    }
    t.equal(concats, 1);
    t.equal(out.values.length, 1);
  });
});

t.test('deeply nested JSON is a value or a DockerProtocolError, never a RangeError', async (t) => {
  for (const depth of [10_000, 1_000_000]) {
    const line = Buffer.from(`{"a":${'['.repeat(depth)}${']'.repeat(depth)}}\n`);
    const d = new JsonLineDecoder();
    d.push(line);
    let outcome: string;
    try {
      outcome = d.read() === undefined ? 'nothing' : 'parsed';
    } catch (err) {
      outcome = err instanceof DockerProtocolError ? 'DockerProtocolError' : `untyped ${String(err)}`;
    }
    t.ok(outcome === 'parsed' || outcome === 'DockerProtocolError', `depth ${depth}: ${outcome}`);
    const unbalanced = decodeSync([Buffer.from(`{"a":${'['.repeat(depth)}}\n`)]);
    t.match(unbalanced.error, /^DockerProtocolError: line 1 of the stream is not JSON/, `depth ${depth}, unbalanced`);
  }
  const original = JSON.parse;
  JSON.parse = (() => { throw new RangeError('Maximum call stack size exceeded'); }) as typeof JSON.parse;
  let got: Outcome;
  try {
    got = decodeSync([Buffer.from('{"a":[[[[]]]]}\n')]);
  } finally {
    JSON.parse = original;
  }
  t.match(got.error, /^DockerProtocolError: line 1 of the stream is not JSON/, 'a parser RangeError becomes a DockerProtocolError');
});

t.test('seeded fuzz: only typed errors, the oracle outcome for every chunking', async (t) => {
  const seed = fuzzSeed();
  const rand = new Prng(seed);
  const cases = 10_000;
  let failures = 0;
  let errors = 0;
  const valid = ['{"a":1}', '{"s":"✓😀é"}', '{"n":[1,{"x":null}]}', '{"status":"Pulling fs layer","id":"abc"}', '\u001e{"t":1}', ' {"sp":true}\r'];
  const noise = ['\n', '\r\n', '\n\n', ' ', '\u001e', '[1]', '"x"', '{', '}', '"', '😀', 'null'];
  for (let i = 0; i < cases && failures < 5; i++) {
    const parts: Buffer[] = [];
    const n = rand.int(8);
    for (let j = 0; j < n; j++) {
      const kind = rand.int(12);
      parts.push(kind === 0 ? rand.bytes(rand.int(6)) : Buffer.from(kind < 10 ? rand.pick(valid) : rand.pick(noise), 'utf8'));
      if (rand.int(4) !== 0) parts.push(Buffer.from(rand.int(2) ? '\n' : '\r\n'));
    }
    const input = Buffer.concat(parts);
    const want = reference(input);
    const chunks = randomChunks(input, rand, rand.pick([1, 2, 5, 64]));
    const got = i % 10 === 0 ? await decodeAsync(chunks) : decodeSync(chunks);
    const typed = got.error === undefined || got.error.startsWith('DockerProtocolError: ');
    if (!typed || JSON.stringify(got) !== JSON.stringify(want)) {
      failures++;
      t.fail(`case ${i} (BERTH_FUZZ_SEED=${seed}): ${JSON.stringify(input.toString('latin1'))}`, { got, want });
    }
    if (got.error !== undefined) errors++;
  }
  t.equal(failures, 0, `${cases} cases, seed ${seed}`);
  t.ok(errors > 1000 && errors < cases, `a mix of clean and failing inputs (${errors} failed)`);
});

const lines = (...messages: object[]): Buffer => Buffer.from(messages.map((m) => `${JSON.stringify(m)}\r\n`).join(''));

t.test('progress: an in-band error rejects with DockerStreamError', async (t) => {
  await t.test('errorDetail with a code (a failed classic-build RUN): errorCode and transcript', async (t) => {
    const body = lines(
      { stream: 'Step 1/2 : FROM busybox:test\n' },
      { stream: ' ---> 3f57d9401f8d\n' },
      { stream: 'Step 2/2 : RUN echo doing && ' },
      { stream: 'exit 3\n' },
      { stream: ' ---> Running in 1c2d\n' },
      { stream: '\u001b[91mboom on stderr\n\u001b[0m' },
      { stream: 'doing\n' },
      { errorDetail: { code: 3, message: "The command '/bin/sh -c echo doing && exit 3' returned a non-zero code: 3" }, error: "The command '/bin/sh -c echo doing && exit 3' returned a non-zero code: 3" },
      { stream: 'never seen\n' },
    );
    const seen: ProgressMessage[] = [];
    const request = { method: 'POST', path: '/v1.41/build', apiVersion: '1.41' };
    const err = await (async () => {
      for await (const m of progress(fromChunks(randomChunks(body, new Prng(5), 7)), { request })) seen.push(m);
    })().then(() => undefined, (e: unknown) => e);
    t.type(err, DockerStreamError);
    const e = err as DockerStreamError;
    t.equal(e.engineMessage, "The command '/bin/sh -c echo doing && exit 3' returned a non-zero code: 3");
    t.equal(e.errorCode, 3);
    t.equal(e.code, 'ERR_DOCKER_STREAM');
    t.equal(e.method, 'POST');
    t.equal(e.path, '/v1.41/build');
    t.match(e.message, /returned a non-zero code: 3 \(POST \/v1\.41\/build\)$/);
    t.same(e.transcript, [
      'Step 1/2 : FROM busybox:test',
      ' ---> 3f57d9401f8d',
      'Step 2/2 : RUN echo doing && exit 3',
      ' ---> Running in 1c2d',
      'boom on stderr',
      'doing',
    ], 'lines joined across messages, colour codes removed');
    t.equal(seen.length, 7, 'every message before the error was yielded');
  });

  await t.test('error without errorDetail (and an unterminated build line in the transcript)', async (t) => {
    const body = lines({ status: 'Pulling from library/nope', id: 'latest' }, { stream: 'partial line' }, { error: 'manifest unknown' });
    const r = await collect(progress(fromChunks([body])));
    t.match(r.error, { name: 'DockerStreamError', engineMessage: 'manifest unknown', errorCode: undefined });
    t.same((r.error as DockerStreamError).transcript, ['latest: Pulling from library/nope', 'partial line']);
  });

  await t.test('errorDetail without a message falls back to error, then to a generic text', async (t) => {
    const a = await collect(progress(fromChunks([lines({ errorDetail: { code: 1 }, error: 'from error' })])));
    t.match(a.error, { engineMessage: 'from error', errorCode: 1 });
    const b = await collect(progress(fromChunks([lines({ errorDetail: { code: 2 } })])));
    t.match(b.error, { engineMessage: 'the engine reported an error without a message', errorCode: 2 });
  });

  await t.test('null and empty error fields are not errors', async (t) => {
    const r = await collect(progress(fromChunks([lines({ status: 'ok', errorDetail: null, error: '' }, { status: 'fine', progressDetail: {} })])));
    t.equal(r.error, undefined);
    t.same(r.items, [{ status: 'ok', error: '' }, { status: 'fine', progressDetail: {} }], 'null fields are dropped');
  });

  await t.test('a stream that ends without an error is success', async (t) => {
    const r = await collect(progress(fromChunks([lines({ aux: { ID: 'sha256:abc' } }, { stream: 'Successfully built abc\n' })])));
    t.equal(r.error, undefined);
    t.same(r.items[0]?.aux, { ID: 'sha256:abc' });
  });

  await t.test('wrong field types are protocol errors', async (t) => {
    const r = await collect(progress(fromChunks([lines({ stream: 42 })]), { request: { method: 'POST', path: '/v1.41/images/create' } }));
    t.match(r.error, { name: 'DockerProtocolError', message: 'progress message field "stream" should be a string, got number (POST /v1.41/images/create)' });
    const d = await collect(progress(fromChunks([lines({ errorDetail: 'boom' })])));
    t.match(d.error, { name: 'DockerProtocolError', message: /field "errorDetail" should be an object/ });
  });

  await t.test('the transcript keeps the last N lines; progress ticks are not lines', async (t) => {
    const messages: object[] = [];
    for (let i = 1; i <= 100; i++) messages.push({ stream: `line ${i}\n` });
    messages.push({ status: 'Downloading', id: 'l1', progressDetail: { current: 5, total: 10 } });
    messages.push({ status: 'Download complete', id: 'l1' });
    messages.push({ errorDetail: { message: 'failed' } });
    const r = await collect(progress(fromChunks([lines(...messages)]), { transcriptLines: 3 }));
    t.same((r.error as DockerStreamError).transcript, ['line 99', 'line 100', 'l1: Download complete']);
    const none = await collect(progress(fromChunks([lines(...messages)]), { transcriptLines: 0 }));
    t.same((none.error as DockerStreamError).transcript, []);
  });
});

t.test('helpers: LineAssembler, statusLine, Transcript', async (t) => {
  const a = new LineAssembler();
  t.same(a.push('Step 1'), []);
  t.same(a.push('/2\nout\r\nmore'), ['Step 1/2', 'out']);
  t.same(a.push(''), []);
  t.equal(a.flush(), 'more');
  t.equal(a.flush(), undefined);
  const long = a.push('x'.repeat(10_000));
  t.equal(long.length, 1, 'a partial line past the limit is handed out');
  t.equal(long[0]?.length, 4097, 'cut to 4096 characters and …');
  t.equal(statusLine({ status: 'Pull complete', id: 'abc' }), 'abc: Pull complete');
  t.equal(statusLine({ status: 'Digest: sha256:x' }), 'Digest: sha256:x');
  t.equal(statusLine({ status: 'Downloading', progressDetail: { current: 1 } }), undefined);
  t.equal(statusLine({ stream: 'x' }), undefined);
  const tr = new Transcript(2);
  t.same(tr.lines(), []);
  tr.add('a');
  t.same(tr.lines(), ['a']);
  tr.add('b');
  tr.add('c');
  t.same(tr.lines(), ['b', 'c']);
});

t.test('memory is constant in the stream length (1e6 lines)', async (t) => {
  const total = 1_000_000;
  async function* source(): AsyncGenerator<Buffer> {
    const batch = 1000;
    for (let i = 0; i < total; i += batch) {
      let s = '';
      for (let j = i; j < i + batch; j++) s += `{"stream":"Step ${j} ✓ output line\\n","id":"x"}\r\n`;
      yield Buffer.from(s);
    }
  }
  // live heap, measured after a full collection (garbage not yet collected is not growth)
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  const before = process.memoryUsage().heapUsed;
  let count = 0;
  let peak = 0;
  for await (const m of progress(source())) {
    count++;
    if (m.stream === undefined) t.fail('lost a field');
    if (count % 100_000 === 0) {
      gc();
      peak = Math.max(peak, process.memoryUsage().heapUsed - before);
    }
  }
  t.equal(count, total);
  t.ok(peak < 50 * 1024 * 1024, `live heap grew by at most ${(peak / 1048576).toFixed(1)} MB while reading ${total} messages`);
});

t.test('jsonLines stops and destroys the source on break and on abort', async (t) => {
  const source = readableOf([Buffer.from('{"a":1}\n{"a":2}\n'), Buffer.from('{"a":3}\n')]);
  for await (const v of jsonLines(source)) {
    t.same(v, { a: 1 });
    break;
  }
  t.ok(source.destroyed);
  const ac = new AbortController();
  const it = jsonLines(fromChunks([Buffer.from('{"a":1}\n{"a":2}\n')]), { signal: ac.signal });
  await it.next();
  ac.abort();
  await t.rejects(it.next(), DockerAbortError);
});
