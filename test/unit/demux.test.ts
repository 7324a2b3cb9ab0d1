import t from 'tap';
import { PassThrough, Readable } from 'node:stream';
import {
  DockerAbortError, DockerProtocolError, DockerStreamError, demux, demuxBuffer, demuxToStreams, isMultiplexed, rawFrames, splitOutput,
  type Frame,
} from '../../src/index.js';
import { DEFAULT_MAX_FRAME_BYTES, FrameDecoder } from '../../src/engine/streams/demux.js';
import { Prng, chunkings, collect, decodeAll, errorText, frame, fromChunks, fuzzSeed, randomChunks, readableOf, settle } from '../helpers/streams.js';

/** The output as runs of one stream's bytes (hex), in order, and the error as "Class: message". */
type Outcome = { runs: string[]; error: string | undefined };

/**
 * Items as comparable runs: consecutive items of the same stream are
 * joined, since where a frame is cut depends on the chunking and carries
 * no meaning. Two streams alternating stay apart, in order.
 */
function runsOf(items: ReadonlyArray<{ stream: string; data: Buffer }>): string[] {
  const runs: Array<{ stream: string; hex: string }> = [];
  for (const { stream, data } of items) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last.stream === stream) last.hex += data.toString('hex');
    else runs.push({ stream, hex: data.toString('hex') });
  }
  return runs.map((r) => `${r.stream}:${r.hex}`);
}

function describe(frames: readonly Frame[], error: unknown): Outcome {
  return { runs: runsOf(frames), error: errorText(error) };
}

/** Feeds chunks to a FrameDecoder synchronously. */
function decodeSync(chunks: readonly Buffer[]): Outcome {
  const r = decodeAll(new FrameDecoder(), chunks);
  return describe(r.items, r.error);
}

/** The same through the async iterator. */
async function decodeAsync(chunks: readonly Buffer[]): Promise<Outcome> {
  const r = await collect(demux(fromChunks(chunks)));
  return describe(r.items, r.error);
}

/**
 * A deliberately simple whole-buffer decoder: the oracle the incremental
 * one must agree with for every chunking. The payload bytes a truncated
 * frame did bring are output before the error (they arrived; the
 * truncation is found only at the end), except an engine error message's.
 */
function reference(buf: Buffer, max = DEFAULT_MAX_FRAME_BYTES): Outcome {
  const items: Array<{ stream: string; data: Buffer }> = [];
  const done = (error: string | undefined): Outcome => ({ runs: runsOf(items), error });
  let at = 0;
  while (at < buf.length) {
    if (buf.length - at < 8) return done(`DockerProtocolError: stream ended inside a frame: ${buf.length - at} of 8 header bytes`);
    const type = buf[at] as number;
    const size = buf.readUInt32BE(at + 4);
    if (type > 3) return done(`DockerProtocolError: unrecognized stream ${type} in a multiplexed stream; is it a raw (TTY) stream?`);
    if (size > max) return done(`DockerProtocolError: a frame of ${size} bytes exceeds the limit of ${max} bytes (maxFrameBytes)`);
    const data = buf.subarray(at + 8, at + 8 + size);
    const stream = ['stdin', 'stdout', 'stderr'][type] ?? '?';
    if (data.length < size) {
      if (type !== 3 && data.length > 0) items.push({ stream, data });
      return done(`DockerProtocolError: stream ended inside a frame: ${buf.length - at} of ${8 + size} bytes`);
    }
    at += 8 + size;
    if (size === 0) continue;
    if (type === 3) return done(`DockerStreamError: ${data.toString('utf8').trim() || 'the engine reported an error without a message'}`);
    items.push({ stream, data });
  }
  return done(undefined);
}

