import { Buffer } from 'node:buffer';
import { Readable } from 'node:stream';
import { createGzip, type Gzip } from 'node:zlib';
import { DockerArgumentError, DockerError, abortError } from '../errors.js';
import type { CallOptions } from '../request.js';
import { nodeContextFs, type ContextFileSystem } from './context-fs.js';
import { DirectoryContext } from './context-directory.js';
import { MemoryContext, tarTime, type BuildContextSummary, type ContextSource, type PackControl } from './context-source.js';
import type { DockerIgnore } from './dockerignore.js';
import { TarOutput, loadTarPacker, type TarSink } from './tar-output.js';

/** Progress of a pack: entries and content bytes written so far. */
export interface BuildContextProgress {
  /** Files, links and directories written. */
  readonly files: number;
  /** File content bytes written (the tar adds headers and padding; gzip shrinks it). */
  readonly bytes: number;
}

/** Options of {@link packContext}. */
export interface PackContextOptions extends Pick<CallOptions, 'signal'> {
  /**
   * Path of the Dockerfile, relative to the context directory (or absolute).
   * Default `Dockerfile`, or `dockerfile` when only that exists. A Dockerfile
   * outside the directory is added under a generated name, as the docker CLI
   * does; {@link BuildContextStream.prepare} says which name to build with.
   */
  dockerfile?: string | undefined;
  /** The Dockerfile as text, added under a generated name (the CLI's `-f -`). Not with `dockerfile`. */
  dockerfileContent?: string | Buffer | undefined;
  /**
   * The exclusion rules: parsed rules, or the text of a `.dockerignore`.
   * Default: the directory's own `.dockerignore`, if any. The Dockerfile and
   * `.dockerignore` are sent whatever the rules say.
   */
  ignore?: DockerIgnore | string | undefined;
  /**
   * One modification time for every entry (a `Date`, or milliseconds since
   * 1970), for reproducible archives. Default: each file's own, in whole
   * seconds. Times are kept between 1970 and 2038-01-19.
   */
  mtime?: Date | number | undefined;
  /** Compress the archive with gzip (the engine detects it). Off by default: it costs far more CPU than it saves on a local socket. */
  gzip?: boolean | undefined;
  /** Called after each entry, and while a large file is being sent. Keep it cheap; an exception fails the stream. */
  onProgress?: ((progress: BuildContextProgress) => void) | undefined;
  /** @internal The file system to read (tests). */
  fs?: ContextFileSystem | undefined;
}

/** Options of {@link dockerfileContext}. */
export type DockerfileContextOptions = Pick<PackContextOptions, 'mtime' | 'gzip' | 'signal' | 'onProgress'>;

/**
 * A build context as a stream of tar (or gzip) bytes, ready to be the body
 * of `POST /build`. Nothing happens until it is read or
 * {@link BuildContextStream.prepare} is called. Before the first byte, the
 * whole context is checked like the docker CLI checks it (every file to be
 * sent is opened once; an unreadable one is a {@link DockerArgumentError}
 * naming it), so a bad context fails before the upload starts.
 *
 * Then entries are produced as the consumer takes them: the directory is
 * walked lazily, small files are read whole, large ones streamed, and memory
 * stays flat however large the context. The archive is deterministic: entries
 * sorted, uid and gid 0, no user or group names, permission bits kept, and
 * with `mtime` set, identical trees give identical bytes.
 *
 * Errors: {@link DockerArgumentError} (unreadable file, missing Dockerfile,
 * bad `.dockerignore` line), {@link DockerAbortError} when `signal` aborts.
 */
export class BuildContextStream extends Readable {
  private readonly source: ContextSource;
  private readonly signal: AbortSignal | undefined;
  private readonly compress: boolean;
  private readonly progress: ((progress: BuildContextProgress) => void) | undefined;
  private readonly onAbort = (): void => this.abortNow();
  private preparing: Promise<BuildContextSummary> | undefined;
  private output: TarOutput | undefined;
  private gzip: Gzip | undefined;
  private started = false;
  private files = 0;
  private bytes = 0;

  /** @internal Use {@link packContext} or {@link dockerfileContext}. */
  constructor(source: ContextSource, options: Pick<PackContextOptions, 'gzip' | 'signal' | 'onProgress'>) {
    super({ highWaterMark: 256 << 10 });
    this.source = source;
    this.signal = options.signal;
    this.compress = options.gzip === true;
    this.progress = options.onProgress;
  }

