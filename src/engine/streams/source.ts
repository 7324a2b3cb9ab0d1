import { Buffer } from 'node:buffer';
import { Readable, finished } from 'node:stream';
import { DockerArgumentError, DockerError, abortError, type RequestInfo } from '../errors.js';

/**
 * The plumbing every stream decoder shares: pulling chunks one at a time
 * from a Node Readable (an undici body, a hijacked socket) or any async
 * iterable, with backpressure (nothing is read before it is asked for),
 * abort, error mapping, and destruction of the source on every path that
 * does not read it to the end.
 */

/**
 * Bytes a stream function reads: a Node Readable, or any iterable (async or
 * not) of byte chunks — Buffers, Uint8Arrays or strings (UTF-8) — or one
 * chunk on its own. Anything else is a {@link DockerArgumentError}.
 */
export type ByteSource = Readable | AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string> | Uint8Array | string;

/** Options every stream reader takes. */
export interface StreamOptions {
  /** Ends the stream: the source is destroyed and the read rejects with a {@link DockerAbortError}. */
  signal?: AbortSignal | undefined;
  /** The request the stream answers, named in errors. */
  request?: RequestInfo | undefined;
  /**
   * Maps an error raised by the source (a reset connection, a body timeout)
   * to a typed error; `EngineResponse.mapError` fits. By default a
   * {@link DockerError} passes through and anything else is wrapped.
   */
  mapError?: ((err: unknown) => DockerError) | undefined;
}

/**
 * A decoder fed chunk by chunk: `read()` returns items until it needs more
 * bytes; `end()` says the source ended (throwing when it ended inside an
 * item that cannot be completed), after which `read()` returns what the end
 * completed (an unterminated last line), then undefined.
 */
export interface ChunkDecoder<T> {
  push(chunk: Buffer): void;
  /** The next complete item, or undefined when more bytes are needed. Throws a typed error at the point the input goes wrong. */
  read(): T | undefined;
  /** The source ended. */
  end(): void;
}

/** A chunk as a Buffer, without copying; a {@link DockerArgumentError} for anything but bytes or a string. */
export function asBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new DockerArgumentError(`a byte source must give Buffers, Uint8Arrays or strings, not ${describeChunk(chunk)}`);
}

function describeChunk(chunk: unknown): string {
  if (chunk === null) return 'null';
  if (typeof chunk !== 'object') return typeof chunk;
  return chunk.constructor?.name ? `an object (${chunk.constructor.name})` : 'an object';
}