const STREAMS: Array<{ name: string; bytes: Buffer; want: Outcome }> = [
  {
    name: 'stdout, stderr and stdin frames',
    bytes: Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n'), frame(0, 'in'), frame(1, '')]),
    want: { runs: ['stdout:6f75740a', 'stderr:6572720a', 'stdin:696e'], error: undefined },
  },
  {
    name: 'zero-length frames are skipped',
    bytes: Buffer.concat([frame(1, ''), frame(2, ''), frame(1, 'x'), frame(2, '')]),
    want: { runs: ['stdout:78'], error: undefined },
  },
  {
    name: 'a system-error frame is a DockerStreamError with the engine text',
    bytes: Buffer.concat([frame(1, 'before'), frame(3, 'Error grabbing logs: log file is corrupt\n'), frame(1, 'after')]),
    want: { runs: ['stdout:6265666f7265'], error: 'DockerStreamError: Error grabbing logs: log file is corrupt' },
  },
  {
    name: 'an unknown stream is a DockerProtocolError',
    bytes: Buffer.concat([frame(2, 'e'), frame(7, 'x')]),
    want: { runs: ['stderr:65'], error: 'DockerProtocolError: unrecognized stream 7 in a multiplexed stream; is it a raw (TTY) stream?' },
  },
  {
    name: 'a raw stream read as multiplexed fails at once',
    bytes: Buffer.from('hello, world\n'),
    want: { runs: [], error: 'DockerProtocolError: unrecognized stream 104 in a multiplexed stream; is it a raw (TTY) stream?' },
  },
  {
    name: 'binary payloads, multi-byte text and a frame larger than 64 KiB',
    bytes: Buffer.concat([frame(1, Buffer.from([0, 1, 2, 255, 254])), frame(2, '✓ 😀'), frame(1, Buffer.alloc(70_000, 0x61))]),
    want: { runs: ['stdout:000102fffe', `stderr:${Buffer.from('✓ 😀').toString('hex')}`, `stdout:${'61'.repeat(70_000)}`], error: undefined },
  },
];

t.test('every stream type, fed whole, byte by byte and split at every boundary', async (t) => {
  for (const s of STREAMS) {
    await t.test(s.name, async (t) => {
      const small = s.bytes.length < 1000;
      for (const { name, chunks } of small ? chunkings(s.bytes) : chunkings(s.bytes).filter((_, i) => i < 3 || i % 997 === 0)) {
        t.same(decodeSync(chunks), s.want, `sync: ${name}`);
      }
      t.same(reference(s.bytes), s.want, 'the reference decoder agrees');
      t.same(await decodeAsync([s.bytes]), s.want, 'demux(), one chunk');
      t.same(await decodeAsync(chunkings(s.bytes)[1]?.chunks ?? [s.bytes]), s.want, 'demux(), 1-byte chunks');
    });
  }
});

t.test('truncation at every possible cut point is a DockerProtocolError', async (t) => {
  const whole = Buffer.concat([frame(1, 'hello'), frame(2, 'world!'), frame(1, '')]);
  const ends = [0, 13, 27, 35]; // frame boundaries: cutting there is a clean end
  for (let cut = 0; cut <= whole.length; cut++) {
    const part = whole.subarray(0, cut);
    const want = reference(part);
    const clean = ends.includes(cut);
    t.equal(want.error === undefined, clean, `reference: cut at ${cut} is ${clean ? 'clean' : 'truncated'}`);
    for (const { name, chunks } of chunkings(part)) {
      const got = decodeSync(chunks);
      if (JSON.stringify(got) !== JSON.stringify(want)) t.same(got, want, `cut at ${cut}, ${name}`);
    }
    const got = await decodeAsync([part]);
    t.same(got, want, `cut at ${cut}: ${want.error ?? 'clean end'}`);
  }
  t.same(reference(whole.subarray(0, 10)).error, 'DockerProtocolError: stream ended inside a frame: 10 of 13 bytes');
  t.same(reference(whole.subarray(0, 16)).error, 'DockerProtocolError: stream ended inside a frame: 3 of 8 header bytes');
});

t.test('a frame inside one chunk is a view of that chunk (zero copy)', async (t) => {
  const chunk = Buffer.concat([frame(1, 'abc'), frame(2, 'defg')]);
  const frames = demuxBuffer(chunk);
  t.equal(frames.length, 2);
  for (const f of frames) t.equal(f.data.buffer, chunk.buffer, `${f.stream} shares the chunk's memory`);
  t.equal(frames[0]?.data.byteOffset, chunk.byteOffset + 8);
  const fromIterator = await collect(demux(fromChunks([chunk])));
  t.equal(fromIterator.items[1]?.data.buffer, chunk.buffer, 'demux() too');
});