  /**
   * Checks the context and resolves with what will be sent, including the
   * `dockerfile` name to build with; rejects (without touching the stream)
   * when the context cannot be sent. Call it before starting the request so
   * that a bad context fails before the upload; reading the stream calls it
   * anyway. Idempotent.
   */
  prepare(): Promise<BuildContextSummary> {
    this.preparing ??= this.source.prepare(this.signal);
    return this.preparing;
  }

  override _read(): void {
    if (!this.started) {
      this.started = true;
      void this.run();
    } else if (this.gzip !== undefined) {
      this.gzip.resume();
    } else {
      this.output?.resume();
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    this.output?.stop();
    this.gzip?.destroy();
    callback(error);
  }

  private async run(): Promise<void> {
    // listened to only once reading starts, so an unread stream holds nothing on a long-lived signal
    this.signal?.addEventListener('abort', this.onAbort, { once: true });
    try {
      if (this.signal?.aborted) throw abortError(this.signal);
      await this.prepare();
      const pack = await loadTarPacker();
      if (this.destroyed) return;
      const output = new TarOutput(this.sink(), pack);
      this.output = output;
      const control: PackControl = {
        signal: this.signal,
        stopped: () => this.destroyed || output.stopped,
        entry: (bytes) => {
          this.files++;
          this.bytes += bytes;
          this.progress?.({ files: this.files, bytes: this.bytes });
        },
        content: (bytes) => {
          this.bytes += bytes;
          this.progress?.({ files: this.files, bytes: this.bytes });
        },
      };
      await this.source.pack(output, control);
      if (!control.stopped()) output.finish();
    } catch (err) {
      this.destroy(err instanceof Error ? err : new DockerError(String(err)));
    }
  }

  /** Where the tar bytes go: straight out, or through gzip. */
  private sink(): TarSink {
    if (!this.compress) {
      return { push: (chunk) => this.push(chunk), end: () => { this.push(null); }, fail: (err) => this.destroy(err) };
    }
    const gzip = createGzip();
    this.gzip = gzip;
    gzip.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) gzip.pause();
    });
    gzip.once('end', () => this.push(null));
    gzip.once('error', (err) => this.destroy(err));
    gzip.on('drain', () => this.output?.resume());
    return { push: (chunk) => gzip.write(chunk), end: () => { gzip.end(); }, fail: (err) => this.destroy(err) };
  }

  private abortNow(): void {
    if (this.signal !== undefined) this.destroy(abortError(this.signal));
  }
}

/**
 * Packs a directory as a build context, the way the docker CLI does for
 * `docker build <dir>` with the classic builder: `.dockerignore` applied
 * exactly as the CLI applies it, the Dockerfile and `.dockerignore` always
 * included, symbolic links kept as links (never followed), sockets, FIFOs and
 * devices skipped, hard links sent as links.
 *
 * ```ts
 * const context = packContext('./app', { dockerfile: 'docker/Dockerfile', signal });
 * const { dockerfile } = await context.prepare();  // fails here on an unreadable file
 * // send `context` as the body of POST /build?dockerfile=…
 * ```
 *
 * Throws a {@link DockerArgumentError} at once for a bad option; everything
 * else is reported by `prepare()` or as a stream error.
 */
export function packContext(dir: string, options: PackContextOptions = {}): BuildContextStream {
  if (typeof dir !== 'string' || dir.trim() === '') throw new DockerArgumentError('the build context directory must be a non-empty path');
  const source = new DirectoryContext(dir, {
    fs: options.fs ?? nodeContextFs,
    ignore: options.ignore,
    dockerfile: options.dockerfile,
    dockerfileContent: options.dockerfileContent,
    mtimeMs: mtimeOption(options.mtime),
  });
  return new BuildContextStream(source, options);
}

/**
 * A context holding only a `Dockerfile` with the given content (mode 0644),
 * for builds whose Dockerfile needs no other files.
 */
export function dockerfileContext(content: string | Buffer, options: DockerfileContextOptions = {}): BuildContextStream {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  if (!Buffer.isBuffer(bytes)) throw new DockerArgumentError('the Dockerfile content must be a string or a Buffer');
  const header = { name: 'Dockerfile', type: 'file' as const, mode: 0o644, uid: 0, gid: 0, mtime: tarTime(mtimeOption(options.mtime) ?? 0) };
  return new BuildContextStream(new MemoryContext('Dockerfile', [{ header, content: bytes }]), options);
}

function mtimeOption(mtime: Date | number | undefined): number | undefined {
  if (mtime === undefined) return undefined;
  const ms = mtime instanceof Date ? mtime.getTime() : mtime;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new DockerArgumentError(`mtime must be a valid date at or after 1970, got ${String(mtime)}`);
  }
  return ms;
}
