import { Buffer } from 'node:buffer';
import type { Header, Pack, pack } from 'tar-stream';

/**
 * tar-stream's packer with backpressure all the way to the walk: entries
 * are queued only while little is waiting (`saturated` / `ready()`), the
 * packer pauses when the consumer does, and its many small chunks (a 512-byte
 * header, the content, the padding) are gathered into 64 KiB buffers so the
 * upload makes few large writes. Memory stays bounded by these buffers
 * whatever the size of the context.
 */

/** A tar entry header as tar-stream takes it. */
export type TarHeader = Partial<Header> & Pick<Header, 'name'>;

type TarEntry = ReturnType<Pack['entry']>;

/** Where packed bytes go. `push` returns false when the consumer wants a pause. */
export interface TarSink {
  push(chunk: Buffer): boolean;
  end(): void;
  fail(err: Error): void;
}

/** Writes the content of one streamed entry. */
export interface TarEntryWriter {
  /** Resolves when more may be written. */
  write(chunk: Buffer): Promise<void>;
  end(): void;
}

/** Entries (or bytes) queued in the packer before the walk waits. */
const MAX_QUEUED_ENTRIES = 64;
const MAX_QUEUED_BYTES = 2 << 20;
const GATHER_BYTES = 64 << 10;

/** tar-stream's `pack()`. */
export type TarPacker = typeof pack;

let packer: Promise<TarPacker> | undefined;

/**
 * tar-stream, loaded by the first context packed rather than by
 * `import('berth')`: most programs never build an image.
 */
export function loadTarPacker(): Promise<TarPacker> {
  packer ??= import('tar-stream').then((m) => m.pack);
  return packer;
}

/** tar-stream's packer behind a queue bound, a pause/resume link to the consumer, and chunk gathering. */
export class TarOutput {
  private readonly pack: Pack;
  private readonly sink: TarSink;
  private queuedEntries = 0;
  private queuedBytes = 0;
  private waiter: (() => void) | undefined;
  private gather: Buffer | undefined;
  private gathered = 0;
  private closed = false;

  /** `pack` comes from {@link loadTarPacker}. */
  constructor(sink: TarSink, pack: TarPacker) {
    this.sink = sink;
    this.pack = pack({ highWaterMark: GATHER_BYTES });
    this.pack.on('data', (chunk: unknown) => this.onData(chunk as Buffer));
    this.pack.on('end', () => {
      this.flush();
      this.closed = true;
      this.sink.end();
    });
    this.pack.on('error', (err: Error) => this.stop(err));
  }

  /** Too much is queued: await {@link ready} before adding more. */
  get saturated(): boolean {
    return this.queuedEntries >= MAX_QUEUED_ENTRIES || this.queuedBytes >= MAX_QUEUED_BYTES;
  }

  /** Resolves once the queue has room again (or the output is closed). */
  ready(): Promise<void> {
    if (!this.saturated || this.closed) return Promise.resolve();
    return new Promise((resolve) => { this.waiter = resolve; });
  }

  /** Queues an entry whose content is in memory (or that has none: directories, links). */
  add(header: TarHeader, content?: Buffer): void {
    const size = content?.length ?? 0;
    this.queuedEntries++;
    this.queuedBytes += size;
    const done = (): void => this.settled(size);
    if (content === undefined) this.pack.entry(header, done);
    else this.pack.entry(header, content, done);
  }

  /** Starts an entry whose content is written piece by piece; `header.size` must be exact. */
  addStream(header: TarHeader): TarEntryWriter {
    this.queuedEntries++;
    const entry = this.pack.entry(header, () => this.settled(0));
    return {
      write: (chunk) => (entry.write(chunk) ? Promise.resolve() : drained(entry)),
      end: () => { entry.end(undefined); },
    };
  }

  /** Ends the archive after the queued entries. */
  finish(): void {
    if (!this.closed) this.pack.finalize();
  }

  /** The consumer wants more. */
  resume(): void {
    if (!this.closed) this.pack.resume();
  }

  /** Stops packing; with `err`, the sink fails with it. */
  stop(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.pack.destroy();
    this.gather = undefined;
    this.wake();
    if (err !== undefined) this.sink.fail(err);
  }

  get stopped(): boolean {
    return this.closed;
  }

  private settled(size: number): void {
    this.queuedEntries--;
    this.queuedBytes -= size;
    if (!this.saturated) this.wake();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  private onData(chunk: Buffer): void {
    if (chunk.length >= GATHER_BYTES / 2) {
      this.flush();
      this.deliver(chunk);
      return;
    }
    if (this.gathered + chunk.length > GATHER_BYTES) this.flush();
    this.gather ??= Buffer.allocUnsafe(GATHER_BYTES);
    chunk.copy(this.gather, this.gathered);
    this.gathered += chunk.length;
    if (this.gathered === GATHER_BYTES) this.flush();
  }

  private flush(): void {
    if (this.gather === undefined || this.gathered === 0) return;
    const out = this.gather.subarray(0, this.gathered);
    this.gather = undefined;
    this.gathered = 0;
    this.deliver(out);
  }

  private deliver(chunk: Buffer): void {
    if (!this.sink.push(chunk)) this.pack.pause();
  }
}

/** Resolves when a writable drains, or closes (the caller then finds the output stopped). */
function drained(stream: TarEntry): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}
