import { Buffer } from 'node:buffer';
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
 * Frame boundaries carry no meaning: they are where the container happened
 * to write, re-cut by the engine. So payload bytes are handed out as views
 * of the chunks they arrived in, never copied: a frame inside one chunk as
 * one {@link Frame}, a frame that straddles chunks as consecutive Frames of
 * the same stream, one per chunk. Only a header split across chunks (8
 * bytes) and an engine error message are assembled. Decoding is linear in
 * the bytes and holds no payload, whatever size a header claims.
 */

/** Which stream a frame belongs to. Stream 0 (stdin, echoed by some engines) is reported as `'stdin'`. */
export type StreamName = 'stdout' | 'stderr' | 'stdin';

/**
 * Output bytes of one stream: a frame, or the part of a frame that one
 * chunk of the source held (a frame that straddles chunks arrives as
 * consecutive pieces of the same stream). Join a stream's bytes, or split
 * them into lines, rather than relying on where one Frame ends.
 */
export interface Frame {
  stream: StreamName;
  /** A view of the chunk the bytes arrived in (not a copy). */
  data: Buffer;
}

/**
 * The largest frame size a header may claim by default: 64 MiB. Engines
 * write frames of at most a few tens of KiB; a bigger size means the bytes
 * are not frames (a raw stream misread as multiplexed).
 */
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
  /**
   * A sanity check on headers: a frame claiming more bytes is a
   * {@link DockerProtocolError} (default {@link DEFAULT_MAX_FRAME_BYTES}).
   * Payload is never held, so this bounds no memory; it catches a stream
   * that is not multiplexed at its first header.
   */
  maxFrameBytes?: number | undefined;
  /** The request the stream answers, named in errors. */
  request?: RequestInfo | undefined;
}

/** Options of {@link demux} and {@link demuxToStreams}. */
export interface DemuxOptions extends StreamOptions, FrameDecoderOptions {}

