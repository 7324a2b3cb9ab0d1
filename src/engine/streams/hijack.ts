import { Buffer } from 'node:buffer';
import type { Duplex, Readable, Writable } from 'node:stream';
import { DockerArgumentError, DockerError, DockerProtocolError, abortError, type RequestInfo } from '../errors.js';
import { isMultiplexed, outputFrames, type DemuxOptions, type Frame } from './demux.js';
import type { DecodedStream } from './source.js';

/**
 * Attach and exec: an HTTP/1.1 request whose connection becomes a raw
 * bidirectional byte stream. The request is written and the answer parsed
 * here, on a raw socket, as the Go client does: undici's `upgrade()` loses
 * the body of a refused upgrade and cannot half-close.
 *
 * On `101 UPGRADED` (or `200` with a raw body) the socket carries stdin to
 * the engine and output back; bytes that arrived with the response head are
 * kept in front of the output. Any other status is an error: its body (plain
 * text for attach, JSON for exec) is read, bounded, and thrown as the
 * matching typed error; the socket is destroyed on every failure path.
 */

/** The most response-head bytes accepted. */
export const MAX_HEAD_BYTES = 64 * 1024;
/** The most of a refused upgrade's body read for its message. */
export const MAX_ERROR_BODY_BYTES = 1 << 20;

const EMPTY = Buffer.alloc(0);
const HEAD_END = Buffer.from('\r\n\r\n');
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** What {@link hijack} sends and how it maps failures. */
export interface HijackRequest {
  method: string;
  /** The request target: the versioned path and query (`/v1.41/containers/x/attach?stream=1`). */
  target: string;
  /** The Host header. */
  host: string;
  /** Headers besides Host, Connection, Upgrade and Content-Length. */
  headers: Readonly<Record<string, string>>;
  /** A JSON body (exec start). */
  body?: Buffer | undefined;
  request: RequestInfo;
  signal?: AbortSignal | undefined;
  /** Milliseconds to wait for the response head and a refused upgrade's body; `0` waits forever. */
  timeout?: number | undefined;
  /** The error for a refused upgrade (default: the requester's mapping, e.g. `apiErrorFor`). */
  errorFor(statusCode: number, body: Buffer): Error;
  /** Maps a socket failure to a typed error. */
  connectionError(err: unknown): DockerError;
}

/** The parsed head of the engine's answer. */
export interface ResponseHead {
  statusCode: number;
  statusMessage: string;
  /** Lower-case names; repeated headers become arrays. */
  headers: Record<string, string | string[]>;
}

/**
 * A hijacked connection to a container's (or exec's) stdio. `output` is the
 * engine's raw byte stream (multiplexed or raw, see {@link multiplexed});
 * `frames()` decodes it. `write()`/`stdin` send stdin; `end()` half-closes,
 * and output keeps arriving until the engine closes. The signal of the
 * request destroys the connection.
 */
export class HijackedStream {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string | string[]>>;
  /** The engine's Content-Type (`application/vnd.docker.raw-stream` or `…multiplexed-stream`). */
  readonly contentType: string | undefined;
  readonly request: RequestInfo;
  /** The connection itself. */
  readonly socket: Duplex;
  /** Resolves when the connection has closed, however it closed. */
  readonly closed: Promise<void>;
  private readonly signal: AbortSignal | undefined;
  private readonly connectionError: (err: unknown) => DockerError;