t.test('a frame across many chunks is handed out as views of them, in order, never copied', async (t) => {
  const payload = Buffer.alloc(1 << 20);
  for (let i = 0; i < payload.length; i++) payload[i] = i % 251;
  const bytes = Buffer.concat([frame(1, payload), frame(2, 'tail')]);
  const chunks = randomChunks(bytes, new Prng(7), 4096);
  const original = Buffer.concat;
  let concats = 0;
  Buffer.concat = ((list: readonly Uint8Array[], total?: number) => {
    concats++;
    return original(list, total);
  }) as typeof Buffer.concat;
  const items: Frame[] = [];
  let maxBuffered = 0;
  let foreign = 0;
  try {
    const decoder = new FrameDecoder();
    for (const c of chunks) {
      decoder.push(c);
      for (let f = decoder.read(); f; f = decoder.read()) {
        if (f.data.buffer !== c.buffer || f.data.byteOffset < c.byteOffset || f.data.byteOffset + f.data.length > c.byteOffset + c.length) foreign++;
        items.push(f);
      }
      maxBuffered = Math.max(maxBuffered, decoder.buffered);
    }
    decoder.end();
  } finally {
    Buffer.concat = original;
  }
  t.equal(concats, 0, 'nothing joined');
  t.equal(foreign, 0, 'every item is a view of the chunk just pushed');
  t.ok(maxBuffered < 8, `at most a split header held (${maxBuffered} bytes)`);
  const out = items.filter((f) => f.stream === 'stdout');
  t.ok(out.length > 200, `the frame came as ${out.length} pieces`);
  t.ok(Buffer.concat(out.map((f) => f.data)).equals(payload), 'its pieces, in order, are the payload');
  t.same(items.slice(out.length).map((f) => `${f.stream}:${f.data.toString()}`), ['stderr:tail'], 'then the next frame');
});

t.test('a header split across chunks is assembled; the payload after it is a view', async (t) => {
  const bytes = Buffer.concat([frame(2, 'abcdef'), frame(1, 'xyz')]);
  const chunks = [bytes.subarray(0, 3), bytes.subarray(3, 10), bytes.subarray(10, 17), bytes.subarray(17)];
  const d = new FrameDecoder();
  const got: string[] = [];
  for (const c of chunks) {
    d.push(c);
    t.ok(d.buffered < 8);
    for (let f = d.read(); f; f = d.read()) {
      t.equal(f.data.buffer, c.buffer, `${f.data.toString()} is a view`);
      got.push(`${f.stream}:${f.data.toString()}`);
    }
  }
  d.end();
  t.same(got, ['stderr:ab', 'stderr:cdef', 'stdout:xyz']);
});

t.test('an engine error message split across chunks is raised whole; it is all the decoder holds', async (t) => {
  const message = 'Error grabbing logs: log file is corrupt';
  const bytes = Buffer.concat([frame(1, 'ok'), frame(3, message)]);
  const d = new FrameDecoder();
  d.push(bytes.subarray(0, 20));
  t.equal(d.read()?.data.toString(), 'ok');
  t.equal(d.read(), undefined);
  t.equal(d.buffered, 20 - 10 - 8, 'the first bytes of the message are held');
  d.push(bytes.subarray(20, 30));
  t.equal(d.read(), undefined);
  d.push(bytes.subarray(30));
  t.throws(() => d.read(), new DockerStreamError(message));
  t.equal(d.buffered, 0);
});