/**
 * An incremental decoder of multiplexed frames. Push chunks as they arrive
 * and `read()` until it returns undefined; call `end()` when the source
 * ends. Each item is a view of a pushed chunk: a whole frame, or the part
 * of a frame that chunk holds. Errors are thrown where they occur in the
 * input (the bytes before them are still read), and again on any later call.
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
  /** The stream of the frame whose payload is being read, or was read last. */
  private stream = 0;
  private size = 0;
  /** Payload bytes of the current frame not read yet; 0 between frames. */
  private need = 0;
  /** The pieces of an engine error message that straddles chunks (the only payload ever held). */
  private pieces: Buffer[] = [];
  private held = 0;
  private failure: DockerError | undefined;

  constructor(options: FrameDecoderOptions = {}) {
    const max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    if (!(max >= 0)) throw new RangeError(`maxFrameBytes must be a non-negative number, got ${max}`);
    this.maxFrameBytes = max;
    this.request = options.request;
  }

  /** Adds bytes. Output is taken with {@link read}. */
  push(chunk: Buffer): void {
    if (this.failure) throw this.failure;
    if (chunk.length === 0) return;
    if (this.pos < this.chunk.length) this.queued.push(chunk);
    else {
      this.chunk = chunk;
      this.pos = 0;
    }
  }

  /**
   * The next payload bytes, as a view of the chunk they arrived in: a whole
   * frame when it lies inside one chunk, else the part of it this chunk
   * holds. Undefined when more bytes are needed. Zero-length frames are skipped.
   */
  read(): Frame | undefined {
    const data = this.readPayload();
    return data === undefined ? undefined : { stream: NAMES[this.stream] as StreamName, data };
  }

  /**
   * {@link read} without the Frame object, for a caller that routes bytes
   * by stream at a high rate: the bytes, whose stream is then
   * {@link payloadStream}.
   */
  readPayload(): Buffer | undefined {
    if (this.failure) throw this.failure;
    for (;;) {
      const chunk = this.chunk;
      const pos = this.pos;
      const avail = chunk.length - pos;
      if (avail === 0) {
        if (!this.nextChunk()) return undefined;
        continue;
      }
      const need = this.need;
      if (need === 0) {
        if (this.headerFill !== 0 || avail < HEADER_BYTES) {
          this.headerPiece(avail);
          continue;
        }
        // the common case: a whole header, often its whole payload too, in this chunk
        const stream = chunk[pos] as number;
        const size = (chunk[pos + 4] as number) * 0x1000000 + (((chunk[pos + 5] as number) << 16) | ((chunk[pos + 6] as number) << 8) | (chunk[pos + 7] as number));
        const start = pos + HEADER_BYTES;
        if (stream < SYSTEM_ERROR && size <= avail - HEADER_BYTES && size <= this.maxFrameBytes) {
          this.pos = start + size;
          if (size === 0) continue;
          this.stream = stream;
          return chunk.subarray(start, start + size);
        }
        this.pos = start;
        this.begin(stream, size);
        continue;
      }
      const take = avail < need ? avail : need;
      const data = chunk.subarray(pos, pos + take);
      this.pos = pos + take;
      this.need = need - take;
      const stream = this.stream;
      if (stream === SYSTEM_ERROR) {
        this.errorPiece(data);
        continue;
      }
      return data;
    }
  }

  /** The stream of the bytes {@link readPayload} returned last. */
  get payloadStream(): StreamName {
    return NAMES[this.stream] as StreamName;
  }

  /** Every frame (or piece of one) of one chunk (throws at the first error, losing what came before it). */
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
    if (this.need > 0) {
      const total = HEADER_BYTES + this.size;
      throw this.fail(new DockerProtocolError(`stream ended inside a frame: ${total - this.need} of ${total} bytes${this.where()}`));
    }
  }

  /** Bytes held until more arrive: part of a header, or part of an engine error message. Payload is never held. */
  get buffered(): number {
    return this.headerFill + this.held;
  }

  /** Moves on to the next queued chunk; false when there is none. */
  private nextChunk(): boolean {
    const next = this.queued.shift();
    if (next === undefined) {
      this.chunk = EMPTY;
      this.pos = 0;
      return false;
    }
    this.chunk = next;
    this.pos = 0;
    return true;
  }

  /** Copies the bytes of a header that straddles chunks; begins the frame once all 8 are there. */
  private headerPiece(avail: number): void {
    const take = Math.min(HEADER_BYTES - this.headerFill, avail);
    this.chunk.copy(this.header, this.headerFill, this.pos, this.pos + take);
    this.pos += take;
    this.headerFill += take;
    if (this.headerFill === HEADER_BYTES) {
      this.headerFill = 0;
      this.begin(this.header[0] as number, this.header.readUInt32BE(4));
    }
  }

  private begin(stream: number, size: number): void {
    if (stream > SYSTEM_ERROR) {
      throw this.fail(new DockerProtocolError(`unrecognized stream ${stream} in a multiplexed stream${this.where()}; is it a raw (TTY) stream?`));
    }
    if (size > this.maxFrameBytes) {
      throw this.fail(new DockerProtocolError(`a frame of ${size} bytes exceeds the limit of ${this.maxFrameBytes} bytes (maxFrameBytes)${this.where()}`));
    }
    this.stream = stream;
    this.size = size;
    this.need = size;
  }

  /** Keeps a piece of an engine error message; the message is raised once it is whole. */
  private errorPiece(data: Buffer): void {
    this.pieces.push(data);
    this.held += data.length;
    if (this.need > 0) return;
    const whole = this.pieces.length === 1 ? data : Buffer.concat(this.pieces, this.held);
    const message = whole.toString('utf8').trim() || 'the engine reported an error without a message';
    throw this.fail(new DockerStreamError(message, { request: this.request }));
  }

  private fail(err: DockerError): DockerError {
    this.failure = err;
    this.pieces = [];
    this.held = 0;
    this.chunk = EMPTY;
    this.queued.length = 0;
    return err;
  }

  private where(): string {
    return this.request ? ` (${this.request.method} ${this.request.path})` : '';
  }
}

/**
 * Output of a multiplexed stream, read as the consumer asks for it
 * (backpressure): each item is a frame, or the part of a frame one chunk
 * held, as a view of that chunk (see {@link Frame}). Rejects with a {@link DockerStreamError} for an engine
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

/** Every frame of a whole multiplexed body (non-follow logs), each one whole (the body is one chunk). Throws like {@link demux}. */
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
        for (let data = decoder.readPayload(); data !== undefined; data = decoder.readPayload()) {
          const target = decoder.payloadStream === 'stderr' ? stderr : stdout;
          if (target.destroyed) continue; // its consumer gave up: drop its frames
          if (!target.push(data)) await target.drained();
          if (signal?.aborted) throw abortError(signal);
        }
        if (stdout.destroyed && stderr.destroyed) return;
        // what the source holds is taken without waiting a turn
        let chunk = puller.readNow();
        if (chunk === undefined) chunk = await puller.next();
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
