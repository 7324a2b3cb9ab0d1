import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { Socket, connect as netConnect } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Dispatcher, Pool } from 'undici';
import type { Endpoint, TlsSettings } from './endpoint.js';
import { DockerAbortError, DockerConfigError, DockerConnectionError, DockerTimeoutError, abortError, type RequestInfo } from './errors.js';
import { MAX_HEAD_BYTES } from './streams/hijack.js';

/**
 * The only place that builds undici dispatchers and raw sockets. Unary calls
 * share a keep-alive pool; long streams (logs follow, events, wait, attach,
 * build, pull) use a second pool with no connection limit, so a hundred
 * followed logs never starve a `ping`.
 */

type Undici = typeof import('undici');
let undici: Undici | undefined;
let loadingUndici: Promise<Undici> | undefined;

/**
 * undici is loaded by the first request, not by `import('berth')`: it is
 * most of berth's load time, and code that never talks to an engine
 * (configuration checks, `berth --help`, a replay server) need not pay it.
 */
function loadUndici(): Promise<Undici> {
  loadingUndici ??= import('undici').then((m) => (undici = m));
  return loadingUndici;
}

/** Opens a raw byte stream to the engine (used for ssh and custom endpoints). */
export type Connector = (signal?: AbortSignal) => Promise<Duplex>;

export interface TransportOptions {
  /** Keep-alive connections for unary calls (default 16). */
  connections?: number;
  /** Milliseconds to wait for a connection (default 30 s). */
  connectTimeout?: number;
  /** Milliseconds an idle keep-alive connection is kept (default 4 s). */
  keepAliveTimeout?: number;
  /**
   * A unix socket to dial instead of the endpoint's own address. The ssh
   * transport points this at its local bridge.
   */
  socketPathOverride?: string;
}

/** TLS material read from files or options, ready for `tls.connect`. */
export interface LoadedTls {
  readonly ca?: string | Buffer | undefined;
  readonly cert?: string | Buffer | undefined;
  readonly key?: string | Buffer | undefined;
  readonly rejectUnauthorized: boolean;
  readonly servername?: string | undefined;
}

/** Reads the PEM files of a TLS setting; a missing or unreadable file is a {@link DockerConfigError} naming it. */
export function loadTls(tls: TlsSettings): LoadedTls {
  const read = (value: string | Buffer | undefined, file: string | undefined, what: string): string | Buffer | undefined => {
    if (value !== undefined) return value;
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new DockerConfigError(`cannot read the TLS ${what} ${file} (${code})`, { cause: err });
    }
  };
  return {
    ca: read(tls.ca, tls.caFile, 'CA certificate'),
    cert: read(tls.cert, tls.certFile, 'client certificate'),
    key: read(tls.key, tls.keyFile, 'client key'),
    rejectUnauthorized: tls.verify,
    servername: tls.servername,
  };
}

/** One pool's connections and requests (undici's pool statistics). */
export interface PoolSnapshot {
  /** Open connections. */
  readonly connected: number;
  /** Open connections with no request on them (idle keep-alive). */
  readonly free: number;
  /** Requests being answered. */
  readonly running: number;
  /** Requests waiting for a connection. */
  readonly queued: number;
}

/** What a transport holds open: for diagnostics, and to check that nothing leaks. */
export interface TransportStats {
  /** The keep-alive pool of unary calls (undefined until the first one). */
  readonly unary: PoolSnapshot | undefined;
  /** The pool of long streams (undefined until the first one). */
  readonly stream: PoolSnapshot | undefined;
  /** Hijacked connections (attach, exec) not yet closed. */
  readonly hijacked: number;
}

function snapshot(pool: Pool | undefined): PoolSnapshot | undefined {
  if (!pool) return undefined;
  const s = pool.stats;
  return { connected: s.connected, free: s.free, running: s.running, queued: s.queued };
}

export class Transport {
  readonly endpoint: Endpoint;
  private readonly tls: LoadedTls | undefined;
  private readonly options: TransportOptions;
  private unaryPool: Pool | undefined;
  private streamPool: Pool | undefined;
  private readonly rawSockets = new Set<Duplex>();
  private readonly connector: Connector | undefined;
  private closed = false;

