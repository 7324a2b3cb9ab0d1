import { Buffer } from 'node:buffer';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import {
  DockerAbortError, DockerArgumentError, DockerConnectionError, DockerError, DockerProtocolError,
  DockerVersionError, abortError, apiErrorFor, type RequestInfo,
} from './errors.js';
import { exchange, type BufferedExchange } from './buffered-response.js';
import { isObject, parseJson } from './json.js';
import { MAX_HEAD_BYTES, hijack, type HijackedStream } from './streams/hijack.js';
import { errorCode, type Transport } from './transport.js';

/**
 * Versioned paths, query encoding, JSON bodies, signals and timeouts, and
 * the mapping of every failure to a typed error. Every response body is
 * consumed or destroyed on every path: `send()` hands a body to the caller
 * only for a successful status; `json()`, `text()` and `empty()` read it.
 */

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

/** A query value: arrays repeat the key, objects are JSON-encoded (filters), undefined/null are dropped. */
export type QueryValue =
  | string | number | boolean | null | undefined
  | readonly (string | number)[]
  | { readonly [key: string]: unknown };

export type Query = Readonly<Record<string, QueryValue>>;

/** Options every public call accepts. */
export interface CallOptions {
  /** Aborts the call: the request, its response body, or a hijacked socket. */
  signal?: AbortSignal | undefined;
  /** Milliseconds to wait for the engine's answer (headers), overriding the client's default. `0` waits forever. */
  timeout?: number | undefined;
}

export interface RequestSpec extends CallOptions {
  method: HttpMethod;
  /** Endpoint path without the version prefix, e.g. `/containers/create`. */
  path: string;
  query?: Query | undefined;
  /** A JSON body (sent as `application/json`). */
  json?: unknown;
  /** A raw body: bytes or a stream. */
  body?: Buffer | string | Readable | AsyncIterable<Uint8Array> | undefined;
  contentType?: string | undefined;
  headers?: Readonly<Record<string, string>> | undefined;
  /** Unversioned (`/_ping`); default false. */
  unversioned?: boolean | undefined;
  /** A long-lived response (logs follow, events, wait, build, pull): own connection, no body timeout. */
  stream?: boolean | undefined;
  /** Non-2xx statuses that are results, not errors (304 on start/stop). */
  okStatuses?: readonly number[] | undefined;
}

/** A successful response: its status and headers. */
export interface ResponseBase {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly request: RequestInfo;
  /** A response header (lower-case name), first value. */
  header(name: string): string | undefined;
}

/** A successful response whose body the caller must read or destroy. */
export interface EngineResponse extends ResponseBase {
  readonly body: Readable;
  /** Maps an error raised while reading the body to a typed error. */
  mapError(err: unknown): DockerError;
}

/** A successful response read whole: its body is here, bounded. */
export interface ReadResponse extends ResponseBase {
  readonly body: Buffer;
}

/** Where the API version of each request comes from. */
export interface VersionSource {
  /** The version to put in paths; may negotiate. */
  resolve(signal: AbortSignal | undefined): Promise<string>;
  /** The version `resolve()` would give without waiting, once it is settled. */
  readonly current: string | undefined;
  /** True when the version was pinned (option or DOCKER_API_VERSION) rather than negotiated. */
  readonly pinned: boolean;
  /** Where a pinned version came from, for messages. */
  readonly pinnedBy: string | undefined;
  /** The engine said the version is too new and its maximum is `max`; adopt it (unpinned only). */
  downgrade(max: string): void;
}

export interface RequesterDefaults {
  /** Default headers timeout in ms (undici's 300 s when undefined). */
  timeout?: number | undefined;
  /** The most bytes of a JSON (or text) result buffered; default {@link JSON_BODY_LIMIT}. */
  maxResponseBytes?: number | undefined;
  userAgent: string;
  headers?: Readonly<Record<string, string>> | undefined;
}

