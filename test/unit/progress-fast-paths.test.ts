import t from 'tap';
import { DockerProtocolError, DockerStreamError, LineAssembler, Transcript, progress, statusLine, type ProgressMessage } from '../../src/index.js';
import { asProgressMessage } from '../../src/engine/streams/json-lines.js';
import { MAX_LINE_CHARS, ProgressTranscript } from '../../src/engine/streams/transcript.js';
import type { JsonObject } from '../../src/engine/json.js';
import { Prng, collect, fromChunks, fuzzSeed } from '../helpers/streams.js';

/**
 * progress() takes shortcuts for the common message: a clean message is
 * checked in a few reads, and most transcript lines stay unrendered until an
 * error needs them. Each shortcut must give what the full work gives.
 */

/** The oracle: every line rendered as it comes, from the public pieces. */
function eagerTranscript(messages: readonly ProgressMessage[], capacity: number): string[] {
  const assembler = new LineAssembler();
  const ring = new Transcript(capacity);
  for (const m of messages) {
    if (typeof m.stream === 'string') for (const line of assembler.push(m.stream)) ring.add(line);
    const status = statusLine(m);
    if (status !== undefined) ring.add(status);
  }
  const rest = assembler.flush();
  if (rest !== undefined) ring.add(rest);
  return ring.lines();
}

function lazyTranscript(messages: readonly ProgressMessage[], capacity: number): string[] {
  const transcript = new ProgressTranscript(capacity);
  for (const m of messages) transcript.add(m);
  return transcript.lines();
}

const long = (n: number): string => 'x'.repeat(n);

function randomMessage(rand: Prng): ProgressMessage {
  const texts = [
    'Step 1/2 : FROM busybox\n', ' ---> Running in 1c2d\n', '\u001b[91mboom on stderr\n\u001b[0m', 'über ✓ 日本語 — 🐳\n',
    'out\r\n', 'two\nlines\n', 'no newline', '', '\n', 'a\nb', `${long(MAX_LINE_CHARS - 1)}\n`, `${long(MAX_LINE_CHARS)}\n`,
    `${long(MAX_LINE_CHARS + 1)}\n`, `${long(MAX_LINE_CHARS + 5)}`, 'tail\r',
  ];
  const statuses = ['Pull complete', 'Downloading', '\u001b[1mbold\u001b[0m', 'ends in cr\r', '', long(MAX_LINE_CHARS - 3), long(MAX_LINE_CHARS + 2), 'two\nlines'];
  const ids = [undefined, '', 'abc123', long(10), long(MAX_LINE_CHARS)];
  const m: { -readonly [K in keyof ProgressMessage]: ProgressMessage[K] } = {};
  const kind = rand.int(6);
  if (kind <= 1 || kind === 5) m.stream = rand.pick(texts);
  if (kind >= 2) {
    m.status = rand.pick(statuses);
    const id = rand.pick(ids);
    if (id !== undefined) m.id = id;
    const detail = rand.int(3);
    if (detail === 1) m.progressDetail = {};
    if (detail === 2) m.progressDetail = { current: rand.int(100), total: 100 };
  }
  return m;
}

t.test('the transcript rendered on demand equals the lines rendered as they came', async (t) => {
  const seed = fuzzSeed();
  const rand = new Prng(seed);
  let failures = 0;
  for (let i = 0; i < 3000; i++) {
    const messages = Array.from({ length: rand.int(40) }, () => randomMessage(rand));
    const capacity = rand.pick([0, 1, 2, 3, 7, 50]);
    const want = eagerTranscript(messages, capacity);
    const got = lazyTranscript(messages, capacity);
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      failures++;
      if (failures <= 3) t.same(got, want, `case ${i} (BERTH_FUZZ_SEED=${seed}), capacity ${capacity}`);
    }
  }
  t.equal(failures, 0, `3000 cases, seed ${seed}`);
});

t.test('edge cases against the eager rendering', async (t) => {
  const cases: Array<{ name: string; messages: ProgressMessage[] }> = [
    { name: 'an empty stream text is no line', messages: [{ stream: '' }, { stream: 'a\n' }] },
    { name: 'a one-line text after a held partial joins it', messages: [{ stream: 'start ' }, { stream: 'end\n' }, { stream: 'next\n' }] },
    { name: 'a bare newline is an empty line', messages: [{ stream: '\n' }, { stream: '\n' }] },
    { name: 'lines at and past the length limit are cut the same', messages: [{ stream: `${long(MAX_LINE_CHARS)}\n` }, { stream: `${long(MAX_LINE_CHARS + 1)}\n` }, { stream: `${long(MAX_LINE_CHARS + 1)}\r\n` }] },
    { name: 'status and stream in one message: the stream line first', messages: [{ stream: 'built\n', status: 'Done', id: 'x' }] },
    { name: 'a long status with a long id', messages: [{ status: long(MAX_LINE_CHARS), id: long(MAX_LINE_CHARS) }, { status: 's', id: long(MAX_LINE_CHARS) }] },
    { name: 'progress ticks and empty statuses are no lines', messages: [{ status: 'Downloading', progressDetail: { current: 1 } }, { status: '' }, { status: 'ok', id: '' }] },
    { name: 'a partial at the end is the last line', messages: [{ stream: 'a\n' }, { stream: 'unterminated' }] },
  ];
  for (const { name, messages } of cases) {
    for (const capacity of [0, 1, 2, 50]) t.same(lazyTranscript(messages, capacity), eagerTranscript(messages, capacity), `${name} (capacity ${capacity})`);
  }
});