/** The chunks of a source that is not a Readable, as an async iterator. */
function iteratorOf(source: Exclude<ByteSource, Readable>): AsyncIterator<unknown> {
  if (typeof source === 'string' || source instanceof Uint8Array) return iteratorOf([source]);
  const candidate: unknown = source;
  if (typeof candidate === 'object' && candidate !== null) {
    if (Symbol.asyncIterator in candidate && typeof candidate[Symbol.asyncIterator] === 'function') {
      return (candidate as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    }
    if (Symbol.iterator in candidate && typeof candidate[Symbol.iterator] === 'function') {
      const it = (candidate as Iterable<unknown>)[Symbol.iterator]();
      return {
        next: () => Promise.resolve(it.next()),
        return: () => {
          it.return?.();
          return Promise.resolve({ value: undefined, done: true });
        },
      };
    }
  }
  throw new DockerArgumentError(`a byte source must be a Readable or an iterable of chunks, not ${describeChunk(candidate)}`);
}

/** The default mapping of a source failure to a typed error. */
export function sourceError(err: unknown, options: StreamOptions): DockerError {
  const signal = options.signal;
  if (signal?.aborted) return abortError(signal);
  if (err instanceof DockerError) return err;
  if (options.mapError) return options.mapError(err);
  const where = options.request ? ` (${options.request.method} ${options.request.path})` : '';
  const text = err instanceof Error ? err.message : String(err);
  return new DockerError(`reading the engine's stream failed: ${text}${where}`, 'ERR_DOCKER', { cause: err });
}

/** Chunks below this size are joined with their small neighbours before decoding. */
const SMALL_CHUNK_BYTES = 1024;
/**
 * The most chunks the queue holds, whatever their size: a source of tiny
 * chunks (a frame per chunk) pauses after this many rather than after
 * thousands, each an object that would live through collections.
 */
export const MAX_QUEUED_CHUNKS = 64;
/**
 * The bytes the queue holds before it pauses a Readable: 256 KiB, but no
 * more than {@link QUEUED_HIGH_WATER_MARKS} of the Readable's
 * `highWaterMark`s (a source that asks for little read-ahead gets little)
 * and no less than one. Pausing and resuming a Readable costs a tick and
 * two events: a queue of one `highWaterMark` paused a log stream of 16 KiB
 * frames (one per chunk) every other frame, which cost a quarter of
 * demultiplexing it; from 256 KiB on it costs next to nothing.
 */
export const QUEUED_BYTES = 256 * 1024;
export const QUEUED_HIGH_WATER_MARKS = 16;

/** The bytes a queue holds before it pauses a Readable of this `highWaterMark`. */
export function queueLimit(highWaterMark: number): number {
  return Math.max(highWaterMark, Math.min(QUEUED_BYTES, QUEUED_HIGH_WATER_MARKS * highWaterMark));
}

/**
 * Pulls chunks from a source on demand. A Readable flows, from the first
 * pull on, into a short queue that pauses it once it holds
 * {@link queueLimit} bytes (256 KiB for the usual streams) in at least two
 * chunks, or {@link MAX_QUEUED_CHUNKS} chunks (backpressure, as its own
 * buffer would, with room enough that it is not paused every few chunks),
 * and resumes it once the queue is empty: a source of bigger chunks is
 * paused and resumed every other chunk rather than at every one. Chunks
 * are handed out as they came, not copied —
 * `read()` on a paused stream would join everything it buffered into one
 * new Buffer, big frames included — save that runs of small ones are
 * joined. What is queued, or what the Readable can hand over at once, is
 * taken synchronously (`readNow()`): a consumer waits a turn only when the
 * source has nothing. A plain async iterable is awaited chunk by
 * chunk. `next()` resolves with the next non-empty chunk or `null` at the
 * end; `destroy()` releases the source (idempotent); an abort destroys the
 * source and fails the pending pull.
 */
export class ChunkPuller {
  private readonly readable: Readable | undefined;
  private readonly iterator: AsyncIterator<unknown> | undefined;
  private readonly options: StreamOptions;
  private readonly onAbort: (() => void) | undefined;
  /** For plain iterables: rejects when the signal aborts (raced against every pull). */
  private aborted: Promise<never> | undefined;
  private rejectAborted: (() => void) | undefined;
  /**
   * For Readables: chunks that arrived and were not handed out yet, in
   * `queue[head]` to `queue[tail - 1]`, and their size. A taken slot is
   * cleared; the indices go back to 0 when the queue empties, so the array
   * is reused, never shifted or truncated.
   */
  private readonly queue: Array<Buffer | undefined> = [];
  private head = 0;
  private tail = 0;
  private queued = 0;
  /** The bytes the queue holds before it pauses the Readable (its `highWaterMark` is read once). */
  private limit = 0;
  /** The data listener paused the Readable (its queue was full); taking the last queued chunk resumes it. */
  private paused = false;
  /** For Readables: the data listener, attached by the first pull (which starts the flow). */
  private onData: ((chunk: unknown) => void) | undefined;
  /** For Readables: the readable side ended cleanly, or failed. */
  private ended = false;
  private failure: unknown;
  private wake: (() => void) | undefined;
  private unwatch: (() => void) | undefined;
  private finished = false;

  constructor(source: ByteSource, options: StreamOptions = {}) {
    this.options = options;
    const signal = options.signal;
    if (source instanceof Readable) {
      const readable = source;
      this.readable = readable;
      const stopEos = finished(readable, { writable: false }, (err) => {
        if (err) this.failure ??= err;
        else this.ended = true;
        this.notify();
      });
      this.unwatch = () => {
        if (this.onData) readable.off('data', this.onData);
        stopEos();
      };
      if (signal) {
        this.onAbort = () => {
          if (readable.destroyed) return;
          readable.on('error', () => undefined); // the pull reports the abort; nobody else may be listening
          readable.destroy(abortError(signal));
        };
      }
    } else {
      this.iterator = iteratorOf(source);
      if (signal) {
        // a plain iterable cannot be interrupted: race every pull against the abort
        this.aborted = new Promise<never>((_resolve, reject) => {
          this.rejectAborted = () => reject(abortError(signal));
        });
        this.aborted.catch(() => undefined);
        this.onAbort = () => { this.rejectAborted?.(); this.destroy(); };
      }
    }
    if (signal && this.onAbort) {
      if (signal.aborted) this.onAbort();
      else signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  /**
   * A chunk without waiting: the bytes a Readable has buffered, `null` at
   * the end, or `undefined` when the caller must wait (`next()`). Throws a
   * typed error when the source failed or the signal aborted.
   */
  readNow(): Buffer | null | undefined {
    const signal = this.options.signal;
    if (signal?.aborted) {
      this.destroy();
      throw abortError(signal);
    }
    if (this.finished) return null;
    const readable = this.readable;
    if (!readable) return undefined;
    if (this.failure !== undefined) {
      // what arrived but was not taken is dropped, as a destroyed Readable drops its buffer
      const err = this.failure;
      this.destroy();
      throw sourceError(err, this.options);
    }
    let chunk = this.take();
    if (chunk === undefined && !this.ended) {
      this.flow(readable);
      chunk = this.pullNow(readable);
    }
    if (chunk !== undefined) {
      if (this.paused && this.tail === 0) this.resumeFlow(readable);
      return chunk;
    }
    if (this.ended) {
      this.release();
      return null;
    }
    return undefined;
  }

  /**
   * What a flowing Readable can hand over at once: the chunks it buffered,
   * or those its source pushes synchronously when asked, up to the queue's
   * limit (the data listener pauses it there). In flowing mode `read()`
   * returns one chunk, not everything joined, and emits it to the data
   * listener; the consumer then does not wait a turn for the flow to
   * deliver what is already there, and a run of small chunks is joined.
   */
  private pullNow(readable: Readable): Buffer | undefined {
    while (readable.readableFlowing === true && !readable.destroyed && !readable.readableEnded) {
      if (readable.read() === null) break;
    }
    return this.take();
  }

  /**
   * The next queued chunk. A run of small chunks (a log stream's frames
   * arrive one per chunk) is joined into one: copying a few KiB costs less
   * than handing each one on. Bigger chunks are handed on as they are.
   */
  private take(): Buffer | undefined {
    const queue = this.queue;
    const head = this.head;
    const first = queue[head];
    if (first === undefined) return undefined;
    queue[head] = undefined;
    let at = head + 1;
    let chunk = first;
    if (first.length < SMALL_CHUNK_BYTES) {
      // a join stays below Buffer's pool threshold, so it is a slice of the shared pool rather than an allocation of its own
      const limit = Buffer.poolSize >>> 1;
      let size = first.length;
      for (let next = queue[at]; next !== undefined && next.length < SMALL_CHUNK_BYTES && size + next.length < limit; next = queue[at]) {
        size += next.length;
        at++;
      }
      if (at > head + 1) chunk = this.join(first, head + 1, at, size);
    }
    if (at === this.tail) {
      this.head = 0;
      this.tail = 0;
    } else if (at >= MAX_QUEUED_CHUNKS) {
      this.compact(at); // a queue that never empties must not grow at its end
    } else {
      this.head = at;
    }
    this.queued -= chunk.length;
    return chunk;
  }

  /** Moves the chunks from `queue[from]` on to the front of the queue. */
  private compact(from: number): void {
    const queue = this.queue;
    const count = this.tail - from;
    for (let i = 0; i < count; i++) {
      queue[i] = queue[from + i];
      queue[from + i] = undefined;
    }
    this.head = 0;
    this.tail = count;
  }

  /** `first` and the queued chunks `queue[from]` to `queue[to - 1]`, copied into one Buffer of `size` bytes; their slots are cleared. */
  private join(first: Buffer, from: number, to: number, size: number): Buffer {
    const queue = this.queue;
    const joined = Buffer.allocUnsafe(size);
    joined.set(first, 0);
    let offset = first.length;
    for (let i = from; i < to; i++) {
      const part = queue[i] as Buffer;
      queue[i] = undefined;
      joined.set(part, offset);
      offset += part.length;
    }
    return joined;
  }

  /** The queue holds its bytes (in two chunks at least), or its most chunks: the source is paused. */
  private full(): boolean {
    const count = this.tail - this.head;
    return (this.queued >= this.limit && count >= 2) || count >= MAX_QUEUED_CHUNKS;
  }

  /** Lets a Readable flow into the queue: attaches the data listener on the first pull, resumes it after a pause. */
  private flow(readable: Readable): void {
    if (readable.destroyed) return;
    if (this.onData === undefined) {
      this.limit = queueLimit(readable.readableHighWaterMark);
      this.onData = (data: unknown) => {
        let buf: Buffer;
        try {
          buf = data instanceof Buffer ? data : asBuffer(data);
        } catch (err) {
          readable.destroy(err as DockerArgumentError); // an object-mode source: the pull reports it
          return;
        }
        if (buf.length === 0) return;
        this.queue[this.tail++] = buf;
        this.queued += buf.length;
        if (this.full()) {
          this.paused = true;
          readable.pause();
        }
        this.notify();
      };
      readable.on('data', this.onData);
    }
    // attaching a data listener does not resume a stream someone paused explicitly
    if (readable.isPaused()) this.resumeFlow(readable);
  }

  private resumeFlow(readable: Readable): void {
    this.paused = false;
    if (!readable.destroyed) readable.resume();
  }

  /** The next non-empty chunk, or null at the end of the source. Rejects with a typed error. */
  async next(): Promise<Buffer | null> {
    if (this.readable) {
      for (;;) {
        const now = this.readNow();
        if (now !== undefined) return now;
        await new Promise<void>((resolve) => { this.wake = resolve; });
      }
    }
    const signal = this.options.signal;
    const iterator = this.iterator as AsyncIterator<unknown>;
    for (;;) {
      if (signal?.aborted) {
        this.destroy();
        throw abortError(signal);
      }
      if (this.finished) return null;
      let result: IteratorResult<unknown>;
      try {
        result = this.aborted ? await Promise.race([iterator.next(), this.aborted]) : await iterator.next();
      } catch (err) {
        this.destroy();
        throw sourceError(err, this.options);
      }
      if (result.done === true) {
        this.release();
        return null;
      }
      let chunk: Buffer;
      try {
        chunk = asBuffer(result.value);
      } catch (err) {
        this.destroy();
        throw err;
      }
      if (chunk.length > 0) return chunk;
    }
  }

  /** Stops reading: destroys a Readable source, returns a plain iterator. Safe to call more than once. */
  destroy(): void {
    if (this.finished) return;
    this.release();
    const r = this.readable;
    if (r) {
      if (!r.destroyed) {
        r.on('error', () => undefined); // an abort error emitted on destroy has no other listener
        r.destroy();
      }
    } else {
      this.iterator?.return?.().catch(() => undefined);
    }
  }

  /** Forgets the listeners (the source ended or was destroyed). */
  private release(): void {
    this.finished = true;
    this.unwatch?.();
    this.unwatch = undefined;
    if (this.onAbort) this.options.signal?.removeEventListener('abort', this.onAbort);
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/**
 * The items a decoder makes of a source, as an async iterator. An item
 * already decoded is handed out at once; a chunk is pulled only when the
 * decoder has none left (backpressure). The signal is checked before every
 * item. The source is destroyed when the consumer stops early (`break`,
 * `return()`) or anything fails; after an error or `return()` the iterator
 * is done. Concurrent `next()` calls are served in order.
 */
export class DecodedStream<T> implements AsyncIterableIterator<T> {
  private readonly puller: ChunkPuller;
  private readonly decoder: ChunkDecoder<T>;
  private readonly signal: AbortSignal | undefined;
  /** The source has ended; the decoder may still hold items. */
  private ended = false;
  private done = false;
  /** The last pending `next()`, so that concurrent calls queue behind it. */
  private inflight: Promise<IteratorResult<T, undefined>> | undefined;

  constructor(source: ByteSource, decoder: ChunkDecoder<T>, options: StreamOptions = {}) {
    this.puller = new ChunkPuller(source, options);
    this.decoder = decoder;
    this.signal = options.signal;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T, undefined>> {
    const before = this.inflight;
    if (before === undefined) return this.step();
    const queued = before.then(() => this.step(), () => this.step());
    this.track(queued);
    return queued;
  }

  /** Stops reading and destroys the source. */
  return(): Promise<IteratorResult<T, undefined>> {
    this.finish();
    return Promise.resolve(DONE);
  }

  /** Stops reading, destroys the source, and rejects with `err`. */
  throw(err?: unknown): Promise<IteratorResult<T, undefined>> {
    this.finish();
    return Promise.reject(err);
  }

  /** The next item: kept small, as it runs once per item (the decoder's items come without a chunk). */
  private step(): Promise<IteratorResult<T, undefined>> {
    if (this.done) return Promise.resolve(DONE);
    let item: T | undefined;
    try {
      item = this.take();
    } catch (err) {
      this.finish();
      return Promise.reject(err);
    }
    return item !== undefined ? Promise.resolve({ value: item, done: false }) : this.refill();
  }

  /** The decoder needs bytes: feeds it what the source has, without waiting, else waits for a chunk. */
  private refill(): Promise<IteratorResult<T, undefined>> {
    try {
      for (;;) {
        if (this.ended) {
          this.finish();
          return Promise.resolve(DONE);
        }
        const chunk = this.puller.readNow();
        if (chunk === undefined) break;
        this.feed(chunk);
        const item = this.take();
        if (item !== undefined) return Promise.resolve({ value: item, done: false });
      }
    } catch (err) {
      this.finish();
      return Promise.reject(err);
    }
    const pulling = this.pull();
    this.track(pulling);
    return pulling;
  }

  private async pull(): Promise<IteratorResult<T, undefined>> {
    try {
      for (;;) {
        const chunk = await this.puller.next();
        if (this.done) return DONE; // return() was called meanwhile
        this.feed(chunk);
        const item = this.take();
        if (item !== undefined) return { value: item, done: false };
        if (this.ended) {
          this.finish();
          return DONE;
        }
      }
    } catch (err) {
      if (this.done) return DONE; // return() destroyed the source under a pending pull
      this.finish();
      throw err;
    }
  }

  /** Hands a chunk to the decoder, or tells it the source ended (`null`). */
  private feed(chunk: Buffer | null): void {
    if (chunk === null) {
      this.ended = true;
      this.decoder.end();
    } else {
      this.decoder.push(chunk);
    }
  }

  private take(): T | undefined {
    const signal = this.signal;
    if (signal?.aborted) throw abortError(signal);
    return this.decoder.read();
  }

  private track(p: Promise<IteratorResult<T, undefined>>): void {
    this.inflight = p;
    const clear = (): void => {
      if (this.inflight === p) this.inflight = undefined;
    };
    p.then(clear, clear);
  }

  private finish(): void {
    this.done = true;
    this.puller.destroy();
  }
}
