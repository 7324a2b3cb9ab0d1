import { Buffer } from 'node:buffer';
import { Readable, finished } from 'node:stream';
import { DockerArgumentError, DockerError, DockerProtocolError } from '../errors.js';
import { demuxToStreams, type DemuxedStreams, type Frame } from './demux.js';
import type { HijackedStream } from './hijack.js';
import { asBuffer, type DecodedStream } from './source.js';

/**
 * The stdio of an attached container or a started exec: the hijacked
 * connection, and its output read one way — as frames, or as two
 * Readables. Whether the output is multiplexed was decided when the
 * connection was made (Content-Type on API ≥ 1.42, else the `Tty` the
 * container or exec was created with).
 */

/** The `code` of the error a failing stdin source ends the connection with. */
export const STDIN_FAILED = 'ERR_DOCKER_STDIN';

/** Bytes (or text) to send as stdin: written in order, then stdin is half-closed. */
export type StdinSource = Buffer | Uint8Array | string | Readable | AsyncIterable<Uint8Array | string>;

/** Options of the output readers. */
export interface StdioOutputOptions {
  /** The largest frame size a header may claim (default 64 MiB): a sanity check, as payload is never held. */
  maxFrameBytes?: number | undefined;
}

/** A hijacked connection to a process's stdin, stdout and stderr. */
export class AttachedStdio {
  /** The connection itself (`socket`, `contentType`, `mapError`, …). */
  readonly connection: HijackedStream;
  /** Whether the output is multiplexed stdout/stderr frames; false for a TTY (all output is `stdout`). */
  readonly multiplexed: boolean;
  private reading: 'frames' | 'streams' | undefined;
  private sourceFailure: DockerError | undefined;

  constructor(connection: HijackedStream, multiplexed: boolean) {
    this.connection = connection;
    this.multiplexed = multiplexed;
  }

  /** Resolves when the connection has closed, however it closed. */
  get closed(): Promise<void> {
    return this.connection.closed;
  }

  /**
   * The output as frames until the engine closes the connection (the
   * process ended, or stdin ended where that ends the output). Read the
   * output once, as frames or as {@link outputStreams}.
   */
  frames(options: StdioOutputOptions = {}): DecodedStream<Frame> {
    this.claim('frames');
    return this.connection.frames({ tty: !this.multiplexed, maxFrameBytes: options.maxFrameBytes });
  }

  /**
   * The output as two Readables, with backpressure: read (or destroy) both.
   * `done` settles when the output ended (or both were destroyed) and
   * rejects with the typed error that also destroyed both. For a TTY,
   * `stderr` is empty and ends at once.
   */
  outputStreams(options: StdioOutputOptions = {}): DemuxedStreams {
    this.claim('streams');
    if (this.multiplexed) {
      return demuxToStreams(this.connection.output, {
        maxFrameBytes: options.maxFrameBytes,
        request: this.connection.request,
        mapError: (err) => this.connection.mapError(err),
      });
    }
    return rawStreams(this.connection.frames({ tty: true }));
  }

  /** Writes stdin; resolves once the bytes are handed to the operating system. */
  write(data: string | Uint8Array): Promise<void> {
    return this.connection.write(data);
  }

  /** Half-closes stdin (after `data`, if given); the output keeps arriving. */
  end(data?: string | Uint8Array): Promise<void> {
    return this.connection.end(data);
  }

  /**
   * Writes a whole source as stdin with backpressure, then half-closes
   * (unless `end: false`: on a TTY the engine ends the output when stdin
   * ends, so there send Ctrl-D, `\x04`, for end of file instead).
   * When the source fails, the connection is destroyed with a `DockerError`
   * (code {@link STDIN_FAILED}, the source's error as `cause`) that this
   * rejects with and output readers see; a failed write rejects with the
   * connection's typed error (the process may simply have stopped reading).
   */
  async send(source: StdinSource, options: { end?: boolean } = {}): Promise<void> {
    const end = options.end ?? true;
    if (typeof source === 'string' || source instanceof Uint8Array) {
      await (end ? this.end(source) : this.write(source));
      return;
    }
    const iterator = (source as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    for (;;) {
      let chunk: Buffer | undefined;
      try {
        const r = await iterator.next();
        // bytes or a string, else a DockerArgumentError, as for every byte source
        if (r.done !== true) chunk = asBuffer(r.value);
      } catch (err) {
        const failure = err instanceof DockerError
          ? err
          : new DockerError(`stdin: the source failed: ${err instanceof Error ? err.message : String(err)}`, STDIN_FAILED, { cause: err });
        // readers of the output see why the connection ended
        this.sourceFailure = failure;
        this.connection.destroy(failure);
        throw failure;
      }
      if (chunk === undefined) break;
      if (chunk.length === 0) continue;
      try {
        await this.write(chunk);
      } catch (err) {
        await iterator.return?.().catch(() => undefined);
        throw err;
      }
    }
    if (end) await this.end();
  }

  /** The error of a stdin source that failed in {@link send}, if one did. */
  get stdinFailure(): DockerError | undefined {
    return this.sourceFailure;
  }

  /** Closes the connection at once, both ways. */
  close(): void {
    this.connection.close();
  }

  private claim(how: 'frames' | 'streams'): void {
    if (this.reading !== undefined) throw new DockerArgumentError(`the output is already being read (as ${this.reading}); read it once`);
    this.reading = how;
  }
}

/** The `code` of the error for output past a `maxBytes` limit. */
export const OUTPUT_LIMIT = 'ERR_DOCKER_OUTPUT_LIMIT';

/**
 * Reads frames into one stdout and one stderr buffer (stdin echoes count as
 * stdout). Past `maxBytes`, stdout and stderr together, it stops reading
 * (closing the source) and fails with a `DockerError` (code
 * {@link OUTPUT_LIMIT}) whose message starts with `what`.
 */
export async function bufferFrames(frames: AsyncIterable<Frame>, maxBytes: number, what: string): Promise<{ stdout: Buffer; stderr: Buffer }> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let size = 0;
  for await (const f of frames) {
    size += f.data.length;
    if (size > maxBytes) throw new DockerError(`${what} exceeds ${maxBytes} bytes (maxBytes)`, OUTPUT_LIMIT);
    (f.stream === 'stderr' ? err : out).push(f.data);
  }
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
}

/** A raw (TTY) output as the `stdout` of {@link DemuxedStreams}, with an empty `stderr`. */
function rawStreams(frames: DecodedStream<Frame>): DemuxedStreams {
  const stdout = Readable.from((async function* bytes() {
    for await (const f of frames) yield f.data;
  })(), { objectMode: false });
  const stderr = new Readable({ read() { this.push(null); } });
  stdout.on('error', () => undefined); // `done` reports failures
  const done = new Promise<void>((resolve, reject) => {
    finished(stdout, (err) => {
      if (!err || (err as { code?: unknown }).code === 'ERR_STREAM_PREMATURE_CLOSE') resolve();
      else reject(err instanceof DockerError ? err : new DockerProtocolError(`reading the output failed: ${String(err)}`, { cause: err }));
    });
  });
  done.catch(() => undefined);
  return { stdout, stderr, done };
}
