import { Buffer } from 'node:buffer';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { unlink } from 'node:fs/promises';
import { claimSocketPath } from './socket-path.js';
import type { Duplex } from 'node:stream';
import { injectFault, injectUpgradeFault, rawHttpError, replayHeaders } from './faults.js';
import {
  matchesQuery, matchesValue, queryRecord,
  type Exchange, type Fixture, type FixtureResponse, type FixtureUpgrade,
} from './fixture.js';

/**
 * A fake engine: a real `node:http` server on a real unix socket (or TCP,
 * optionally TLS) that answers requests from recorded exchanges. Any client
 * can use it — berth, the docker CLI, curl.
 *
 * Each request is matched (method, path, query, and the JSON body where
 * recorded) against the earliest unconsumed exchange it fits, so concurrent
 * requests replay in any order. A request that fits nothing gets a 599 whose
 * message names the nearest exchange; `close()` reports misses and unconsumed
 * exchanges.
 */

export type ReplayListen =
  | { socketPath: string }
  | { host?: string; port?: number; tls?: { key: string | Buffer; cert: string | Buffer; ca?: string | Buffer; requestCert?: boolean } };

export interface ReplayOptions {
  /** Where to listen (default: a unix socket must be given). */
  listen: ReplayListen;
  /** Serve exchanges strictly in recorded order (default false: earliest match). */
  strictOrder?: boolean;
  /** The most request-body bytes kept for matching (default 1 MiB); the rest is counted. */
  maxBodyBytes?: number;
  /**
   * Awaited before each chunk of a hijacked answer from its first timed one
   * on (`afterClientBytes`, `afterRequests`: the chunks before it go out
   * with the head), once the chunk's timing is met; `exchange` is the
   * exchange's index, `chunk` the chunk's in `toClient`. For output a
   * process in a container wrote in answer to something outside the engine
   * (data it was sent over the network): a test playing the other side
   * holds the chunk until that has happened.
   */
  beforeUpgradeChunk?: (exchange: number, chunk: number, data: Buffer) => Promise<void> | void;
}

/** A request the server saw, for assertions. */
export interface SeenRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  bodyBytes: number;
  /** Index of the exchange that answered, or -1 for a miss. */
  exchange: number;
  /** The connection it came on (1, 2, … in the order they were accepted); see {@link ReplayServer.connectionClosed}. */
  connection: number;
  /** For a fault: the bytes of the answer written so far (a hostile answer's size when the client gave up). */
  bytesSent?: number;
  /** A hijacked request: the bytes the client sent after the request (stdin), up to `maxBodyBytes`. */
  fromClient?: Buffer;
  /** A hijacked request: the client half-closed its side (end of stdin). */
  clientEnded?: boolean;
}

/** What a replay left behind. */
export interface ReplayReport {
  /** Recorded exchanges nobody asked for (excluding `repeat` ones). */
  unconsumed: Array<{ index: number; method: string; path: string }>;
  /** Requests that matched nothing, with the explanation sent to the client. */
  misses: Array<{ method: string; path: string; message: string }>;
}

interface Entry {
  exchange: Exchange;
  index: number;
  used: number;
  /** Times the answer was completely sent (or the client hung up on it). */
  answered: number;
}