t.test('sizes are unsigned 32-bit and bounded by maxFrameBytes', async (t) => {
  const huge = Buffer.from([1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
  const before = process.memoryUsage();
  const decoder = new FrameDecoder({ maxFrameBytes: 1024 });
  decoder.push(huge);
  t.throws(() => decoder.read(), new DockerProtocolError('a frame of 4294967295 bytes exceeds the limit of 1024 bytes (maxFrameBytes)'),
    'refused from the 8 header bytes alone');
  const after = process.memoryUsage();
  t.ok(after.arrayBuffers - before.arrayBuffers < 1 << 20, 'nothing was allocated for the claimed size');
  t.throws(() => decoder.read(), DockerProtocolError, 'the error sticks');
  t.throws(() => decoder.push(Buffer.from('x')), DockerProtocolError);

  const byDefault = new FrameDecoder();
  byDefault.push(huge);
  t.throws(() => byDefault.read(), /exceeds the limit of 67108864 bytes/, 'the default limit is 64 MiB');

  const sizeWithHighBit = Buffer.from([2, 0, 0, 0, 0x80, 0, 0, 0]);
  const unbounded = new FrameDecoder({ maxFrameBytes: 2 ** 32 });
  unbounded.push(sizeWithHighBit);
  t.equal(unbounded.read(), undefined, 'a 2 GiB frame is read, not misread as negative');
  unbounded.push(Buffer.alloc(1000));
  t.equal(unbounded.read()?.data.length, 1000, 'the bytes that arrived are handed out');
  t.equal(unbounded.read(), undefined);
  t.equal(unbounded.buffered, 0, 'nothing is held');
  t.throws(() => unbounded.end(), /stream ended inside a frame: 1008 of 2147483656 bytes/);
});

t.test('chunks pushed before the previous one was read are kept in order', async (t) => {
  const d = new FrameDecoder();
  d.push(frame(1, 'a'));
  d.push(frame(2, 'b'));
  d.push(frame(1, 'c'));
  const got: string[] = [];
  for (let f = d.read(); f; f = d.read()) got.push(`${f.stream}:${f.data.toString()}`);
  t.same(got, ['stdout:a', 'stderr:b', 'stdout:c']);
  d.end();
});

t.test('seeded fuzz: only typed errors, the reference outcome for every chunking, never a hang', async (t) => {
  const seed = fuzzSeed();
  const rand = new Prng(seed);
  const cases = 10_000;
  let failures = 0;
  let errors = 0;
  for (let i = 0; i < cases && failures < 5; i++) {
    const input = fuzzInput(rand);
    const want = reference(input);
    const chunks = randomChunks(input, rand, rand.pick([1, 3, 9, 64, 4096]));
    const got = i % 10 === 0 ? await decodeAsync(chunks) : decodeSync(chunks);
    const typed = got.error === undefined || /^Docker(Protocol|Stream)Error: /.test(got.error);
    if (!typed || JSON.stringify(got) !== JSON.stringify(want)) {
      failures++;
      t.fail(`case ${i} (BERTH_FUZZ_SEED=${seed}): input ${input.toString('hex').slice(0, 200)}`, { got, want });
    }
    if (got.error !== undefined) errors++;
  }
  t.equal(failures, 0, `${cases} cases, seed ${seed}`);
  t.ok(errors > 1000 && errors < cases, `a mix of clean and failing inputs (${errors} failed)`);
});

/** Random bytes, or valid frames then a corruption (a flipped byte, a cut, an inserted byte, a wrong size). */
function fuzzInput(rand: Prng): Buffer {
  if (rand.int(5) === 0) return rand.bytes(rand.int(40));
  const parts: Buffer[] = [];
  const n = rand.int(6);
  for (let i = 0; i < n; i++) {
    const type = rand.int(10) === 0 ? 3 : 1 + rand.int(2) - (rand.int(20) === 0 ? 1 : 0);
    parts.push(frame(type, rand.bytes(rand.pick([0, 1, 5, 17, 300]))));
  }
  let buf = Buffer.concat(parts);
  switch (rand.int(5)) {
    case 0: if (buf.length) buf[rand.int(buf.length)] = rand.int(256); break;
    case 1: buf = buf.subarray(0, rand.int(buf.length + 1)); break;
    case 2: { const at = rand.int(buf.length + 1); buf = Buffer.concat([buf.subarray(0, at), rand.bytes(1), buf.subarray(at)]); break; }
    case 3: if (buf.length >= 8) buf.writeUInt32BE(rand.int(2) ? 0xffffffff : rand.int(1000), 4); break;
    default: break; // valid
  }
  return buf;
}

t.test('demux() reads only as fast as the consumer, and destroys the source when the consumer stops', async (t) => {
  let pulled = 0;
  const source = new Readable({
    highWaterMark: 16,
    read() {
      pulled++;
      this.push(frame(1, `line ${pulled}\n`));
    },
  });
  const seen: string[] = [];
  for await (const f of demux(source)) {
    seen.push(f.data.toString());
    if (seen.length === 3) break;
  }
  t.same(seen, ['line 1\n', 'line 2\n', 'line 3\n']);
  // the read-ahead is the puller's queue: sixteen highWaterMarks of 16 bytes, about one frame each
  t.ok(pulled <= 16 + 4, `an endless source was read ${pulled} times, not drained`);
  t.ok(source.destroyed, 'break destroyed the source');
});

t.test('demux() destroys the source on a decoding error', async (t) => {
  const source = readableOf([frame(1, 'ok'), Buffer.from([9, 0, 0, 0, 0, 0, 0, 1, 0]), frame(1, 'never')]);
  const r = await collect(demux(source));
  t.type(r.error, DockerProtocolError);
  t.same(r.items.map((f) => f.data.toString()), ['ok']);
  t.ok(source.destroyed);
});

t.test('abort', async (t) => {
  await t.test('while waiting for bytes: rejects with DockerAbortError carrying the reason, source destroyed', async (t) => {
    const source = new PassThrough();
    source.write(frame(1, 'first'));
    const ac = new AbortController();
    const it = demux(source, { signal: ac.signal });
    const first = await it.next();
    t.equal(first.done, false);
    const pending = it.next();
    ac.abort(new Error('user gave up'));
    const err = await pending.then(() => undefined, (e: unknown) => e);
    t.type(err, DockerAbortError);
    const reason = (err as DockerAbortError).reason;
    t.equal(reason instanceof Error ? reason.message : reason, 'user gave up');
    t.ok(source.destroyed);
  });
  await t.test('frames already decoded are not handed out after the abort', async (t) => {
    const ac = new AbortController();
    const it = demux(fromChunks([Buffer.concat([frame(1, 'a'), frame(1, 'b'), frame(1, 'c')])]), { signal: ac.signal });
    t.equal((await it.next()).value?.data.toString(), 'a');
    ac.abort();
    await t.rejects(it.next(), DockerAbortError);
  });
  await t.test('an already aborted signal fails before reading', async (t) => {
    const source = readableOf([frame(1, 'x')]);
    await t.rejects(collect(demux(source, { signal: AbortSignal.abort('early') })).then((r) => { if (r.error) throw r.error; }), DockerAbortError);
    t.ok(source.destroyed);
  });
  await t.test('a plain async iterable that never yields is still interrupted', async (t) => {
    const never: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: () => ({ next: () => new Promise<IteratorResult<Buffer>>(() => undefined) }) };
    const ac = new AbortController();
    const pending = collect(demux(never, { signal: ac.signal }));
    await settle();
    ac.abort();
    t.type((await pending).error, DockerAbortError);
  });
});

t.test('source errors are typed: mapError, or a DockerError wrapping the cause', async (t) => {
  const failing = (): Readable => {
    const r = new Readable({ read() { this.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })); } });
    return r;
  };
  const plain = await collect(demux(failing(), { request: { method: 'GET', path: '/v1.41/containers/x/logs' } }));
  t.match(plain.error, { name: 'DockerError', code: 'ERR_DOCKER', message: /reading the engine's stream failed: socket hang up \(GET \/v1\.41\/containers\/x\/logs\)/ });
  const mapped = await collect(demux(failing(), { mapError: (e) => new DockerProtocolError(`mapped ${(e as Error).message}`) }));
  t.match(mapped.error, { name: 'DockerProtocolError', message: 'mapped socket hang up' });
});

