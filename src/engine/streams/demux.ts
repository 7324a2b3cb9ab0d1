import { Readable } from 'node:stream';
import { DockerError, DockerProtocolError, DockerStreamError, abortError, type RequestInfo } from '../errors.js';
import { apiVersionAtLeast, parseApiVersion } from '../version.js';
import { ChunkPuller, DecodedStream, type ByteSource, type ChunkDecoder, type StreamOptions } from './source.js';

/**
 * The engine's multiplexed stdout/stderr format (logs, attach and exec of a
 * container without a TTY): frames of an 8-byte header
 * `[STREAM, 0, 0, 0, SIZE (uint32 big-endian)]` and SIZE payload bytes.
 * STREAM 0 is stdin, 1 stdout, 2 stderr, 3 an error from the engine itself.
 *
 * Decoding is linear in the bytes: a frame that lies inside one chunk is
 * handed out as a view of that chunk (no copy); only a frame that straddles
 * chunks is assembled, once, when its last byte arrives. Memory is bounded
 * by `maxFrameBytes`, whatever size a header claims.
 */

/** Which stream a frame belongs to. Stream 0 (stdin, echoed by some engines) is reported as `'stdin'`. */
export type StreamName = 'stdout' | 'stderr' | 'stdin';

/** One frame of output. */
export interface Frame {
  stream: StreamName;
  data: Buffer;
}

/** The largest frame accepted by default: 64 MiB (engines write frames of at most a few tens of KiB). */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

const HEADER_BYTES = 8;
const SYSTEM_ERROR = 3;
const NAMES: readonly StreamName[] = ['stdin', 'stdout', 'stderr'];
const EMPTY = Buffer.alloc(0);

/** The Content-Type of a multiplexed attach, exec or logs stream (API ≥ 1.42). */
export const MULTIPLEXED_STREAM = 'application/vnd.docker.multiplexed-stream';
/** The Content-Type of a raw stream; before API 1.42 sent for multiplexed streams too. */
export const RAW_STREAM = 'application/vnd.docker.raw-stream';

export interface FrameDecoderOptions {
  /** The largest frame accepted; a bigger one is a {@link DockerProtocolError} (default {@link DEFAULT_MAX_FRAME_BYTES}). */
  maxFrameBytes?: number | undefined;
  /** The request the stream answers, named in errors. */
  request?: RequestInfo | undefined;
}

/** Options of {@link demux} and {@link demuxToStreams}. */
export interface DemuxOptions extends StreamOptions, FrameDecoderOptions {}

/**
 * An incremental decoder of multiplexed frames. Push chunks as they arrive
 * and `read()` frames until it returns undefined; call `end()` when the
 * source ends. Errors are thrown where they occur in the input (frames
 * before them are still read), and again on any later call.
 *
 * ```ts
 * const decoder = new FrameDecoder();
 * decoder.push(chunk);
 * for (let f = decoder.read(); f; f = decoder.read()) handle(f);
 * decoder.end();
 * ```
 */
export class FrameDecoder implements ChunkDecoder<Frame> {
  private readonly maxFrameBytes: number;
  private readonly request: RequestInfo | undefined;
  /** The chunk being read and the read position in it. */
  private chunk: Buffer = EMPTY;
  private pos = 0;
  /** Chunks pushed before the current one was read to its end (rare). */
  private readonly queued: Buffer[] = [];
  /** A header that straddles chunks is assembled here. */
  private readonly header = Buffer.alloc(HEADER_BYTES);
  private headerFill = 0;
  /** The stream of the frame whose payload is being read, or -1 between frames. */
  private stream = -1;
  private size = 0;
  private need = 0;
  /** The pieces of a payload that straddles chunks. */
  private pieces: Buffer[] = [];
  private failure: DockerError | undefined;

  constructor(options: FrameDecoderOptions = {}) {
    const max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    if (!(max >= 0)) throw new RangeError(`maxFrameBytes must be a non-negative number, got ${max}`);
    this.maxFrameBytes = max;
    this.request = options.request;
  }

  /** Adds bytes. Frames are taken with {@link read}. */
  push(chunk: Buffer): void {
    if (this.failure) throw this.failure;
    if (chunk.length === 0) return;
    if (this.pos < this.chunk.length) this.queued.push(chunk);
    else {
      this.chunk = chunk;
      this.pos = 0;
    }
  }