  constructor(socket: Duplex, head: ResponseHead, request: RequestInfo, options: {
    signal?: AbortSignal | undefined; connectionError: (err: unknown) => DockerError;
  }) {
    this.socket = socket;
    this.statusCode = head.statusCode;
    this.headers = head.headers;
    const type = head.headers['content-type'];
    this.contentType = Array.isArray(type) ? type[0] : type;
    this.request = request;
    this.signal = options.signal;
    this.connectionError = options.connectionError;
    // failures reach the caller through reads and writes; a reset nobody reads must not crash the process
    socket.on('error', () => undefined);
    this.closed = socket.closed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));
  }

  /** The engine's output bytes (bytes that came with the response head first). Raw socket errors surface here; `frames()` types them. */
  get output(): Readable {
    return this.socket;
  }

  /** The stdin side, for `pipeline(source, hijacked.stdin)`; ending it half-closes. */
  get stdin(): Writable {
    return this.socket;
  }

  /**
   * Whether the output is multiplexed: from Content-Type on API ≥ 1.42,
   * else from `tty` (the container's or exec's `Tty`).
   */
  multiplexed(tty?: boolean): boolean {
    return isMultiplexed(this.contentType, this.request.apiVersion, tty);
  }

  /** The output as frames: demultiplexed, or raw chunks as stdout (see {@link multiplexed}). */
  frames(options: Omit<DemuxOptions, 'signal' | 'request' | 'mapError'> & { tty?: boolean | undefined } = {}): DecodedStream<Frame> {
    return outputFrames(this.socket, this.multiplexed(options.tty), {
      ...(options.maxFrameBytes !== undefined ? { maxFrameBytes: options.maxFrameBytes } : {}),
      signal: this.signal, request: this.request, mapError: (err) => this.mapError(err),
    });
  }

  /** Writes stdin; resolves once the bytes are handed to the operating system (await it for backpressure). */
  write(data: string | Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.signal?.aborted) {
        reject(abortError(this.signal));
        return;
      }
      if (this.socket.destroyed || this.socket.writableEnded) {
        reject(new DockerError(`cannot write stdin: the connection is ${this.socket.destroyed ? 'closed' : 'half-closed'} (${this.request.method} ${this.request.path})`));
        return;
      }
      this.socket.write(data, (err) => (err ? reject(this.mapError(err)) : resolve()));
    });
  }

  /**
   * Half-closes: no more stdin (the process sees end of file when the
   * container was created with `StdinOnce`, and always for exec). Output
   * keeps arriving until the engine closes. Resolves when the end was sent.
   */
  end(data?: string | Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed) {
        reject(this.signal?.aborted ? abortError(this.signal) : new DockerError(`cannot end stdin: the connection is closed (${this.request.method} ${this.request.path})`));
        return;
      }
      if (this.socket.writableFinished) {
        resolve();
        return;
      }
      const onError = (err: Error): void => reject(this.mapError(err));
      this.socket.once('error', onError);
      const done = (): void => {
        this.socket.off('error', onError);
        resolve();
      };
      if (data !== undefined) this.socket.end(data, done);
      else this.socket.end(done);
    });
  }

  /** Closes the connection at once (both directions). */
  close(): void {
    this.destroy();
  }

  /** Destroys the connection; a pending read fails with `err` when given. */
  destroy(err?: Error): void {
    if (!this.socket.destroyed) this.socket.destroy(err);
  }

  /**
   * Maps a failure of the connection to a typed error (for readers of
   * `output` that do not go through `frames()`, e.g. `demuxToStreams(h.output, { mapError: (e) => h.mapError(e) })`).
   */
  mapError(err: unknown): DockerError {
    if (this.signal?.aborted) return abortError(this.signal);
    if (err instanceof DockerError) return err;
    if ((err as { code?: unknown } | undefined)?.code === 'ERR_STREAM_PREMATURE_CLOSE') {
      return this.connectionError(new Error('the connection was closed before the engine ended the stream', { cause: err }));
    }
    return this.connectionError(err);
  }
}