t.test('rawFrames: every chunk is stdout, in order, as is', async (t) => {
  const chunks = [Buffer.from('\u0001\u0000 raw tty '), Buffer.alloc(0), Buffer.from('bytes')];
  const r = await collect(rawFrames(fromChunks(chunks)));
  t.same(r.items.map((f) => [f.stream, f.data.toString()]), [['stdout', '\u0001\u0000 raw tty '], ['stdout', 'bytes']]);
  t.equal(r.items[0]?.data, chunks[0], 'the chunk itself');
});

t.test('demuxBuffer and splitOutput for whole (non-follow) logs', async (t) => {
  const body = Buffer.concat([frame(1, 'a'), frame(2, 'B'), frame(0, 'c'), frame(1, 'd'), frame(2, 'E')]);
  const frames = demuxBuffer(body);
  t.same(splitOutput(frames), { stdout: Buffer.from('acd'), stderr: Buffer.from('BE') }, 'stdin frames count as stdout');
  t.same(splitOutput([]), { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) });
  t.throws(() => demuxBuffer(body.subarray(0, body.length - 1)), /stream ended inside a frame: 8 of 9 bytes/);
  t.throws(() => demuxBuffer(frame(3, 'boom')), DockerStreamError);
});

t.test('isMultiplexed: Content-Type from API 1.42, Tty before', async (t) => {
  const MUX = 'application/vnd.docker.multiplexed-stream';
  const RAW = 'application/vnd.docker.raw-stream';
  t.equal(isMultiplexed(MUX, '1.45', true), true, 'the header wins over a guess from tty');
  t.equal(isMultiplexed(RAW, '1.45', false), false);
  t.equal(isMultiplexed(RAW, '1.42', undefined), false);
  t.equal(isMultiplexed(`${RAW}; charset=binary`, '1.51', false), false, 'parameters are ignored');
  t.equal(isMultiplexed('Application/Vnd.Docker.Raw-Stream', '1.51', false), false, 'media types are case-insensitive');
  t.equal(isMultiplexed(RAW, '1.41', false), true, 'below 1.42 the header always says raw: tty decides');
  t.equal(isMultiplexed(RAW, '1.41', true), false);
  t.equal(isMultiplexed(RAW, '1.41', undefined), true, 'multiplexed unless tty is true');
  t.equal(isMultiplexed(undefined, '1.45', true), false, 'no header: tty decides');
  t.equal(isMultiplexed(undefined, '1.45', undefined), true);
  t.equal(isMultiplexed('application/json', '1.45', false), true, 'an unrelated type: tty decides');
  t.equal(isMultiplexed(RAW, undefined, false), true, 'unknown version: tty decides');
  t.equal(isMultiplexed(MUX, '1.41', true), true, 'only an engine that multiplexes says so');
});