  /**
   * `connector`, when given, opens every connection instead of a socket to
   * the endpoint's address (the ssh transport passes its dial-stdio channels).
   */
  constructor(endpoint: Endpoint, options: TransportOptions = {}, connector?: Connector) {
    this.endpoint = endpoint;
    this.options = options;
    this.connector = connector;
    if (endpoint.protocol === 'ssh' && options.socketPathOverride === undefined && connector === undefined) {
      throw new DockerConfigError(`${endpoint.url}: ssh endpoints need the ssh bridge (use Docker, not Transport, directly)`);
    }
    this.tls = endpoint.protocol === 'tcp' && endpoint.tls ? loadTls(endpoint.tls) : undefined;
  }

  /** The unix socket path this transport dials, if it dials one. */
  get socketPath(): string | undefined {
    return this.options.socketPathOverride ?? (this.endpoint.protocol === 'unix' ? this.endpoint.socketPath : undefined);
  }

  /**
   * The dispatcher for a call: the shared keep-alive pool, or the
   * long-stream pool. A promise only until undici is loaded and the pool
   * made; after that the pool itself, so requests pay no extra turn.
   */
  dispatcher(stream: boolean): Dispatcher | Promise<Dispatcher> {
    if (this.closed) throw this.closedError();
    const pool = stream ? this.streamPool : this.unaryPool;
    if (pool) return pool;
    if (undici) return this.pool(stream, undici);
    return loadUndici().then((m) => {
      if (this.closed) throw this.closedError();
      return this.pool(stream, m);
    });
  }

  private closedError(): DockerConnectionError {
    return new DockerConnectionError('the client is closed', { endpoint: this.endpoint.url });
  }

  private pool(stream: boolean, m: Undici): Pool {
    if (stream) {
      this.streamPool ??= this.makePool(m, null);
      return this.streamPool;
    }
    this.unaryPool ??= this.makePool(m, this.options.connections ?? 16);
    return this.unaryPool;
  }

  private makePool(m: Undici, connections: number | null): Pool {
    const tls = this.tls;
    const socketPath = this.socketPath;
    const connector = this.connector;
    if (connector !== undefined) {
      return new m.Pool(this.endpoint.origin, {
        connections,
        pipelining: 1,
        keepAliveTimeout: this.options.keepAliveTimeout ?? 4_000,
        maxHeaderSize: MAX_HEAD_BYTES,
        // undici takes any Duplex here; its types name only sockets
        connect: (_options, callback) => {
          connector().then((stream) => callback(null, stream as Socket), (err: unknown) => callback(err instanceof Error ? err : new Error(String(err)), null));
        },
      });
    }
    return new m.Pool(this.endpoint.origin, {
      connections,
      pipelining: 1,
      keepAliveTimeout: this.options.keepAliveTimeout ?? 4_000,
      // the same bound as a hijacked answer's head: engines send a few hundred bytes
      maxHeaderSize: MAX_HEAD_BYTES,
      connectTimeout: this.options.connectTimeout ?? 30_000,
      ...(socketPath !== undefined ? { socketPath } : {}),
      ...(tls ? {
        connect: {
          ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
          ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
          ...(tls.key !== undefined ? { key: tls.key } : {}),
          rejectUnauthorized: tls.rejectUnauthorized,
          ...(tls.servername !== undefined ? { servername: tls.servername } : {}),
          minVersion: 'TLSv1.2',
        },
      } : {}),
    });
  }