t.test('a consumer changing the messages it was given does not change the transcript', async (t) => {
  const body = Buffer.from([
    { stream: 'Step 1/2 : FROM busybox\n' },
    { status: 'Pull complete', id: 'abc' },
    { stream: 'doing\n' },
    { errorDetail: { message: 'failed' } },
  ].map((m) => `${JSON.stringify(m)}\r\n`).join(''));
  const r = await collect((async function* () {
    for await (const m of progress(fromChunks([body]))) {
      const changed = m as { stream?: string; status?: string; id?: string };
      yield { ...m };
      delete changed.stream;
      changed.status = 'changed';
      changed.id = 'changed';
    }
  })());
  t.type(r.error, DockerStreamError);
  t.same((r.error as DockerStreamError).transcript, ['Step 1/2 : FROM busybox', 'abc: Pull complete', 'doing']);
  t.equal(r.items.length, 3);
});

t.test('lines() can be called again, and recording goes on after it', async (t) => {
  const transcript = new ProgressTranscript(3);
  transcript.add({ stream: 'a\n' });
  transcript.add({ stream: 'partial' });
  t.same(transcript.lines(), ['a', 'partial']);
  t.same(transcript.lines(), ['a', 'partial'], 'the partial line is recorded once');
  transcript.add({ status: 'b', id: 'x' });
  transcript.add({ stream: 'c\n' });
  t.same(transcript.lines(), ['partial', 'x: b', 'c']);
});

t.test('asProgressMessage: the same message or the same error as checking every key', async (t) => {
  const types: Record<string, 'string' | 'number' | 'object'> = {
    stream: 'string', status: 'string', id: 'string', progress: 'string', error: 'string', from: 'string',
    time: 'number', timeNano: 'number', progressDetail: 'object', errorDetail: 'object',
  };
  const values: unknown[] = ['', 'text', 0, 1.5, true, null, [], [1], {}, { current: 1 }];
  const keys = [...Object.keys(types), 'aux', 'other'];
  /** The oracle: every key in order; null fields dropped, the first mistyped one named. */
  function reference(obj: JsonObject): string {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(obj)) {
      const expected = types[key];
      if (expected !== undefined && value === null) continue;
      const ok = expected === undefined || (expected === 'object' ? typeof value === 'object' && value !== null && !Array.isArray(value) : typeof value === expected);
      if (!ok) return `error: ${key}`;
      out[key] = value;
    }
    return JSON.stringify(out);
  }
  function actual(obj: JsonObject): string {
    try {
      return JSON.stringify(asProgressMessage(obj));
    } catch (err) {
      return err instanceof DockerProtocolError ? `error: ${/field "(\w+)"/.exec(err.message)?.[1] ?? err.message}` : `untyped: ${String(err)}`;
    }
  }
  const seed = fuzzSeed();
  const rand = new Prng(seed);
  let failures = 0;
  let errors = 0;
  for (let i = 0; i < 20_000; i++) {
    const obj: Record<string, unknown> = {};
    for (let k = rand.int(6); k > 0; k--) {
      const key = rand.pick(keys);
      const expected = types[key];
      // mostly well-typed, so that clean messages are common
      obj[key] = rand.int(3) > 0 && expected !== undefined ? { string: 'x', number: 7, object: {} }[expected] : rand.pick(values);
    }
    const want = reference(obj);
    const got = actual(obj);
    if (want.startsWith('error')) errors++;
    if (got !== want) {
      failures++;
      if (failures <= 3) t.equal(got, want, `case ${i} (BERTH_FUZZ_SEED=${seed}): ${JSON.stringify(obj)}`);
    }
  }
  t.equal(failures, 0, `20000 objects, seed ${seed}`);
  t.ok(errors > 1000 && errors < 19_000, `clean and mistyped messages both common (${errors} mistyped)`);
  const clean = { status: 'ok', id: 'a' };
  t.equal(asProgressMessage(clean), clean, 'a clean message is handed out as it is, not copied');
});