t.test('demuxToStreams', async (t) => {
  await t.test('splits, and ends both outputs', async (t) => {
    const body = Buffer.concat([frame(1, 'o1 '), frame(2, 'e1 '), frame(1, 'o2'), frame(0, ' i'), frame(2, 'e2')]);
    const { stdout, stderr, done } = demuxToStreams(fromChunks(chunkings(body)[1]?.chunks ?? []));
    const [out, err] = await Promise.all([text(stdout), text(stderr)]);
    await done;
    t.equal(out, 'o1 o2 i');
    t.equal(err, 'e1 e2');
  });

  await t.test('backpressure: an unread stdout holds stderr back instead of buffering without bound', async (t) => {
    const hwm = 1024;
    const frameSize = 100;
    let pulled = 0;
    let maxStdoutBuffered = 0;
    let outputs: { stdout: Readable } | undefined;
    async function* source(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 10_000; i++) {
        pulled++;
        if (outputs) maxStdoutBuffered = Math.max(maxStdoutBuffered, outputs.stdout.readableLength);
        yield Buffer.concat([frame(1, Buffer.alloc(frameSize, 0x6f)), frame(2, Buffer.alloc(frameSize, 0x65))]);
      }
    }
    const streams = demuxToStreams(source(), { highWaterMark: hwm });
    outputs = streams;
    let stderrBytes = 0;
    streams.stderr.on('data', (d: Buffer) => { stderrBytes += d.length; });
    await settle(20);
    t.ok(pulled < 50, `with stdout unread the source was pulled ${pulled} times, then reading paused`);
    t.ok(streams.stdout.readableLength <= hwm + frameSize, `stdout holds ${streams.stdout.readableLength} bytes (≤ highWaterMark + one frame)`);
    t.ok(stderrBytes < 50 * frameSize, `stderr got ${stderrBytes} bytes while stdout was stuck`);
    let stdoutBytes = 0;
    streams.stdout.on('data', (d: Buffer) => { stdoutBytes += d.length; });
    await streams.done;
    await Promise.all([ended(streams.stdout), ended(streams.stderr)]);
    t.equal(stdoutBytes, 10_000 * frameSize, 'everything arrives once stdout is read');
    t.equal(stderrBytes, 10_000 * frameSize);
    t.ok(maxStdoutBuffered <= hwm + frameSize, `stdout never held more than ${maxStdoutBuffered} bytes`);
  });

  await t.test('an error reaches both outputs and rejects done', async (t) => {
    const source = readableOf([frame(1, 'partial output'), frame(3, 'Error grabbing logs: boom')]);
    const { stdout, stderr, done } = demuxToStreams(source);
    const errors: unknown[] = [];
    stdout.on('error', (e) => errors.push(e));
    stderr.on('error', (e) => errors.push(e));
    stdout.resume();
    stderr.resume();
    await t.rejects(done, new DockerStreamError('Error grabbing logs: boom'));
    await settle();
    t.equal(errors.length, 2, 'both outputs emitted the error');
    t.equal(errors[0], errors[1], 'the same typed error');
    t.type(errors[0], DockerStreamError);
    t.ok(source.destroyed, 'the source was destroyed');
  });

  await t.test('a truncated stream rejects done; outputs without listeners do not crash the process', async (t) => {
    const { stdout, stderr, done } = demuxToStreams(fromChunks([frame(1, 'abc').subarray(0, 10)]));
    stdout.resume();
    stderr.resume();
    await t.rejects(done, /stream ended inside a frame: 10 of 11 bytes/);
  });

  await t.test('abort destroys both outputs with DockerAbortError and the source', async (t) => {
    const source = new PassThrough();
    const ac = new AbortController();
    const { stdout, stderr, done } = demuxToStreams(source, { signal: ac.signal });
    const firstData = new Promise((resolve) => stdout.once('data', resolve));
    stderr.resume();
    source.write(frame(1, 'hello'));
    await firstData;
    ac.abort('stop');
    await t.rejects(done, DockerAbortError);
    t.ok(source.destroyed);
    t.ok(stdout.destroyed && stderr.destroyed);
  });

  await t.test('destroying both outputs stops reading and releases the source', async (t) => {
    const source = new PassThrough();
    const { stdout, stderr, done } = demuxToStreams(source);
    stdout.destroy();
    stderr.destroy();
    await done;
    t.ok(source.destroyed);
  });

  await t.test('frames of a destroyed output are dropped; the other keeps flowing', async (t) => {
    const body = [frame(2, 'x'.repeat(100)), frame(1, 'kept'), frame(2, 'y'.repeat(100)), frame(1, ' too')];
    const { stdout, stderr, done } = demuxToStreams(fromChunks(body), { highWaterMark: 1 });
    stderr.destroy();
    t.equal(await text(stdout), 'kept too');
    await done;
  });
});