  /**
   * Opens a raw socket to the engine (for attach/exec hijacks). Resolves once
   * connected (after the TLS handshake on TLS endpoints). The socket is
   * tracked: `close()` destroys it. `request` is named in connection errors.
   */
  connectRaw(signal?: AbortSignal, request?: RequestInfo): Promise<Duplex> {
    if (this.closed) return Promise.reject(this.closedError());
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.connector !== undefined) return this.connectWith(this.connector, signal, request);
    return new Promise((resolve, reject) => {
      let socket: Socket;
      const socketPath = this.socketPath;
      const readyEvent = this.tls ? 'secureConnect' : 'connect';
      if (socketPath !== undefined) {
        socket = netConnect({ path: socketPath });
      } else if (this.tls) {
        const opts: ConnectionOptions = {
          host: this.endpoint.host, port: this.endpoint.port ?? 2376, minVersion: 'TLSv1.2',
          rejectUnauthorized: this.tls.rejectUnauthorized,
          servername: this.tls.servername ?? (isIp(this.endpoint.host ?? '') ? undefined : this.endpoint.host),
        };
        if (this.tls.ca !== undefined) opts.ca = this.tls.ca;
        if (this.tls.cert !== undefined) opts.cert = this.tls.cert;
        if (this.tls.key !== undefined) opts.key = this.tls.key;
        socket = tlsConnect(opts);
      } else {
        socket = netConnect({ host: this.endpoint.host, port: this.endpoint.port ?? 2375 });
      }
      const timer = setTimeout(() => {
        cleanup();
        socket.destroy();
        reject(new DockerTimeoutError(`connecting to ${this.endpoint.url} timed out`, { endpoint: this.endpoint.url, request }));
      }, this.options.connectTimeout ?? 30_000);
      const onAbort = (): void => {
        cleanup();
        socket.destroy();
        reject(signal ? abortError(signal) : new DockerAbortError(undefined));
      };
      const onError = (err: Error): void => {
        cleanup();
        socket.destroy();
        reject(this.connectionError(err, request));
      };
      const onReady = (): void => {
        cleanup();
        if (socket instanceof Socket && this.endpoint.protocol === 'tcp') {
          // interactive stdin goes out at once; a dead peer is noticed (as the Go client does for hijacked connections)
          socket.setNoDelay(true);
          socket.setKeepAlive(true, 30_000);
        }
        this.rawSockets.add(socket);
        socket.once('close', () => this.rawSockets.delete(socket));
        resolve(socket);
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        socket.off('error', onError);
        socket.off(readyEvent, onReady);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.once('error', onError);
      socket.once(readyEvent, onReady);
    });
  }

  private async connectWith(connector: Connector, signal: AbortSignal | undefined, request: RequestInfo | undefined): Promise<Duplex> {
    let stream: Duplex;
    try {
      stream = await connector(signal);
    } catch (err) {
      if (signal?.aborted) throw abortError(signal);
      throw this.connectionError(err, request);
    }
    if (this.closed) {
      stream.destroy();
      throw this.closedError();
    }
    this.rawSockets.add(stream);
    stream.once('close', () => this.rawSockets.delete(stream));
    return stream;
  }

  /** Connections and requests open now, per pool, and the hijacked connections. */
  stats(): TransportStats {
    return { unary: snapshot(this.unaryPool), stream: snapshot(this.streamPool), hijacked: this.rawSockets.size };
  }

  /** Maps a socket or undici error to a {@link DockerConnectionError} with a hint. */
  connectionError(err: unknown, request?: RequestInfo): DockerConnectionError {
    return describeConnectionError(err, this.endpoint, request, this.socketPath);
  }

  /** Closes idle connections gracefully and destroys long streams and hijacked sockets. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.rawSockets) s.destroy();
    this.rawSockets.clear();
    const pools = [this.unaryPool, this.streamPool].filter((p): p is Pool => p !== undefined);
    // Long streams never end by themselves: destroy their pool; let unary calls finish.
    await Promise.all(pools.map((p) => (p === this.streamPool ? p.destroy() : p.close())));
  }

  /** Destroys everything at once, failing calls in flight. */
  async destroy(): Promise<void> {
    this.closed = true;
    for (const s of this.rawSockets) s.destroy();
    this.rawSockets.clear();
    await Promise.all([this.unaryPool?.destroy(), this.streamPool?.destroy()]);
  }
}

function isIp(host: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(host) || host.includes(':');
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

/** Finds the system/undici error code in an error or its causes. */
export function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e instanceof Error; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET' && code !== 'UND_ERR_CONNECT') return code;
    e = (e as { cause?: unknown }).cause;
  }
  const top = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  return typeof top === 'string' ? top : undefined;
}

/**
 * Explains a connection failure: what was tried, what happened, and what to
 * check. Pure apart from reading the error; exported for the CLI's doctor.
 */
