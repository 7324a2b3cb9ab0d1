import t from 'tap';
import { Readable } from 'node:stream';
import { DockerArgumentError, DockerStreamError, LazyStream, demux, demuxToStreams, jsonLines } from '../../src/index.js';
import { ChunkPuller, MAX_QUEUED_CHUNKS, QUEUED_BYTES, queueLimit } from '../../src/engine/streams/source.js';
import { collect, frame, settle } from '../helpers/streams.js';

/** How a stream reader pulls a Readable: order, copies, backpressure, and the queue between them. */

/** Every chunk a puller hands out until the end. */
async function drain(puller: ChunkPuller): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let c = await puller.next(); c !== null; c = await puller.next()) out.push(c);
  return out;
}

/** A Readable that pushes the given chunks, `perRead` at a time, counting what it pushed. */
function counted(chunks: readonly Buffer[], perRead: number, highWaterMark: number): Readable & { pushed: number } {
  let i = 0;
  const r = new Readable({
    highWaterMark,
    read() {
      for (let n = 0; n < perRead; n++) {
        if (i === chunks.length) {
          this.push(null);
          return;
        }
        r.pushed++;
        this.push(chunks[i++]);
      }
    },
  }) as Readable & { pushed: number };
  r.pushed = 0;
  return r;
}

t.test('chunks come out in order; big ones are the chunks themselves, runs of small ones are joined', async (t) => {
  const big = [Buffer.alloc(3000, 1), Buffer.alloc(5000, 2)];
  const small = Array.from({ length: 40 }, (_, i) => Buffer.alloc(10, 3 + i));
  const chunks = [big[0] as Buffer, ...small.slice(0, 20), big[1] as Buffer, ...small.slice(20)];
  const out = await drain(new ChunkPuller(counted(chunks, 3, 16 * 1024)));
  t.ok(Buffer.concat(out).equals(Buffer.concat(chunks)), 'the same bytes, in order');
  t.equal(out[0], big[0], 'a big chunk is handed on as it came, not copied');
  t.ok(out.includes(big[1] as Buffer), 'the second one too');
  t.ok(out.length < chunks.length / 4, `40 small chunks came out as ${out.length - 2} joined runs`);
});

t.test('the queue reuses its slots, also when it never empties (its source resumed by someone else)', async (t) => {
  // chunks too big to be joined, three per read of the source; another party resumes the source after every take,
  // so the queue refills before it empties and its front moves on for good
  const chunks = Array.from({ length: 1000 }, (_, i) => Buffer.alloc(1500, i % 251));
  const source = counted(chunks, 3, 4096);
  const puller = new ChunkPuller(source);
  const queue = (puller as unknown as { queue: unknown[] }).queue;
  let taken = 0;
  let longest = 0;
  let waited = 0;
  let misplaced = 0;
  let ahead = 0;
  for (;;) {
    let c = puller.readNow();
    if (c === undefined) {
      waited++;
      c = await puller.next();
    }
    if (c === null) break;
    if (c !== chunks[taken]) misplaced++;
    taken++;
    longest = Math.max(longest, queue.length);
    ahead = Math.max(ahead, source.pushed - taken);
    source.resume();
    await settle(1);
  }
  t.equal(taken, chunks.length, 'every chunk arrived');
  t.equal(misplaced, 0, 'each one itself, in order');
  t.ok(waited < chunks.length / 10, `the consumer waited ${waited} times in ${taken} takes: the queue rarely emptied`);
  // the queue pauses the source at its bytes or its most chunks, and one read of the source adds three
  const holds = Math.min(MAX_QUEUED_CHUNKS, Math.ceil(queueLimit(4096) / 1500));
  t.ok(longest <= MAX_QUEUED_CHUNKS + holds + 3, `the queue's array held at most ${longest} slots (taken slots are reused, not left behind)`);
  t.ok(ahead <= holds + 6, `the source is paused, not drained ahead (at most ${ahead} chunks pushed and not taken)`);
});

t.test('a source of chunks as big as the queue\'s bytes is paused with two chunks queued, and resumed once both are taken', async (t) => {
  const chunks = Array.from({ length: 100 }, () => Buffer.alloc(queueLimit(16 * 1024), 5));
  const source = counted(chunks, 1, 16 * 1024);
  let pauses = 0;
  source.on('pause', () => pauses++);
  const puller = new ChunkPuller(source);
  const out: Buffer[] = [];
  // one chunk a turn, as a consumer that writes each one somewhere takes them
  for (let c = await puller.next(); c !== null; c = await puller.next()) {
    out.push(c);
    await settle(1);
  }
  t.equal(out.length, chunks.length, 'every chunk, as it came');
  t.ok(out.every((c, i) => c === chunks[i]), 'none copied');
  t.ok(pauses <= chunks.length / 2 + 2, `paused ${pauses} times for ${chunks.length} chunks`);
});