async function text(r: Readable): Promise<string> {
  let s = '';
  for await (const c of r as AsyncIterable<Buffer>) s += c.toString('utf8');
  return s;
}

function ended(r: Readable): Promise<void> {
  return r.readableEnded ? Promise.resolve() : new Promise((resolve) => r.once('end', () => resolve()));
}

t.test('the iterator: concurrent next() calls are served in order; return() during a pull ends it', async (t) => {
  const source = new PassThrough();
  const it = demux(source);
  const calls = [it.next(), it.next(), it.next()];
  source.write(Buffer.concat([frame(1, 'a'), frame(2, 'b')]).subarray(0, 12));
  source.write(Buffer.concat([frame(1, 'a'), frame(2, 'b')]).subarray(12));
  source.end(frame(1, 'c'));
  const results = await Promise.all(calls);
  t.same(results.map((r) => (r.done ? 'done' : `${r.value.stream}:${r.value.data.toString()}`)), ['stdout:a', 'stderr:b', 'stdout:c']);
  t.same(await it.next(), { value: undefined, done: true });

  const waiting = new PassThrough();
  const it2 = demux(waiting);
  const pending = it2.next();
  await settle();
  t.same(await it2.return(), { value: undefined, done: true });
  t.same(await pending, { value: undefined, done: true }, 'the pending pull ends quietly');
  t.ok(waiting.destroyed, 'the source was destroyed');
  t.same(await it2.next(), { value: undefined, done: true });

  const it3 = demux(readableOf([frame(1, 'x')]));
  await t.rejects(it3.throw(new Error('consumer failed')), /consumer failed/);
  t.same(await it3.next(), { value: undefined, done: true }, 'done after throw()');
});

t.test('demuxToStreams: a source failing before anyone reads is reported through done', async (t) => {
  const source = new PassThrough();
  const { stdout, done } = demuxToStreams(source);
  source.destroy(new Error('connection reset before the first read'));
  await settle();
  stdout.resume();
  await t.rejects(done, { name: 'DockerError', message: /connection reset before the first read/ });
});

t.test('readPayload: the bytes without a Frame object, payloadStream names their stream', async (t) => {
  const bytes = Buffer.concat([frame(1, 'out'), frame(2, 'err'), frame(0, 'in')]);
  const d = new FrameDecoder();
  d.push(bytes.subarray(0, 10)); // the first frame cut after 'ou', inside its payload
  d.push(bytes.subarray(10));
  const got: string[] = [];
  for (let data = d.readPayload(); data !== undefined; data = d.readPayload()) got.push(`${d.payloadStream}:${data.toString()}`);
  d.end();
  t.same(got, ['stdout:ou', 'stdout:t', 'stderr:err', 'stdin:in']);
});