  /** The next complete frame, or undefined when more bytes are needed. Zero-length frames are skipped. */
  read(): Frame | undefined {
    if (this.failure) throw this.failure;
    for (;;) {
      const avail = this.chunk.length - this.pos;
      if (avail === 0) {
        const next = this.queued.shift();
        if (next === undefined) {
          this.chunk = EMPTY;
          this.pos = 0;
          return undefined;
        }
        this.chunk = next;
        this.pos = 0;
        continue;
      }
      if (this.stream < 0) {
        if (this.headerFill === 0 && avail >= HEADER_BYTES) {
          const at = this.pos;
          this.pos += HEADER_BYTES;
          this.begin(this.chunk[at] as number, this.chunk.readUInt32BE(at + 4));
        } else {
          const take = Math.min(HEADER_BYTES - this.headerFill, avail);
          this.chunk.copy(this.header, this.headerFill, this.pos, this.pos + take);
          this.pos += take;
          this.headerFill += take;
          if (this.headerFill === HEADER_BYTES) {
            this.headerFill = 0;
            this.begin(this.header[0] as number, this.header.readUInt32BE(4));
          }
        }
        continue;
      }
      if (this.pieces.length === 0 && avail >= this.need) {
        const data = this.chunk.subarray(this.pos, this.pos + this.need);
        this.pos += this.need;
        return this.finish(data);
      }
      const take = Math.min(avail, this.need);
      this.pieces.push(this.chunk.subarray(this.pos, this.pos + take));
      this.pos += take;
      this.need -= take;
      if (this.need === 0) {
        const data = Buffer.concat(this.pieces, this.size);
        this.pieces = [];
        return this.finish(data);
      }
    }
  }

  /** Reads every frame of one chunk (throws at the first error, losing the frames before it). */
  decode(chunk: Buffer): Frame[] {
    this.push(chunk);
    const frames: Frame[] = [];
    for (let f = this.read(); f !== undefined; f = this.read()) frames.push(f);
    return frames;
  }

  /** The source ended: throws a {@link DockerProtocolError} when it ended inside a frame. Call it after `read()` returned undefined. */
  end(): void {
    if (this.failure) throw this.failure;
    if (this.headerFill > 0) {
      throw this.fail(new DockerProtocolError(`stream ended inside a frame: ${this.headerFill} of ${HEADER_BYTES} header bytes${this.where()}`));
    }
    if (this.stream >= 0) {
      const total = HEADER_BYTES + this.size;
      throw this.fail(new DockerProtocolError(`stream ended inside a frame: ${total - this.need} of ${total} bytes${this.where()}`));
    }
  }

  /** Bytes held for an incomplete frame (header or payload pieces). */
  get buffered(): number {
    return this.headerFill + (this.stream >= 0 ? this.size - this.need : 0);
  }

  private begin(stream: number, size: number): void {
    if (stream > SYSTEM_ERROR) {
      throw this.fail(new DockerProtocolError(`unrecognized stream ${stream} in a multiplexed stream${this.where()}; is it a raw (TTY) stream?`));
    }
    if (size > this.maxFrameBytes) {
      throw this.fail(new DockerProtocolError(`a frame of ${size} bytes exceeds the limit of ${this.maxFrameBytes} bytes (maxFrameBytes)${this.where()}`));
    }
    if (size === 0) return;
    this.stream = stream;
    this.size = size;
    this.need = size;
  }

  private finish(data: Buffer): Frame {
    const stream = this.stream;
    this.stream = -1;
    if (stream === SYSTEM_ERROR) {
      const message = data.toString('utf8').trim() || 'the engine reported an error without a message';
      throw this.fail(new DockerStreamError(message, { request: this.request }));
    }
    return { stream: NAMES[stream] as StreamName, data };
  }

  private fail(err: DockerError): DockerError {
    this.failure = err;
    this.pieces = [];
    this.chunk = EMPTY;
    this.queued.length = 0;
    return err;
  }

  private where(): string {
    return this.request ? ` (${this.request.method} ${this.request.path})` : '';
  }
}

/**
 * Frames from a multiplexed stream, read as the consumer asks for them
 * (backpressure). Rejects with a {@link DockerStreamError} for an engine
 * error frame, a {@link DockerProtocolError} for bytes that are not
 * frames or a truncated frame, and a {@link DockerAbortError} when `signal`
 * aborts. The source is destroyed when the consumer stops early.
 */
export function demux(source: ByteSource, options: DemuxOptions = {}): DecodedStream<Frame> {
  return new DecodedStream(source, new FrameDecoder(options), options);
}

/** Hands out every chunk once, as stdout. */
class RawDecoder implements ChunkDecoder<Frame> {
  private pending: Buffer | undefined;
  push(chunk: Buffer): void {
    this.pending = chunk;
  }
  read(): Frame | undefined {
    const data = this.pending;
    this.pending = undefined;
    return data === undefined ? undefined : { stream: 'stdout', data };
  }
  end(): void {
    // raw streams have no framing to be cut short
  }
}

/** Frames from a raw stream (a TTY, or a pre-1.42 engine's raw output): every chunk becomes a `stdout` frame. */
export function rawFrames(source: ByteSource, options: StreamOptions = {}): DecodedStream<Frame> {
  return new DecodedStream(source, new RawDecoder(), options);
}

/** Frames from either kind of stream: {@link demux} when `multiplexed`, {@link rawFrames} otherwise. */
export function outputFrames(source: ByteSource, multiplexed: boolean, options: DemuxOptions = {}): DecodedStream<Frame> {
  return multiplexed ? demux(source, options) : rawFrames(source, options);
}

/** Every frame of a whole multiplexed body (non-follow logs). Throws like {@link demux}. */
export function demuxBuffer(buf: Buffer, options: FrameDecoderOptions = {}): Frame[] {
  const decoder = new FrameDecoder(options);
  const frames = decoder.decode(buf);
  decoder.end();
  return frames;
}