/** Milliseconds to wait for an answer when neither the call nor the client says (undici's default). */
const DEFAULT_HEADERS_TIMEOUT = 300_000;
/** The most of an error body berth reads (the Go client reads 1 MiB too). */
const ERROR_BODY_LIMIT = 1 << 20;
/**
 * The most of a JSON result berth buffers by default: 256 MiB (a
 * `GET /containers/json` of ten thousand containers is about 20 MiB). The
 * `maxResponseBytes` option changes it.
 */
export const JSON_BODY_LIMIT = 256 << 20;

const TOO_NEW = /client version (\d+\.\d+) is too new\. Maximum supported API version is (\d+\.\d+)/i;
const TOO_OLD = /client version (\d+\.\d+) is too old\. Minimum supported API version is (\d+\.\d+)/i;
/** What engines answer for a route they do not have (dockerd: "page not found", podman: "Not Found"). */
const UNKNOWN_ROUTE = /^(404 )?(page )?not found\.?$/i;
const PLAIN_TO_TLS = /Client sent an HTTP request to an HTTPS server/i;

/** Encodes a query; arrays repeat keys, objects become JSON, booleans `1`/`0`. */
export function encodeQuery(query: Query | undefined): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    const k = encodeURIComponent(key);
    if (Array.isArray(value)) {
      for (const v of value as readonly (string | number)[]) parts.push(`${k}=${encodeURIComponent(String(v))}`);
    } else if (typeof value === 'object') {
      parts.push(`${k}=${encodeURIComponent(JSON.stringify(value))}`);
    } else if (typeof value === 'boolean') {
      parts.push(`${k}=${value ? '1' : '0'}`);
    } else {
      parts.push(`${k}=${encodeURIComponent(String(value))}`);
    }
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

/**
 * One path segment from an id or name, validated before any I/O. `/`, `:`
 * and `@` stay literal (image references), as the docker CLI sends them.
 */
export function pathSegment(value: string, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new DockerArgumentError(`${what} must be a non-empty string`);
  if (value.includes('..') && value.split('/').includes('..')) throw new DockerArgumentError(`${what} "${value}" must not contain ".." segments`);
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new DockerArgumentError(`${what} must not contain control characters`);
  return encodeURIComponent(value).replace(/%2F/gi, '/').replace(/%3A/gi, ':').replace(/%40/g, '@');
}

/**
 * Reads a whole body into a Buffer, failing past `limit` bytes (the body is
 * destroyed then). Plain listeners rather than `for await`: most bodies are
 * a few bytes, and an async iterator (with its end-of-stream watcher) per
 * response costs more than reading them. The body's error, or its close
 * before the end, rejects as it would from `for await`.
 */