export function describeConnectionError(
  err: unknown, endpoint: Endpoint, request?: RequestInfo, socketPath?: string,
): DockerConnectionError {
  if (err instanceof DockerConnectionError) return err;
  const code = errorCode(err);
  const url = endpoint.url;
  const detail = err instanceof Error ? err.message : String(err);
  const where = socketPath ?? url;
  const base = { endpoint: url, syscallCode: code, request, cause: err };
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    const what = code === 'UND_ERR_BODY_TIMEOUT' ? 'the engine stopped sending'
      : code === 'UND_ERR_HEADERS_TIMEOUT' ? 'the engine did not answer in time' : `connecting to ${url} timed out`;
    return new DockerTimeoutError(what, { ...base, hint: 'raise the timeout option, or check the engine is not stuck' });
  }
  switch (code) {
    case 'ENOENT':
      return new DockerConnectionError(`cannot connect to the engine: socket ${where} does not exist`, {
        ...base, hint: `is the engine running? endpoint ${endpoint.describe()}`,
      });
    case 'EACCES':
    case 'EPERM':
      return new DockerConnectionError(`permission denied on ${where}`, {
        ...base, hint: 'run as a user in the docker group, use rootless docker, or point DOCKER_HOST elsewhere',
      });
    case 'ECONNREFUSED':
      return new DockerConnectionError(`connection refused by ${where}`, {
        ...base, hint: `nothing listens there; is the engine running? endpoint ${endpoint.describe()}`,
      });
    case 'ENOTSOCK':
      return new DockerConnectionError(`${where} is not a socket`, { ...base, hint: 'check DOCKER_HOST' });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new DockerConnectionError(`cannot resolve host ${endpoint.host ?? ''}`, { ...base, hint: 'check the host name in DOCKER_HOST or the context' });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new DockerConnectionError(`host ${endpoint.host ?? ''} is unreachable`, { ...base, hint: 'check the network path to the engine' });
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return new DockerConnectionError(`the engine closed the connection (${detail})`, {
        ...base,
        hint: !endpoint.tls ? undefined
          : endpoint.tls.cert === undefined && endpoint.tls.certFile === undefined
            ? 'the engine probably requires a client certificate and none is configured (cert.pem and key.pem in DOCKER_CERT_PATH)'
            : 'if this happens at once, the engine may have refused the client certificate',
      });
    default:
      break;
  }
  if (code !== undefined && /WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|UNKNOWN_PROTOCOL|HTTP_REQUEST/.test(code)) {
    return new DockerConnectionError(`TLS handshake with ${url} failed: the engine did not answer in TLS`, {
      ...base, hint: 'is this a TLS port? the engine speaks plain HTTP here: unset DOCKER_TLS_VERIFY/DOCKER_TLS or use port 2375',
    });
  }
  if (code !== undefined && /ALERT_BAD_CERTIFICATE|CERTIFICATE_REQUIRED|ALERT_UNKNOWN_CA|ALERT_HANDSHAKE_FAILURE|ALERT_CERTIFICATE/.test(code)) {
    return new DockerConnectionError(`the engine at ${url} refused the TLS handshake (${code})`, {
      ...base, hint: 'the engine wants a client certificate signed by its CA: check cert.pem and key.pem in DOCKER_CERT_PATH',
    });
  }
  if (code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME|UNABLE_TO_GET_ISSUER/.test(code)) {
    return new DockerConnectionError(`cannot verify the engine's certificate at ${url} (${code})`, {
      ...base, hint: 'check ca.pem in DOCKER_CERT_PATH, and that the certificate names this host',
    });
  }
  if (code !== undefined && code.startsWith('ERR_SSL')) {
    return new DockerConnectionError(`TLS failure talking to ${url} (${code})`, { ...base, hint: 'check the TLS settings and certificates' });
  }
  const notHttp = code?.startsWith('HPE_') === true || (err instanceof Error && err.name === 'HTTPParserError');
  if (endpoint.protocol === 'ssh' && notHttp) {
    // dial-stdio's output is the engine's HTTP; anything else came from the remote login
    return new DockerConnectionError(`the answer over ssh is not the engine's HTTP (${detail})`, {
      ...base, hint: 'something on the remote host writes to stdout before "docker system dial-stdio" runs (an echo in ~/.bashrc or a login script?): "ssh HOST true" must print nothing',
    });
  }
  return new DockerConnectionError(`cannot talk to the engine at ${where}: ${detail}`, base);
}