/** Serialises the request head; header names and values are checked (no injected lines). */
export function requestHead(req: Pick<HijackRequest, 'method' | 'target' | 'host' | 'headers' | 'body'>): Buffer {
  const lines = [`${req.method} ${req.target} HTTP/1.1`, `Host: ${req.host}`];
  for (const [name, value] of Object.entries(req.headers)) {
    const lower = name.toLowerCase();
    if (lower === 'host' || lower === 'connection' || lower === 'upgrade' || lower === 'content-length') continue;
    if (!TOKEN.test(name)) throw new DockerArgumentError(`invalid header name ${JSON.stringify(name)}`);
    if (/[\r\n\0]/.test(value)) throw new DockerArgumentError(`header ${name} must not contain line breaks`);
    lines.push(`${name}: ${value}`);
  }
  lines.push('Connection: Upgrade', 'Upgrade: tcp');
  if (req.body !== undefined) lines.push(`Content-Length: ${req.body.length}`);
  if (/[\s]/.test(req.target) || /[\r\n]/.test(req.host)) throw new DockerArgumentError(`invalid request target ${JSON.stringify(req.target)}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return req.body !== undefined && req.body.length > 0 ? Buffer.concat([head, req.body]) : head;
}

/** Parses a response head (without the final blank line). */
export function parseHead(text: string, request: RequestInfo): ResponseHead {
  const lines = text.split('\r\n');
  const status = STATUS_LINE.exec(lines[0] ?? '');
  if (!status) {
    throw new DockerProtocolError(`the engine's answer to ${request.method} ${request.path} is not HTTP/1.1: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
  }
  const headers: Record<string, string | string[]> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim().toLowerCase() : '';
    if (!TOKEN.test(name)) throw new DockerProtocolError(`malformed header line in the engine's answer to ${request.method} ${request.path}: ${JSON.stringify(line.slice(0, 80))}`);
    const value = line.slice(colon + 1).trim();
    const prev = headers[name];
    headers[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return { statusCode: Number(status[1]), statusMessage: status[2] ?? '', headers };
}

/**
 * Sends a hijack request on a connected socket and resolves with the
 * hijacked stream, or rejects with a typed error (the socket destroyed).
 */
export async function hijack(socket: Duplex, req: HijackRequest): Promise<HijackedStream> {
  const reader = new SocketReader(socket, req);
  try {
    socket.write(requestHead(req));
    const headEnd = await reader.until((buf) => {
      const at = buf.indexOf(HEAD_END);
      if (at < 0 && buf.length > MAX_HEAD_BYTES) throw new DockerProtocolError(`the engine's response head to ${req.request.method} ${req.request.path} exceeds ${MAX_HEAD_BYTES} bytes`);
      return at < 0 ? undefined : at;
    }, 'before answering');
    if (headEnd > MAX_HEAD_BYTES) throw new DockerProtocolError(`the engine's response head to ${req.request.method} ${req.request.path} exceeds ${MAX_HEAD_BYTES} bytes`);
    const head = parseHead(reader.buffered.toString('latin1', 0, headEnd), req.request);
    const rest = reader.buffered.subarray(headEnd + HEAD_END.length);
    const chunked = String(head.headers['transfer-encoding'] ?? '').toLowerCase().includes('chunked');
    if (head.statusCode === 101 || (head.statusCode === 200 && !chunked)) {
      reader.release();
      if (req.signal?.aborted) throw abortError(req.signal);
      if (rest.length > 0) socket.unshift(rest);
      return connected(socket, head, req);
    }
    if (head.statusCode >= 200 && head.statusCode < 300) {
      throw new DockerProtocolError(`the engine answered ${head.statusCode} to ${req.request.method} ${req.request.path} without hijacking the connection`);
    }
    const body = await readErrorBody(reader, head, rest);
    throw req.errorFor(head.statusCode, body);
  } catch (err) {
    reader.release();
    socket.on('error', () => undefined);
    socket.destroy();
    throw err;
  }
}

/** Wires the signal to the live connection and wraps it. */
function connected(socket: Duplex, head: ResponseHead, req: HijackRequest): HijackedStream {
  const signal = req.signal;
  if (signal) {
    const onAbort = (): void => {
      socket.on('error', () => undefined); // readers see the abort through their own path
      socket.destroy(abortError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('close', () => signal.removeEventListener('abort', onAbort));
  }
  return new HijackedStream(socket, head, req.request, { signal, connectionError: req.connectionError });
}

/** The body of a refused upgrade: by Content-Length, chunked, or until the engine closes; at most {@link MAX_ERROR_BODY_BYTES}. */
async function readErrorBody(reader: SocketReader, head: ResponseHead, first: Buffer): Promise<Buffer> {
  const length = Number(head.headers['content-length']);
  const chunked = String(head.headers['transfer-encoding'] ?? '').toLowerCase().includes('chunked');
  let body = first;
  const limit = MAX_ERROR_BODY_BYTES;
  const grow = async (enough: (buf: Buffer) => boolean): Promise<void> => {
    body = await reader.collect(body, (buf) => buf.length >= limit || enough(buf));
  };
  if (Number.isInteger(length) && length >= 0) {
    await grow((buf) => buf.length >= length);
    return body.subarray(0, Math.min(length, limit));
  }
  if (chunked) {
    await grow((buf) => decodeChunked(buf).complete);
    return decodeChunked(body).data.subarray(0, limit);
  }
  await grow(() => false); // until the engine closes
  return body.subarray(0, limit);
}

/** Decodes as much of a chunked body as is there. */
export function decodeChunked(buf: Buffer): { data: Buffer; complete: boolean } {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = Number.parseInt(buf.toString('latin1', at, eol).split(';', 1)[0] ?? '', 16);
    if (!Number.isFinite(size) || size < 0) break;
    if (size === 0) return { data: Buffer.concat(parts), complete: true };
    if (buf.length < eol + 2 + size) {
      parts.push(buf.subarray(eol + 2));
      break;
    }
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return { data: Buffer.concat(parts), complete: false };
}

/**
 * Reads a socket into a buffer until a condition holds, failing with a
 * typed error on a socket error, an early close, the timeout or the signal.
 * `release()` detaches and pauses the socket so its remaining bytes stay
 * readable by the next owner.
 */
class SocketReader {
  buffered: Buffer = EMPTY;
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private readonly socket: Duplex;
  private readonly req: HijackRequest;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly onData = (chunk: Buffer): void => {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    this.notify();
  };
  private readonly onEnd = (): void => {
    this.ended = true;
    this.notify();
  };
  private readonly onError = (err: Error): void => {
    this.failure ??= this.req.signal?.aborted ? abortError(this.req.signal) : this.req.connectionError(err);
    this.notify();
  };
  private readonly onAbort = (): void => {
    if (this.req.signal) this.failure ??= abortError(this.req.signal);
    this.notify();
  };

  constructor(socket: Duplex, req: HijackRequest) {
    this.socket = socket;
    this.req = req;
    if (req.signal?.aborted) this.failure = abortError(req.signal);
    req.signal?.addEventListener('abort', this.onAbort, { once: true });
    const timeout = req.timeout ?? 0;
    if (timeout > 0) {
      this.timer = setTimeout(() => {
        this.failure ??= req.connectionError(Object.assign(new Error(`no answer within ${timeout} ms`), { code: 'UND_ERR_HEADERS_TIMEOUT' }));
        this.notify();
      }, timeout);
    }
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onError);
  }

  /** Waits until `found(buffered)` returns a value; rejects if the engine closes first (`what` says when). */
  async until<T>(found: (buf: Buffer) => T | undefined, what: string): Promise<T> {
    for (;;) {
      if (this.failure) throw this.failure;
      const value = found(this.buffered);
      if (value !== undefined) return value;
      if (this.ended) {
        const req = this.req.request;
        // a connection that ends inside the head broke, as undici reports it for plain requests
        const detail = this.buffered.length === 0
          ? what
          : `inside its answer to ${req.method} ${req.path}: ${this.buffered.length} bytes, no end of the response head`;
        throw this.req.connectionError(Object.assign(new Error(detail), { code: 'UND_ERR_SOCKET' }));
      }
      await new Promise<void>((resolve) => { this.wake = resolve; });
    }
  }

  /** Adds what arrives to `start` until `enough` holds or the engine closes; an error or timeout ends it early with what there is. */
  async collect(start: Buffer, enough: (buf: Buffer) => boolean): Promise<Buffer> {
    this.buffered = start;
    while (!enough(this.buffered) && !this.ended && !this.failure) {
      await new Promise<void>((resolve) => { this.wake = resolve; });
    }
    if (this.failure instanceof DockerError && this.failure.code === 'ERR_DOCKER_ABORTED') throw this.failure;
    return this.buffered;
  }

  release(): void {
    if (this.timer) clearTimeout(this.timer);
    this.req.signal?.removeEventListener('abort', this.onAbort);
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    this.socket.off('error', this.onError);
    this.socket.pause();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}