/** Joins frames into one stdout and one stderr buffer; stdin frames count as stdout (as the docker CLI prints them). */
export function splitOutput(frames: Iterable<Frame>): { stdout: Buffer; stderr: Buffer } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  for (const f of frames) (f.stream === 'stderr' ? err : out).push(f.data);
  return { stdout: out.length === 1 ? out[0] as Buffer : Buffer.concat(out), stderr: err.length === 1 ? err[0] as Buffer : Buffer.concat(err) };
}

/**
 * Whether an attach, exec or logs stream is multiplexed. From API 1.42 the
 * engine says so in `Content-Type`; before, it always says "raw", so it
 * follows from the container's (or exec's) `Tty`: multiplexed unless
 * `tty` is true. Never guessed from the bytes.
 */
export function isMultiplexed(contentType: string | undefined, apiVersion: string | undefined, tty: boolean | undefined): boolean {
  const type = contentType?.split(';', 1)[0]?.trim().toLowerCase();
  if (type === MULTIPLEXED_STREAM) return true;
  const reliable = apiVersion !== undefined && parseApiVersion(apiVersion) !== undefined && apiVersionAtLeast(apiVersion, '1.42');
  if (reliable && type === RAW_STREAM) return false;
  return tty !== true;
}

/** Options of {@link demuxToStreams}. */
export interface DemuxToStreamsOptions extends DemuxOptions {
  /** Bytes each output buffers before reading pauses (default: Node's readable default). */
  highWaterMark?: number | undefined;
}

/** stdout and stderr of a multiplexed stream as two Readables. */
export interface DemuxedStreams {
  stdout: Readable;
  stderr: Readable;
  /**
   * Resolves when the source ended cleanly (both outputs then end), or
   * when the consumer destroyed both outputs; rejects with the typed error
   * that also destroyed both outputs.
   */
  done: Promise<void>;
}

/** One output of {@link demuxToStreams}: wakes the pump when its consumer wants more or gives up. */
class DemuxOutput extends Readable {
  private waiter: (() => void) | undefined;
  private readonly onDemand: () => void;

  /** `onDemand` runs on every read and on destroy (either starts the pump). */
  constructor(highWaterMark: number | undefined, onDemand: () => void) {
    super(highWaterMark !== undefined ? { highWaterMark } : {});
    this.onDemand = onDemand;
    // `done` reports failures; an output nobody listens to must not crash the process
    this.on('error', () => undefined);
  }

  override _read(): void {
    this.wake();
    this.onDemand();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.wake();
    this.onDemand();
    callback(err);
  }

  /** Resolves when the consumer reads again or destroys this output. */
  drained(): Promise<void> {
    if (this.destroyed) return Promise.resolve();
    return new Promise((resolve) => { this.waiter = resolve; });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}

/**
 * Splits a multiplexed stream into stdout and stderr Readables. Reading
 * starts when either output is read and pauses whenever the output a frame
 * belongs to is full, so a slow consumer on one side holds the other back
 * rather than letting it buffer without bound: read (or destroy) both.
 * stdin frames go to stdout. An error destroys both outputs with the same
 * typed error and rejects `done`.
 */
export function demuxToStreams(source: ByteSource, options: DemuxToStreamsOptions = {}): DemuxedStreams {
  const decoder = new FrameDecoder(options);
  // watch the source from the start: a failure before anyone reads is reported, not thrown at the process
  const puller = new ChunkPuller(source, options);
  let start: () => void = () => undefined;
  const begun = new Promise<void>((resolve) => { start = resolve; });
  const stdout = new DemuxOutput(options.highWaterMark, () => start());
  const stderr = new DemuxOutput(options.highWaterMark, () => start());
  const signal = options.signal;
  const onAbort = (): void => {
    const err = signal ? abortError(signal) : undefined;
    stdout.destroy(err);
    stderr.destroy(err);
    start();
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  const pump = async (): Promise<void> => {
    await begun;
    try {
      for (;;) {
        if (signal?.aborted) throw abortError(signal);
        for (let f = decoder.read(); f !== undefined; f = decoder.read()) {
          const target = f.stream === 'stderr' ? stderr : stdout;
          if (target.destroyed) continue; // its consumer gave up: drop its frames
          if (!target.push(f.data)) await target.drained();
          if (signal?.aborted) throw abortError(signal);
        }
        if (stdout.destroyed && stderr.destroyed) return;
        const chunk = await puller.next();
        if (chunk === null) {
          decoder.end();
          stdout.push(null);
          stderr.push(null);
          return;
        }
        decoder.push(chunk);
      }
    } catch (err) {
      const e = err instanceof DockerError ? err : new DockerProtocolError(`demultiplexing failed: ${String(err)}`, { cause: err });
      stdout.destroy(e);
      stderr.destroy(e);
      throw e;
    } finally {
      puller.destroy();
      signal?.removeEventListener('abort', onAbort);
    }
  };
  if (signal?.aborted) onAbort();
  const done = pump();
  done.catch(() => undefined); // the caller may watch only the outputs
  return { stdout, stderr, done };
}