export class ReplayServer {
  readonly exchanges: readonly Exchange[];
  /** Every request seen, in arrival order. */
  readonly requests: SeenRequest[] = [];
  private readonly entries: Entry[];
  private readonly options: ReplayOptions;
  private readonly server: Server;
  private readonly sockets = new Set<Duplex>();
  private readonly connectionIds = new WeakMap<Duplex, number>();
  private readonly closedConnections = new Set<number>();
  private readonly closeWaiters = new Map<number, Array<() => void>>();
  private readonly misses: ReplayReport['misses'] = [];
  private readonly consumedWaiters: Array<() => void> = [];
  private listening = false;
  private accepted = 0;
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  private constructor(fixtures: readonly Fixture[], options: ReplayOptions) {
    this.exchanges = fixtures.flatMap((f) => f.exchanges);
    this.entries = this.exchanges.map((exchange, index) => ({ exchange, index, used: 0, answered: 0 }));
    this.options = options;
    const listen = options.listen;
    const handler = (req: IncomingMessage, res: ServerResponse): void => { void this.onRequest(req, res); };
    this.server = 'tls' in listen && listen.tls
      ? createHttpsServer({ key: listen.tls.key, cert: listen.tls.cert, ...(listen.tls.ca ? { ca: listen.tls.ca } : {}), requestCert: listen.tls.requestCert ?? false }, handler)
      : createHttpServer(handler);
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => { void this.onUpgrade(req, socket, head); });
    this.server.on('connection', (s: Socket) => this.track(s));
  }

  /** Starts a replay server for one or more fixtures (their exchanges are concatenated). */
  static async start(fixtures: Fixture | readonly Fixture[], options: ReplayOptions): Promise<ReplayServer> {
    const s = new ReplayServer(Array.isArray(fixtures) ? fixtures : [fixtures as Fixture], options);
    await s.listen();
    return s;
  }

  private track(s: Duplex): void {
    if (this.sockets.has(s)) return;
    this.accepted++;
    const id = this.accepted;
    this.connectionIds.set(s, id);
    this.sockets.add(s);
    const closed = (): void => {
      if (this.closedConnections.has(id)) return;
      this.closedConnections.add(id);
      for (const resolve of this.closeWaiters.get(id) ?? []) resolve();
      this.closeWaiters.delete(id);
    };
    // the client's end of the stream: an upgraded socket is half-open, and stays so until the answer ends
    s.once('end', closed);
    s.once('close', () => {
      this.sockets.delete(s);
      closed();
    });
  }

  /** The id of the connection a request came on (0 for one the server did not accept itself). */
  private connectionOf(s: Duplex | null | undefined): number {
    return s ? this.connectionIds.get(s) ?? 0 : 0;
  }

  /**
   * Resolves once connection `id` (a {@link SeenRequest.connection}) has
   * been closed by either side — for the client's side, once it sent its
   * end of the stream (an upgraded socket stays half-open until the server
   * ends its answer): how a test sees that a client let go of a socket.
   */
  connectionClosed(id: number): Promise<void> {
    if (this.closedConnections.has(id) || id > this.accepted) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.closeWaiters.get(id) ?? [];
      list.push(resolve);
      this.closeWaiters.set(id, list);
    });
  }

  /** Whether connection `id` is still open (neither side has closed it). */
  isOpen(id: number): boolean {
    return id > 0 && id <= this.accepted && !this.closedConnections.has(id);
  }

  private async listen(): Promise<void> {
    const l = this.options.listen;
    if ('socketPath' in l) await claimSocketPath(l.socketPath);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      const done = (): void => { this.server.off('error', reject); resolve(); };
      if ('socketPath' in l) this.server.listen(l.socketPath, done);
      else this.server.listen(l.port ?? 0, l.host ?? '127.0.0.1', done);
    });
    this.listening = true;
  }

  /** `unix:///path` or `tcp://host:port`: what to put in DOCKER_HOST. */
  get url(): string {
    const l = this.options.listen;
    if ('socketPath' in l) return `unix://${l.socketPath}`;
    const a = this.server.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `tcp://${host}:${a.port}`;
  }

  /** Resolves once the server has seen `count` requests (to act at a known point, without sleeping). */
  waitForRequests(count: number): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  private seen(request: SeenRequest): void {
    this.requests.push(request);
    const due = this.waiters.filter((w) => this.requests.length >= w.count);
    this.waiters = this.waiters.filter((w) => this.requests.length < w.count);
    for (const w of due) w.resolve();
  }

  /** Connections accepted so far, and how many are open now (keep-alive reuse shows as total staying low). */
  get connections(): { total: number; open: number } {
    return { total: this.accepted, open: this.sockets.size };
  }

  /** Resolves once no client connection is open (after a client closed its pool). */
  async idle(): Promise<void> {
    while (this.sockets.size > 0) {
      const open = this.sockets.values().next().value as Duplex;
      await new Promise<void>((resolve) => { if (open.destroyed) resolve(); else open.once('close', () => resolve()); });
    }
  }

  /** The TCP port (TCP listeners only). */
  get port(): number | undefined {
    const a = this.server.address();
    return typeof a === 'object' && a !== null ? a.port : undefined;
  }

  /** Misses and unconsumed exchanges so far. */
  report(): ReplayReport {
    return {
      unconsumed: this.entries
        .filter((e) => e.used === 0 && !e.exchange.repeat)
        .map((e) => ({ index: e.index, method: e.exchange.request.method, path: e.exchange.request.path })),
      misses: [...this.misses],
    };
  }

  /**
   * Resolves once every recorded exchange (except `repeat` ones) has been
   * answered completely: the last byte written, or the client gone.
   */
  consumed(): Promise<void> {
    if (this.allAnswered()) return Promise.resolve();
    return new Promise((resolve) => this.consumedWaiters.push(resolve));
  }

  private allAnswered(): boolean {
    return this.entries.every((e) => e.exchange.repeat === true || e.answered > 0);
  }

  private markAnswered(entry: Entry): void {
    entry.answered++;
    if (this.consumedWaiters.length > 0 && this.allAnswered()) {
      for (const resolve of this.consumedWaiters.splice(0)) resolve();
    }
  }

  /** Throws when a request missed or an exchange was never asked for. */
  assertDone(): void {
    const r = this.report();
    const lines = [
      ...r.misses.map((m) => `miss: ${m.message}`),
      ...r.unconsumed.map((u) => `unconsumed #${u.index}: ${u.method} ${u.path}`),
    ];
    if (lines.length) throw new Error(`replay incomplete:\n${lines.join('\n')}`);
  }

  /** Stops listening, destroys open connections, removes the socket file; returns the report. */
  async close(): Promise<ReplayReport> {
    if (this.listening) {
      this.listening = false;
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      for (const s of this.sockets) s.destroy();
      this.server.closeAllConnections();
      await closed;
      const l = this.options.listen;
      if ('socketPath' in l) await unlink(l.socketPath).catch(() => undefined);
    }
    return this.report();
  }

  private async readRequestBody(req: IncomingMessage, prefix?: Buffer, socket?: Duplex): Promise<{ body: unknown; bytes: number; rest: Buffer }> {
    const limit = this.options.maxBodyBytes ?? 1 << 20;
    const chunks: Buffer[] = [];
    let kept = 0;
    let bytes = 0;
    const take = (chunk: Buffer): void => {
      bytes += chunk.length;
      if (kept < limit) {
        const part = chunk.subarray(0, limit - kept);
        chunks.push(part);
        kept += part.length;
      }
    };
    let rest: Buffer = Buffer.alloc(0);
    if (socket) {
      // an upgrade request: the body (Content-Length) comes first on the socket, stdin after it
      const length = Number(req.headers['content-length'] ?? 0);
      let buffered = prefix ?? Buffer.alloc(0);
      while (buffered.length < length) {
        const more = await new Promise<Buffer | null>((resolve) => {
          const onData = (d: Buffer): void => { cleanup(); resolve(d); };
          const onEnd = (): void => { cleanup(); resolve(null); };
          const cleanup = (): void => { socket.off('data', onData); socket.off('end', onEnd); socket.off('close', onEnd); socket.pause(); };
          socket.on('data', onData); socket.once('end', onEnd); socket.once('close', onEnd);
          socket.resume();
        });
        if (more === null) break;
        buffered = Buffer.concat([buffered, more]);
      }
      take(buffered.subarray(0, length));
      rest = buffered.subarray(length);
    } else {
      for await (const chunk of req as AsyncIterable<Buffer>) take(chunk);
    }
    const raw = Buffer.concat(chunks);
    const type = String(req.headers['content-type'] ?? '');
    let body: unknown;
    if (raw.length > 0 && type.includes('json')) {
      try { body = JSON.parse(raw.toString('utf8')) as unknown; } catch { body = raw.toString('utf8'); }
    } else if (raw.length > 0 && raw.length <= 4096 && !raw.includes(0)) {
      body = raw.toString('utf8');
    }
    return { body, bytes, rest };
  }

  private find(method: string, path: string, query: Record<string, string | string[]>, body: unknown): Entry | undefined {
    const fits = (e: Entry): boolean => {
      const r = e.exchange.request;
      if (r.method !== method || r.path !== path || !matchesQuery(r.query, query)) return false;
      const matchBody = r.matchBody ?? r.body !== undefined;
      return !matchBody || matchesValue(r.body, body);
    };
    if (this.options.strictOrder) {
      const next = this.entries.find((e) => e.used === 0 && !e.exchange.repeat);
      if (next && fits(next)) return next;
      return this.entries.find((e) => e.exchange.repeat === true && fits(e));
    }
    return this.entries.find((e) => e.used === 0 && fits(e)) ?? this.entries.find((e) => e.exchange.repeat === true && fits(e));
  }

  private explainMiss(method: string, path: string, query: Record<string, string | string[]>): string {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) for (const x of Array.isArray(v) ? v : [v]) q.append(k, x);
    const asked = `${method} ${path}${q.size ? `?${q.toString()}` : ''}`;
    let best: Entry | undefined;
    let bestScore = -1;
    for (const e of this.entries) {
      const r = e.exchange.request;
      let score = 0;
      if (r.method === method) score += 4;
      const a = r.path.split('/');
      const b = path.split('/');
      for (let i = 0; i < Math.min(a.length, b.length) && a[i] === b[i]; i++) score += 2;
      if (r.path === path) score += 8;
      if (e.used === 0) score += 1;
      if (score > bestScore) { bestScore = score; best = e; }
    }
    if (!best) return `no exchange matches ${asked} (the fixture is empty)`;
    const r = best.exchange.request;
    const why: string[] = [];
    if (r.method !== method) why.push(`method ${r.method}`);
    if (r.path !== path) why.push(`path ${r.path}`);
    else if (!matchesQuery(r.query, query)) why.push(`query ${JSON.stringify(r.query ?? {})}`);
    else if (best.used > 0 && !best.exchange.repeat) why.push('already consumed');
    else why.push(`body ${JSON.stringify(r.body)}`);
    return `no exchange matches ${asked}; nearest is #${best.index} ${r.method} ${r.path} (differs in ${why.join(', ')})`;
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://replay');
    const query = queryRecord(url.searchParams);
    const method = req.method ?? 'GET';
    let body: { body: unknown; bytes: number };
    try {
      body = await this.readRequestBody(req);
    } catch {
      res.destroy();
      return;
    }
    const entry = this.find(method, url.pathname, query, body.body);
    const seen: SeenRequest = {
      method, path: url.pathname, query, headers: req.headers, body: body.body, bodyBytes: body.bytes,
      exchange: entry?.index ?? -1, connection: this.connectionOf(req.socket),
    };
    this.seen(seen);
    if (!entry) {
      const message = this.explainMiss(method, url.pathname, query);
      this.misses.push({ method, path: url.pathname, message });
      res.writeHead(599, 'Replay Miss', { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `berth replay: ${message}` }));
      return;
    }
    entry.used++;
    const ex = entry.exchange;
    if (ex.fault) {
      seen.bytesSent = 0;
      injectFault(ex, ex.fault, res, seen as { bytesSent: number });
      this.markAnswered(entry);
      return;
    }
    if (!ex.response) {
      res.writeHead(599, 'Replay Miss', { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `berth replay: exchange #${entry.index} is an upgrade; the request did not ask to upgrade` }));
      this.markAnswered(entry);
      return;
    }
    const sent = new Promise<void>((resolve) => {
      res.once('finish', resolve);
      res.once('close', resolve);
    });
    const written = ex.response.timing ? await this.writeTimedResponse(ex.response, res, method) : this.writeResponse(ex.response, res, method);
    if (written === 'open') this.markAnswered(entry);
    else await sent.then(() => this.markAnswered(entry));
  }

  /**
   * Resolves once `count` requests were seen (true), or `closed` settles
   * first (false): how a recorded part of an answer waits for its time.
   */
  private async gate(count: number | undefined, closed: Promise<void>): Promise<boolean> {
    if (!count || this.requests.length >= count) return true;
    return Promise.race([this.waitForRequests(count).then(() => true), closed.then(() => false)]);
  }

  /** Writes a response whose parts the engine sent only after later requests (see `FixtureResponse.timing`). */
  private async writeTimedResponse(r: FixtureResponse, res: ServerResponse, method: string): Promise<'ended' | 'open'> {
    const timing = r.timing ?? {};
    const closed = new Promise<void>((resolve) => res.once('close', resolve));
    const headers = replayHeaders(r.headers);
    if (r.chunks) {
      res.writeHead(r.statusCode, r.statusMessage, headers);
      res.flushHeaders();
      for (const [i, c] of r.chunks.entries()) {
        if (!await this.gate(timing.chunks?.[i], closed)) return 'ended';
        res.write(Buffer.from(c, 'base64'));
      }
      if (r.open) return 'open';
      if (await this.gate(timing.end, closed)) res.end();
      return 'ended';
    }
    const payload = r.bodyText !== undefined ? Buffer.from(r.bodyText, 'utf8')
      : r.body !== undefined ? Buffer.from(`${JSON.stringify(r.body)}\n`, 'utf8') : Buffer.alloc(0);
    if (method !== 'HEAD') headers['content-length'] = String(payload.length);
    res.writeHead(r.statusCode, r.statusMessage, headers);
    res.flushHeaders();
    if (await this.gate(Math.max(timing.body ?? 0, timing.end ?? 0), closed)) res.end(method === 'HEAD' ? undefined : payload);
    return 'ended';
  }

  /** Writes a recorded response; `open` when it stays open (the recorded client hung up first). */
  private writeResponse(r: FixtureResponse, res: ServerResponse, method: string): 'ended' | 'open' {
    const headers = replayHeaders(r.headers);
    if (r.chunks) {
      res.writeHead(r.statusCode, r.statusMessage, headers);
      res.flushHeaders();
      for (const c of r.chunks) res.write(Buffer.from(c, 'base64'));
      if (r.open) return 'open';
      res.end();
      return 'ended';
    }
    let payload: Buffer;
    if (r.bodyText !== undefined) payload = Buffer.from(r.bodyText, 'utf8');
    else if (r.body !== undefined) payload = Buffer.from(`${JSON.stringify(r.body)}\n`, 'utf8');
    else payload = Buffer.alloc(0);
    if (method !== 'HEAD') headers['content-length'] = String(payload.length);
    else if (r.headers['content-length'] !== undefined) headers['content-length'] = String(r.headers['content-length']);
    res.writeHead(r.statusCode, r.statusMessage, headers);
    res.end(method === 'HEAD' ? undefined : payload);
    return 'ended';
  }

  private async onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'http://replay');
    const query = queryRecord(url.searchParams);
    const method = req.method ?? 'POST';
    const { body, bytes, rest } = await this.readRequestBody(req, head, socket);
    const entry = this.find(method, url.pathname, query, body);
    const seen: SeenRequest = {
      method, path: url.pathname, query, headers: req.headers, body, bodyBytes: bytes, exchange: entry?.index ?? -1, connection: this.connectionOf(socket),
    };
    this.seen(seen);
    if (!entry) {
      const message = this.explainMiss(method, url.pathname, query);
      this.misses.push({ method, path: url.pathname, message });
      socket.end(rawHttpError(599, `berth replay: ${message}`));
      return;
    }
    entry.used++;
    try {
      await this.answerUpgrade(entry.exchange, socket, rest, seen);
    } finally {
      this.markAnswered(entry);
    }
  }

  private async answerUpgrade(ex: Exchange, socket: Duplex, rest: Buffer, seen: SeenRequest): Promise<void> {
    if (ex.fault) {
      seen.bytesSent = 0;
      injectUpgradeFault(ex, ex.fault, socket, seen as { bytesSent: number });
      return;
    }
    if (ex.response) {
      const r = ex.response;
      const text = r.bodyText ?? (r.body !== undefined ? `${JSON.stringify(r.body)}\n` : Buffer.concat((r.chunks ?? []).map((c) => Buffer.from(c, 'base64'))).toString('utf8'));
      const lines = [`HTTP/1.1 ${r.statusCode} ${r.statusMessage ?? ''}`.trimEnd()];
      for (const [k, v] of Object.entries(replayHeaders(r.headers))) lines.push(`${k}: ${v}`);
      const json = Object.entries(r.headers).some(([k, v]) => k.toLowerCase() === 'content-type' && String(v).includes('json'));
      if (json) {
        // a JSON error answered before any hijack (exec start: no such exec, container not running): Go's
        // server sends a Content-Length and keeps the connection open, so the client must not wait for a close
        lines.push(`Content-Length: ${Buffer.byteLength(text)}`);
        socket.write(`${lines.join('\r\n')}\r\n\r\n${text}`);
      } else {
        // an error written on the hijacked socket, then closed, as dockerd does for attach
        socket.end(`${lines.join('\r\n')}\r\n\r\n${text}`);
      }
      return;
    }
    if (ex.upgrade) await this.playUpgrade(ex.upgrade, socket, rest, seen);
  }

  private async playUpgrade(u: FixtureUpgrade, socket: Duplex, early: Buffer, seen: SeenRequest): Promise<void> {
    const limit = this.options.maxBodyBytes ?? 1 << 20;
    let received = 0;
    let clientEnded = false;
    let waiter: (() => void) | undefined;
    seen.fromClient = Buffer.alloc(0);
    seen.clientEnded = false;
    const fromClient = (d: Buffer): void => {
      received += d.length;
      const kept = seen.fromClient ?? Buffer.alloc(0);
      if (kept.length < limit) seen.fromClient = Buffer.concat([kept, d.subarray(0, limit - kept.length)]);
      waiter?.();
    };
    fromClient(early);
    const expected = u.fromClient.reduce((n, c) => n + Buffer.from(c, 'base64').length, 0);
    socket.on('data', fromClient);
    socket.once('end', () => { clientEnded = true; seen.clientEnded = true; waiter?.(); });
    socket.once('close', () => { clientEnded = true; waiter?.(); });
    socket.resume();
    const waitFor = async (bytes: number): Promise<void> => {
      while (received < bytes && !clientEnded) await new Promise<void>((resolve) => { waiter = resolve; });
      waiter = undefined;
    };
    const chunks = u.toClient.map((c) => (typeof c === 'string' ? { data: c } : c));
    // output the engine had ready with its answer goes out in the same write as the head, so the client
    // gets bytes in the read that ends the head (as from an engine that writes fast) deterministically
    let ready = 0;
    while (ready < chunks.length && !chunks[ready]?.afterClientBytes && !chunks[ready]?.afterRequests) ready++;
    const closed = new Promise<void>((resolve) => socket.once('close', resolve));
    const lines = [u.statusLine];
    for (const [k, v] of Object.entries(u.headers)) lines.push(`${k}: ${v}`);
    socket.write(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), ...chunks.slice(0, ready).map((c) => Buffer.from(c.data, 'base64'))]));
    for (const [i, chunk] of chunks.entries()) {
      if (i < ready) continue;
      if (chunk.afterClientBytes) await waitFor(chunk.afterClientBytes);
      if (!await this.gate(chunk.afterRequests, closed) || socket.destroyed) return;
      const data = Buffer.from(chunk.data, 'base64');
      await this.options.beforeUpgradeChunk?.(seen.exchange, i, data);
      if (socket.destroyed) return;
      socket.write(data);
    }
    if (u.end === false) return;
    await waitFor(expected);
    if (!await this.gate(u.endAfterRequests, closed)) return;
    if (!socket.destroyed) socket.end();
  }
}