t.test('backpressure: a consumer that stops taking leaves the source paused within the queue\'s bytes', async (t) => {
  const size = 20_000;
  const chunks = Array.from({ length: 100 }, () => Buffer.alloc(size, 7));
  const source = counted(chunks, 1, 8192);
  const puller = new ChunkPuller(source);
  t.equal(puller.readNow(), chunks[0], 'the first chunk, without waiting');
  await settle(10);
  // the queue pauses at its bytes (queueLimit(8192): 7 chunks of 20,000 bytes); the Readable reads ahead one more
  t.ok(source.pushed <= 1 + Math.ceil(queueLimit(8192) / size) + 1, `the source pushed ${source.pushed} chunks while nobody took any`);
  t.ok(source.isPaused(), 'and is paused');
  const rest = await drain(puller);
  t.equal(rest.length, chunks.length - 1, 'then everything arrives');
});

t.test('a LazyStream over demux(): items in order, an in-band error ends it for good, break destroys the source', async (t) => {
  const failing = Readable.from([Buffer.concat([frame(1, 'one'), frame(2, 'two'), frame(3, 'boom')])]);
  const stream = new LazyStream(async () => demux(failing));
  const first = await collect(stream);
  t.same(first.items.map((f) => `${f.stream}:${f.data.toString()}`), ['stdout:one', 'stderr:two']);
  t.type(first.error, DockerStreamError);
  t.same(await stream.next(), { value: undefined, done: true }, 'done after the error');
  t.same(await stream.next(), { value: undefined, done: true }, 'and stays done');

  let reads = 0;
  const endless = new Readable({ read() { reads++; this.push(frame(1, `${reads}`)); } });
  const lazy = new LazyStream(async () => demux(endless));
  for await (const f of lazy) if (f.data.toString() === '3') break;
  t.ok(endless.destroyed, 'break destroyed the source');
  t.same(await lazy.next(), { value: undefined, done: true }, 'done after break');
});

t.test('sources that are not Readables: arrays, generators, one chunk; anything else is a DockerArgumentError', async (t) => {
  const bytes = Buffer.concat([frame(1, 'out'), frame(2, 'err')]);
  const text = (items: Array<{ stream: string; data: Buffer }>): string[] => items.map((f) => `${f.stream}:${f.data.toString()}`);
  t.same(text((await collect(demux([bytes.subarray(0, 5), bytes.subarray(5)]))).items), ['stdout:out', 'stderr:err'], 'an array of chunks');
  t.same(text((await collect(demux(bytes))).items), ['stdout:out', 'stderr:err'], 'one Buffer');
  t.same(text((await collect(demux(new Uint8Array(bytes)))).items), ['stdout:out', 'stderr:err'], 'one Uint8Array');
  function* generated(): Generator<Buffer> {
    for (const b of bytes) yield Buffer.from([b]);
  }
  t.same(text((await collect(demux(generated()))).items).join(','), 'stdout:o,stdout:u,stdout:t,stderr:e,stderr:r,stderr:r', 'a generator of 1-byte chunks: a piece per chunk');
  const lines = await collect(jsonLines('{"a":1}\n{"b":2}\n'));
  t.same(lines.items, [{ a: 1 }, { b: 2 }], 'one string, as UTF-8');

  t.throws(() => demux(42 as never), DockerArgumentError, 'a number is not a source');
  t.throws(() => demux({} as never), { name: 'DockerArgumentError', message: /Readable or an iterable of chunks, not an object \(Object\)/ });

  let returned = false;
  const bad: Iterable<unknown> = {
    [Symbol.iterator]: () => {
      let i = 0;
      return {
        next: () => (i++ === 0 ? { value: frame(1, 'ok'), done: false } : { value: 7, done: false }),
        return: () => { returned = true; return { value: undefined, done: true }; },
      };
    },
  };
  const r = await collect(demux(bad as Iterable<Buffer>));
  t.same(text(r.items), ['stdout:ok'], 'what came before the bad chunk');
  t.type(r.error, DockerArgumentError);
  t.match(String((r.error as Error).message), /Buffers, Uint8Arrays or strings, not number/);
  t.ok(returned, 'the iterator was closed');
});

t.test('an object-mode Readable: a DockerArgumentError on the read, the source destroyed, no crash', async (t) => {
  const source = Readable.from([frame(1, 'ok'), { not: 'bytes' }]);
  const r = await collect(demux(source));
  t.same(r.items.map((f) => f.data.toString()), ['ok']);
  t.type(r.error, DockerArgumentError);
  t.match(String((r.error as Error).message), /not an object \(Object\)/);
  t.ok(source.destroyed);
  const streams = demuxToStreams(Readable.from([{ not: 'bytes' }]));
  streams.stdout.resume();
  streams.stderr.resume();
  await t.rejects(streams.done, DockerArgumentError, 'demuxToStreams() rejects the same way');
});

t.test('the queue\'s bytes: 256 KiB, within one to sixteen highWaterMarks of the source', async (t) => {
  t.equal(queueLimit(16 * 1024), QUEUED_BYTES, 'a default Readable: 256 KiB');
  t.equal(queueLimit(64 * 1024), QUEUED_BYTES, 'an undici body: 256 KiB');
  t.equal(queueLimit(16), 256, 'a source that asks for little read-ahead gets sixteen highWaterMarks');
  t.equal(queueLimit(4 << 20), 4 << 20, 'one that asks for more than 256 KiB gets its highWaterMark');
});
