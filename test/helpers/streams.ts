import { Readable } from 'node:stream';
import type { ChunkDecoder } from '../../src/engine/streams/source.js';

/** Helpers for stream tests: frame encoding, chunkings, a seeded PRNG, event-loop settling. */

/** Encodes one multiplexed frame: `[stream, 0, 0, 0, size BE]` + payload. */
export function frame(stream: number, data: string | Buffer): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** The ways a test feeds a byte string: whole, as 1-byte chunks, and split in two at every boundary. */
export function chunkings(buf: Buffer): Array<{ name: string; chunks: Buffer[] }> {
  const out: Array<{ name: string; chunks: Buffer[] }> = [{ name: 'one chunk', chunks: [buf] }];
  if (buf.length > 1) out.push({ name: '1-byte chunks', chunks: [...buf].map((_, i) => buf.subarray(i, i + 1)) });
  for (let i = 1; i < buf.length; i++) out.push({ name: `split at ${i}`, chunks: [buf.subarray(0, i), buf.subarray(i)] });
  return out;
}

/** Cuts a buffer into random-sized chunks (sizes 1..max). */
export function randomChunks(buf: Buffer, rand: Prng, max = 64): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < buf.length) {
    const n = 1 + rand.int(max);
    out.push(buf.subarray(at, at + n));
    at += n;
  }
  return out;
}

/** A small deterministic PRNG (mulberry32); print `seed` when a case fails. */
export class Prng {
  private state: number;
  readonly seed: number;
  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.state = this.seed;
  }
  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
}

/** The seed of a fuzz run: BERTH_FUZZ_SEED to reproduce, else derived from the clock (and printed by the test). */
export function fuzzSeed(): number {
  const fixed = process.env.BERTH_FUZZ_SEED;
  return fixed !== undefined && fixed !== '' ? Number(fixed) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
}

/** An async iterable over fixed chunks. */
export async function* fromChunks(chunks: readonly Buffer[]): AsyncGenerator<Buffer> {
  for (const c of chunks) yield c;
}

/** A Readable over fixed chunks (object mode off; each chunk one read). */
export function readableOf(chunks: readonly Buffer[]): Readable {
  let i = 0;
  return new Readable({
    read() {
      this.push(i < chunks.length ? chunks[i++] : null);
    },
  });
}

/** Lets pending I/O callbacks, ticks and microtasks run (event-loop turns, not time). */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Collects an async iterable, returning what arrived before an error and the error. */
export async function collect<T>(items: AsyncIterable<T>): Promise<{ items: T[]; error: unknown }> {
  const out: T[] = [];
  try {
    for await (const item of items) out.push(item);
    return { items: out, error: undefined };
  } catch (error) {
    return { items: out, error };
  }
}

/** Feeds chunks to a decoder synchronously, as the stream readers do: what it yielded, and the error it threw. */
export function decodeAll<T>(decoder: ChunkDecoder<T>, chunks: readonly Buffer[]): { items: T[]; error: unknown } {
  const items: T[] = [];
  try {
    for (const c of chunks) {
      decoder.push(c);
      for (let item = decoder.read(); item !== undefined; item = decoder.read()) items.push(item);
    }
    decoder.end();
    for (let item = decoder.read(); item !== undefined; item = decoder.read()) items.push(item);
    return { items, error: undefined };
  } catch (error) {
    return { items, error };
  }
}

/** An error as "Class: message", for comparing outcomes. */
export function errorText(error: unknown): string | undefined {
  if (error === undefined) return undefined;
  return error instanceof Error ? `${error.constructor.name}: ${error.message}` : `non-error: ${String(error)}`;
}