export function readBody(body: Readable, limit: number, what: string): Promise<Buffer> {
  if (body.readableEnded) return Promise.resolve(Buffer.alloc(0));
  if (body.destroyed) return Promise.reject(body.errored ?? prematureClose());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // the listeners stay until the body is gone: removing four listeners per response cost more than reading it
    let settled = false;
    body.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > limit) {
        settled = true;
        destroyQuietly(body);
        reject(new DockerProtocolError(`${what}: response body exceeds ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    body.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(chunks.length === 1 ? chunks[0] as Buffer : Buffer.concat(chunks, size));
    });
    body.on('error', (err: Error) => {
      // also keeps a late error (after the end, or while it closes) from going uncaught
      if (settled) return;
      settled = true;
      reject(err);
    });
    body.on('close', () => {
      if (settled) return;
      settled = true;
      reject(body.errored ?? prematureClose());
    });
  });
}

/** What `for await` throws for a stream closed before its end. */
function prematureClose(): Error {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}

/** Reads up to `limit` bytes and discards the rest (for error bodies). */
async function readBounded(body: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (size < limit) chunks.push(chunk.subarray(0, limit - size));
      size += chunk.length;
      if (size >= limit) break;
    }
  } catch {
    // a broken error body still leaves us the status
  } finally {
    destroyQuietly(body);
  }
  return Buffer.concat(chunks);
}

/**
 * Destroys a response body that nobody will read. undici's body emits an
 * abort error when destroyed early; with no listener that error would be
 * thrown as an uncaught exception.
 */
export function destroyQuietly(body: Readable): void {
  if (body.destroyed) return;
  body.on('error', () => undefined);
  body.destroy();
}

/** What an error body says: the engine's message, and podman's `cause` when present. */
export interface ErrorBody {
  message: string;
  cause?: string | undefined;
}

/** The engine's message from an error body: `{"message"}`, podman's shape, or trimmed text. */
export function parseErrorBody(body: Buffer, statusCode: number, request: RequestInfo): ErrorBody {
  const text = body.toString('utf8').trim();
  if (text === '') {
    return { message: `engine answered ${statusCode} with no message; does it support API version ${request.apiVersion ?? '(unversioned)'}?` };
  }
  if (text.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (isObject(parsed)) {
        const cause = typeof parsed.cause === 'string' ? parsed.cause : undefined;
        if (typeof parsed.message === 'string' && parsed.message !== '') return { message: parsed.message, cause };
        return { message: `engine answered ${statusCode} without an error message`, cause };
      }
    } catch {
      // not JSON after all: use the text
    }
  }
  return { message: text.length > 2000 ? `${text.slice(0, 2000)}…` : text };
}

/** The engine's message from an error body (see {@link parseErrorBody}). */
export function engineMessage(body: Buffer, statusCode: number, request: RequestInfo): string {
  return parseErrorBody(body, statusCode, request).message;
}

/** What every request needs before it is sent: the versioned path, its description for errors, and the headers. */
interface Prepared {
  path: string;
  info: RequestInfo;
  headers: Record<string, string>;
}

export class Requester {
  readonly transport: Transport;
  /** The most bytes of a JSON or text result read before failing with a {@link DockerProtocolError}. */
  readonly maxResponseBytes: number;
  private readonly version: VersionSource;
  private readonly defaults: RequesterDefaults;
  /** The headers of every request (user agent, the client's own), copied into each request's. */
  private readonly baseHeaders: Readonly<Record<string, string>>;

  constructor(transport: Transport, version: VersionSource, defaults: RequesterDefaults) {
    this.transport = transport;
    this.version = version;
    this.defaults = defaults;
    const max = defaults.maxResponseBytes ?? JSON_BODY_LIMIT;
    if (!Number.isInteger(max) || max < 1) throw new DockerArgumentError(`maxResponseBytes must be a positive integer, got ${String(max)}`);
    this.maxResponseBytes = max;
    this.baseHeaders = { 'user-agent': defaults.userAgent, ...defaults.headers };
  }

  /**
   * Sends a request and checks its status. Resolves with the response (body
   * unread) for 2xx and `okStatuses`; rejects with a typed error otherwise,
   * having read and destroyed the error body.
   */
  send(spec: RequestSpec): Promise<EngineResponse> {
    return this.withVersionRetry(!hasStreamBody(spec), (retried) => this.sendOnce(spec, retried));
  }

  /**
   * Hijacks a connection (attach, exec start): `POST` with `Connection:
   * Upgrade`, `Upgrade: tcp` on a raw socket of its own. Resolves once the
   * engine answered `101` (or `200` with a raw stream) with the stream,
   * whose output must be read or the stream closed; any other answer is
   * thrown as the typed error its status and body call for. The signal
   * aborts the call and, after it resolved, destroys the connection.
   */
  async upgrade(spec: RequestSpec): Promise<HijackedStream> {
    if (hasStreamBody(spec)) {
      throw new DockerArgumentError(`${spec.method} ${spec.path}: a hijacked request takes a JSON or byte body, not a stream (write stdin to the stream instead)`);
    }
    return this.withVersionRetry(true, (retried) => this.upgradeOnce(spec, retried));
  }

  /** Runs a request; an unpinned client told "too new" adopts the engine's maximum and runs it once more. */
  private withVersionRetry<T>(replayable: boolean, once: (retried: boolean) => Promise<T>): Promise<T> {
    // a handler on the first attempt rather than an async wrapper: every request goes through here
    return once(false).catch((err: unknown) => {
      // Safety net for an unpinned client that guessed too high: adopt the engine's maximum and retry once.
      if (err instanceof TooNewSignal && replayable) {
        this.version.downgrade(err.max);
        return once(true);
      }
      if (err instanceof TooNewSignal) throw err.error;
      throw err;
    });
  }

  /**
   * What every request needs before it is sent. Synchronous once the API
   * version is settled (or not needed); a promise only while it is negotiated.
   */
  private prepare(spec: RequestSpec): Prepared | Promise<Prepared> {
    const signal = spec.signal;
    if (signal?.aborted) throw abortError(signal);
    const known = spec.unversioned ? undefined : this.version.current;
    if (spec.unversioned || known !== undefined) return this.prepared(spec, known);
    return this.version.resolve(signal).then((apiVersion) => this.prepared(spec, apiVersion));
  }

  private prepared(spec: RequestSpec, apiVersion: string | undefined): Prepared {
    const base = this.transport.endpoint.basePath;
    const path = `${base}${apiVersion !== undefined ? `/v${apiVersion}` : ''}${spec.path}`;
    const info: RequestInfo = { method: spec.method, path, apiVersion };
    const headers: Record<string, string> = spec.headers ? { ...this.baseHeaders, ...spec.headers } : { ...this.baseHeaders };
    return { path, info, headers };
  }

  private async upgradeOnce(spec: RequestSpec, retried: boolean): Promise<HijackedStream> {
    const { path, info, headers } = await this.prepare(spec);
    let body: Buffer | undefined;
    if (spec.json !== undefined) {
      body = Buffer.from(JSON.stringify(spec.json), 'utf8');
      headers['content-type'] = 'application/json';
    } else if (spec.body !== undefined) {
      body = Buffer.isBuffer(spec.body) ? spec.body : Buffer.from(spec.body as string, 'utf8');
      if (spec.contentType !== undefined) headers['content-type'] = spec.contentType;
    }
    const socket = await this.transport.connectRaw(spec.signal, info);
    return hijack(socket, {
      method: spec.method,
      target: path + encodeQuery(spec.query),
      host: new URL(this.transport.endpoint.origin).host,
      headers,
      body,
      request: info,
      signal: spec.signal,
      timeout: spec.timeout ?? this.defaults.timeout ?? DEFAULT_HEADERS_TIMEOUT,
      errorFor: (status, errorBody) => {
        const parsed = parseErrorBody(errorBody, status, info);
        return this.errorFor(status, parsed.message, info, retried, parsed.cause);
      },
      connectionError: (err) => this.transport.connectionError(err, info),
    });
  }

  private async sendOnce(spec: RequestSpec, retried: boolean): Promise<EngineResponse> {
    const signal = spec.signal;
    const ready = this.prepare(spec);
    const prepared = ready instanceof Promise ? await ready : ready;
    const info = prepared.info;
    const options: Dispatcher.RequestOptions = this.dispatchOptions(spec, prepared);
    options.signal = signal ?? null;
    let res: Dispatcher.ResponseData;
    try {
      const pending = this.transport.dispatcher(spec.stream === true);
      const dispatcher = pending instanceof Promise ? await pending : pending;
      res = await dispatcher.request(options);
    } catch (err) {
      throw this.failure(err, spec, info);
    }
    const status = res.statusCode;
    const flat = res.headers;
    if (isOk(status, spec)) {
      return {
        statusCode: status, headers: flat, body: res.body, request: info,
        mapError: (err) => this.failure(err, spec, info),
        header: (name) => firstHeader(flat, name),
      };
    }
    const errorBody = spec.method === 'HEAD' ? Buffer.alloc(0) : await readBounded(res.body, ERROR_BODY_LIMIT);
    if (spec.method === 'HEAD') destroyQuietly(res.body);
    throw this.statusError(status, errorBody, spec, info, retried);
  }

  /**
   * A request whose answer is read whole (`json()`, `text()`, `empty()`):
   * dispatched with a handler that keeps the body's chunks, so no body
   * stream is made (see `buffered-response.ts`). A successful body over
   * `limit` is an error unless `cutOk`; an error body is read up to 1 MiB.
   */
  private fetch(spec: RequestSpec, limit: number, what: string, cutOk: boolean): Promise<ReadResponse> {
    return this.withVersionRetry(!hasStreamBody(spec), (retried) => this.fetchOnce(spec, retried, limit, what, cutOk));
  }

  private async fetchOnce(spec: RequestSpec, retried: boolean, limit: number, what: string, cutOk: boolean): Promise<ReadResponse> {
    const ready = this.prepare(spec);
    const prepared = ready instanceof Promise ? await ready : ready;
    const info = prepared.info;
    let ex: BufferedExchange;
    try {
      const pending = this.transport.dispatcher(spec.stream === true);
      const dispatcher = pending instanceof Promise ? await pending : pending;
      ex = await exchange(dispatcher, this.dispatchOptions(spec, prepared), spec.signal,
        (status) => (isOk(status, spec) ? limit : ERROR_BODY_LIMIT));
    } catch (err) {
      throw this.failure(err, spec, info);
    }
    const status = ex.statusCode;
    if (!isOk(status, spec)) throw this.statusError(status, ex.body, spec, info, retried);
    if (ex.overflowed && !cutOk) throw new DockerProtocolError(`${what}: response body exceeds ${limit} bytes`);
    const flat = ex.headers;
    return { statusCode: status, headers: flat, body: ex.body, request: info, header: (name) => firstHeader(flat, name) };
  }

  /** undici's options for a request: versioned path and query, body, timeouts. */
  private dispatchOptions(spec: RequestSpec, prepared: Prepared): Dispatcher.DispatchOptions {
    const headers = prepared.headers;
    let body: NonNullable<Dispatcher.DispatchOptions['body']> | null = null;
    if (spec.json !== undefined) {
      body = JSON.stringify(spec.json);
      headers['content-type'] = 'application/json';
    } else if (spec.body !== undefined) {
      // undici also streams async iterables; its types list only Readable
      body = spec.body as NonNullable<Dispatcher.DispatchOptions['body']>;
      if (spec.contentType !== undefined) headers['content-type'] = spec.contentType;
    }
    const timeout = spec.timeout ?? this.defaults.timeout;
    const options: Dispatcher.DispatchOptions = { method: spec.method, path: prepared.path + encodeQuery(spec.query), headers, body };
    if (timeout !== undefined) options.headersTimeout = timeout;
    if (spec.stream) options.bodyTimeout = 0;
    else if (timeout !== undefined) options.bodyTimeout = timeout;
    // undici closes the connection after every HEAD, in case a server sends a body anyway; the engines'
    // HTTP servers never do, and without this every ping would cost a new connection
    if (spec.method === 'HEAD') options.reset = false;
    return options;
  }

  /** The typed error for a request that failed in transit: aborted, refused, cut off, or a head too large. */
  private failure(err: unknown, spec: RequestSpec, info: RequestInfo): DockerError {
    if (spec.signal?.aborted) return abortError(spec.signal);
    if (err instanceof DockerError) return err;
    if (errorCode(err) === 'UND_ERR_HEADERS_OVERFLOW') {
      // undici dropped the connection at the limit: nothing more was read
      return new DockerProtocolError(`the engine's response head to ${spec.method} ${info.path} exceeds ${MAX_HEAD_BYTES} bytes`, { cause: err });
    }
    return this.transport.connectionError(err, info);
  }

  /** The typed error for an answer with a failing status, from its (bounded) body. */
  private statusError(status: number, errorBody: Buffer, spec: RequestSpec, info: RequestInfo, retried: boolean): Error {
    const parsed = parseErrorBody(errorBody, status, info);
    let message = parsed.message;
    if (status === 404 && UNKNOWN_ROUTE.test(message)) {
      message = `${message}: the engine does not implement ${spec.method} ${spec.path} (at API version ${info.apiVersion ?? 'unversioned'})`;
    }
    return this.errorFor(status, message, info, retried, parsed.cause);
  }

  private errorFor(status: number, message: string, info: RequestInfo, retried: boolean, cause?: string): Error {
    if (status === 400 && PLAIN_TO_TLS.test(message)) {
      return new DockerConnectionError(`the engine at ${this.transport.endpoint.url} answered: ${message}`, {
        endpoint: this.transport.endpoint.url, request: info,
        hint: 'is this a TLS port? set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH, or pass tls options',
      });
    }
    const tooNew = status === 400 ? TOO_NEW.exec(message) : null;
    if (tooNew) {
      const max = tooNew[2] as string;
      const error = this.version.pinned
        ? new DockerVersionError(`API version ${info.apiVersion ?? '?'} (pinned by ${this.version.pinnedBy ?? 'an option'}) is newer than this engine supports (maximum ${max}); pin ${max} or leave the version unpinned to negotiate`)
        : new DockerVersionError(`the engine's maximum API version is ${max}, below ${info.apiVersion ?? '?'}`);
      return this.version.pinned || retried ? error : new TooNewSignal(max, error);
    }
    const tooOld = status === 400 ? TOO_OLD.exec(message) : null;
    if (tooOld) {
      return new DockerVersionError(`API version ${tooOld[1] ?? '?'} is older than this engine accepts (minimum ${tooOld[2] ?? '?'})${this.version.pinned ? `; it was pinned by ${this.version.pinnedBy ?? 'an option'}` : ''}`);
    }
    return apiErrorFor(status, message, info, cause);
  }

  /** Sends and parses a JSON body (bounded); the result is `unknown` for the caller to narrow. */
  async json(spec: RequestSpec, what = `${spec.method} ${spec.path}`): Promise<unknown> {
    const res = await this.fetch(spec, this.maxResponseBytes, what, false);
    if (res.body.length === 0) return undefined;
    return parseJson(res.body.toString('utf8'), what);
  }

  /** Sends and returns the body as text (bounded). */
  async text(spec: RequestSpec, limit = this.maxResponseBytes): Promise<{ text: string; response: ReadResponse }> {
    const res = await this.fetch(spec, limit, `${spec.method} ${spec.path}`, false);
    return { text: res.body.toString('utf8'), response: res };
  }

  /**
   * Sends, discards the body, and returns the status (204, 304, …). An
   * unexpectedly big body is not the result: past 1 MiB it is not read on.
   */
  empty(spec: RequestSpec): Promise<ReadResponse> {
    return this.fetch(spec, ERROR_BODY_LIMIT, `${spec.method} ${spec.path}`, true);
  }

  /** Reads a response body, mapping transport errors. */
  collect(res: EngineResponse, limit: number, what: string): Promise<Buffer> {
    return readBody(res.body, limit, what).catch((err: unknown) => {
      destroyQuietly(res.body);
      throw res.mapError(err);
    });
  }
}

/** Internal: a "too new" 400 that the unpinned path may retry. */
class TooNewSignal extends Error {
  readonly max: string;
  readonly error: DockerVersionError;
  constructor(max: string, error: DockerVersionError) {
    super(error.message);
    this.max = max;
    this.error = error;
  }
}

/**
 * The body is a stream: consumed by sending it, so the request cannot be
 * sent again (after a version downgrade), nor written on a hijacked socket.
 */
function hasStreamBody(spec: RequestSpec): boolean {
  return spec.body !== undefined && typeof spec.body !== 'string' && !Buffer.isBuffer(spec.body);
}

/** A status that is a result: 2xx, or one the call names (304 on start/stop). */
function isOk(status: number, spec: RequestSpec): boolean {
  return (status >= 200 && status < 300) || spec.okStatuses?.includes(status) === true;
}

function firstHeader(h: Readonly<Record<string, string | string[] | undefined>>, name: string): string | undefined {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** True for any abort-like error (ours or a raw AbortError). */
export function isAbort(err: unknown): boolean {
  return err instanceof DockerAbortError || (err instanceof Error && err.name === 'AbortError');
}
