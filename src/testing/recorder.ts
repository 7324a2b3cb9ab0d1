import { Buffer } from 'node:buffer';
import { Agent as HttpAgent, createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { unlink } from 'node:fs/promises';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { resolveEndpoint, type Endpoint, type TlsOptions } from '../engine/endpoint.js';
import { loadTls } from '../engine/transport.js';
import { claimSocketPath } from './socket-path.js';
import {
  queryRecord, saveFixture, type Exchange, type Fixture, type FixtureRequest, type FixtureResponse, type ResponseTiming, type UpgradeChunk,
} from './fixture.js';
import { Scrubber } from './scrub.js';

/**
 * The recording proxy: a fake engine socket in front of a real engine.
 * Every exchange a client makes through it is forwarded, answered by the
 * real engine, and recorded (chunk boundaries, hijacked byte streams) as a
 * fixture — with credentials and secrets scrubbed before anything is kept.
 */

export interface RecorderOptions {
  /** The real engine, DOCKER_HOST-style (`unix:///…`, `tcp://…`), or a resolved endpoint. */
  target: string | Endpoint;
  /** TLS for a tcp target (like the Docker `tls` option). */
  targetTls?: boolean | TlsOptions;
  /** Where clients connect. */
  listen: { socketPath: string } | { host?: string; port?: number };
  /** Strings (passwords, tokens) masked wherever they appear. */
  secrets?: readonly string[];
  /** Fixture description. */
  description?: string;
}

interface Pending {
  order: number;
  exchange: Exchange | undefined;
}

export class RecordingProxy {
  private readonly target: Endpoint;
  private readonly options: RecorderOptions;
  private readonly server: Server;
  private readonly agent: HttpAgent;
  private readonly scrubber: Scrubber;
  private readonly sockets = new Set<Duplex>();
  private pending: Pending[] = [];
  private order = 0;
  private engine = 'unknown-engine';
  private apiVersion = '';

  private constructor(options: RecorderOptions) {
    this.options = options;
    this.target = typeof options.target === 'string'
      ? resolveEndpoint({ host: options.target, ...(options.targetTls !== undefined ? { tls: options.targetTls } : {}) }, { env: {}, homedir: '/', readFile: () => undefined, exists: () => false })
      : options.target;
    this.scrubber = new Scrubber(options.secrets ?? []);
    const tls = this.target.tls ? loadTls(this.target.tls) : undefined;
    this.agent = tls
      ? new HttpsAgent({ keepAlive: true, ...definedOnly({ ca: tls.ca, cert: tls.cert, key: tls.key, servername: tls.servername }), rejectUnauthorized: tls.rejectUnauthorized })
      : new HttpAgent({ keepAlive: true });
    this.server = createServer((req, res) => this.onRequest(req, res));
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    this.server.on('connection', (s: Socket) => { this.sockets.add(s); s.once('close', () => this.sockets.delete(s)); });
  }

  static async start(options: RecorderOptions): Promise<RecordingProxy> {
    const p = new RecordingProxy(options);
    const l = options.listen;
    if ('socketPath' in l) await claimSocketPath(l.socketPath);
    await new Promise<void>((resolve, reject) => {
      p.server.once('error', reject);
      if ('socketPath' in l) p.server.listen(l.socketPath, () => resolve());
      else p.server.listen(l.port ?? 0, l.host ?? '127.0.0.1', () => resolve());
    });
    return p;
  }

  /** What clients should use as DOCKER_HOST. */
  get url(): string {
    const l = this.options.listen;
    if ('socketPath' in l) return `unix://${l.socketPath}`;
    const a = this.server.address() as AddressInfo;
    return `tcp://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }

  /** Adds a secret to mask from now on (a generated password). */
  addSecret(secret: string): void {
    this.scrubber.add(secret);
  }

  /** The exchanges recorded so far, in request order, as a fixture. */
  fixture(description = this.options.description): Fixture {
    const exchanges = this.pending.filter((p) => p.exchange !== undefined).sort((a, b) => a.order - b.order).map((p) => p.exchange as Exchange);
    return {
      engine: this.engine,
      apiVersion: this.apiVersion,
      recordedAt: new Date().toISOString(),
      ...(description !== undefined ? { description } : {}),
      exchanges,
    };
  }

  /** Writes what was recorded and starts a fresh recording. */
  async save(path: string, description?: string): Promise<Fixture> {
    await this.settle();
    const f = this.fixture(description);
    await saveFixture(path, f);
    this.reset();
    return f;
  }

  /** Forgets what was recorded. */
  reset(): void {
    this.pending = [];
  }

  /** Waits (briefly) for exchanges still being forwarded. */
  async settle(timeoutMs = 2000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (this.pending.some((p) => p.exchange === undefined) && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.server.closeAllConnections();
    this.agent.destroy();
    await closed;
    const l = this.options.listen;
    if ('socketPath' in l) await unlink(l.socketPath).catch(() => undefined);
  }

  private noteEngine(headers: IncomingHttpHeaders): void {
    const server = headers.server;
    if (typeof server === 'string') {
      const m = /^(Docker|Libpod)\/([^\s]+)/.exec(server);
      if (m) this.engine = `${m[1] === 'Libpod' ? 'podman' : 'dockerd'}-${m[2] ?? ''}`;
    }
  }

  private recordRequest(req: IncomingMessage, body: Buffer, bodyBytes: number): FixtureRequest {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const m = /^\/v(\d+\.\d+)\//.exec(url.pathname);
    if (m && this.apiVersion === '') this.apiVersion = m[1] as string;
    const r: FixtureRequest = { method: req.method ?? 'GET', path: url.pathname };
    const query = queryRecord(url.searchParams);
    if (Object.keys(query).length) r.query = this.scrubber.query(query);
    const headers: Record<string, string> = {};
    for (const name of ['content-type', 'x-registry-auth', 'x-registry-config']) {
      const v = req.headers[name];
      if (typeof v === 'string') headers[name] = name.startsWith('x-registry') ? '<redacted>' : v;
    }
    if (Object.keys(headers).length) r.headers = headers;
    const type = String(req.headers['content-type'] ?? '');
    if (bodyBytes > 0) {
      if (bodyBytes > body.length) r.bodyBytes = bodyBytes;
      else if (type.includes('json')) {
        try { r.body = this.scrubber.json(JSON.parse(body.toString('utf8'))); } catch { r.bodyText = this.scrubber.text(body.toString('utf8')); }
      } else if (!body.includes(0) && body.length <= 4096) r.bodyText = this.scrubber.text(body.toString('utf8'));
      else r.bodyBytes = bodyBytes;
    }
    return r;
  }

  private forward(req: IncomingMessage, extraHeaders: Record<string, string> = {}): ReturnType<typeof httpRequest> {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && k !== 'host') headers[k] = v;
    Object.assign(headers, extraHeaders);
    const t = this.target;
    const common = { method: req.method ?? 'GET', path: `${t.basePath}${req.url ?? '/'}`, headers, agent: this.agent };
    if (t.protocol === 'unix') return httpRequest({ ...common, socketPath: t.socketPath ?? '', agent: this.agent as HttpAgent });
    const target = { ...common, host: t.host ?? 'localhost', port: t.port ?? 2375 };
    return t.tls ? httpsRequest(target) : httpRequest(target);
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const slot: Pending = { order: this.order++, exchange: undefined };
    this.pending.push(slot);
    const keep: Buffer[] = [];
    let kept = 0;
    let bytes = 0;
    const up = this.forward(req);
    req.on('data', (d: Buffer) => {
      bytes += d.length;
      if (kept < 1 << 20) { keep.push(d); kept += d.length; }
    });
    req.pipe(up);
    let clientGone = false;
    let engineDone = false;
    res.on('close', () => { clientGone = !engineDone; if (clientGone) up.destroy(); });
    up.on('error', (err) => {
      if (!res.headersSent) { res.writeHead(502, { 'content-type': 'application/json' }); res.end(JSON.stringify({ message: `berth record: ${err.message}` })); }
      else res.destroy();
      if (slot.exchange === undefined) this.pending = this.pending.filter((p) => p !== slot);
    });
    up.on('response', (er: IncomingMessage) => {
      this.noteEngine(er.headers);
      const headers = responseHeaders(er.headers);
      res.writeHead(er.statusCode ?? 502, er.statusMessage, er.headers);
      res.flushHeaders();
      const chunks: Buffer[] = [];
      const sentAfter: number[] = [];
      er.on('data', (d: Buffer) => {
        if (d.length === 0) return;
        chunks.push(d);
        sentAfter.push(this.order);
        res.write(d);
      });
      const finish = (open: boolean): void => {
        if (slot.exchange !== undefined) return;
        engineDone = true;
        res.end();
        const request = this.recordRequest(req, Buffer.concat(keep), bytes);
        const response = this.scrubber.response(er, headers, chunks, open, req.method === 'HEAD');
        const timing = responseTiming(response, slot.order + 1, sentAfter, open ? 0 : this.order);
        if (timing) response.timing = timing;
        slot.exchange = { request, response };
      };
      er.on('end', () => finish(false));
      er.on('close', () => finish(clientGone));
      er.on('aborted', () => finish(true));
    });
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const slot: Pending = { order: this.order++, exchange: undefined };
    this.pending.push(slot);
    socket.on('error', () => undefined);
    const length = Number(req.headers['content-length'] ?? 0);
    const up = this.forward(req);
    let body = Buffer.alloc(0);
    let bodyDone = false;
    let clientBytes = 0;
    let clientEnded = false;
    let engineSocket: Socket | undefined;
    const early: Buffer[] = [];
    const fromClient: Buffer[] = [];
    const toClient: UpgradeChunk[] = [];
    const endBody = (): void => {
      bodyDone = true;
      up.end(body.subarray(0, length));
      const rest = body.subarray(length);
      body = body.subarray(0, length);
      if (rest.length) stdin(rest);
    };
    // the request body (exec start JSON) is the first Content-Length bytes; stdin follows
    const stdin = (d: Buffer): void => {
      fromClient.push(d);
      clientBytes += d.length;
      if (engineSocket) engineSocket.write(d);
      else early.push(d);
    };
    const feed = (d: Buffer): void => {
      if (bodyDone) { stdin(d); return; }
      body = Buffer.concat([body, d]);
      if (body.length >= length) endBody();
    };
    socket.on('data', feed);
    socket.on('end', () => { clientEnded = true; engineSocket?.end(); });
    if (head.length) feed(head);
    if (!bodyDone && length === 0) endBody();
    up.on('upgrade', (er: IncomingMessage, upgraded: Socket, engineHead: Buffer) => {
      engineSocket = upgraded;
      this.noteEngine(er.headers);
      const headerLines: Record<string, string> = {};
      for (let i = 0; i < er.rawHeaders.length; i += 2) headerLines[er.rawHeaders[i] as string] = er.rawHeaders[i + 1] as string;
      const statusLine = `HTTP/${er.httpVersion} ${er.statusCode ?? 101} ${er.statusMessage ?? ''}`.trimEnd();
      socket.write(`${statusLine}\r\n${Object.entries(headerLines).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
      const own = slot.order + 1;
      const send = (d: Buffer): void => {
        const chunk: UpgradeChunk = { data: d.toString('base64') };
        if (clientBytes) chunk.afterClientBytes = clientBytes;
        if (this.order > own) chunk.afterRequests = this.order;
        toClient.push(chunk);
        socket.write(d);
      };
      if (engineHead.length) send(engineHead);
      for (const d of early.splice(0)) upgraded.write(d);
      if (clientEnded) upgraded.end();
      upgraded.on('data', send);
      upgraded.on('error', () => socket.destroy());
      socket.on('close', () => upgraded.destroy());
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        socket.end();
        const upgrade = this.scrubber.upgrade({ statusLine, headers: headerLines, toClient, fromClient: fromClient.map((b) => b.toString('base64')) });
        if (this.order > own) upgrade.endAfterRequests = this.order;
        slot.exchange = { request: this.recordRequest(req, body, length), upgrade };
      };
      upgraded.on('end', finish);
      upgraded.on('close', finish);
    });
    up.on('response', (er: IncomingMessage) => {
      // the engine refused the upgrade: relay its answer as plain HTTP on the socket
      this.noteEngine(er.headers);
      const chunks: Buffer[] = [];
      er.on('data', (d: Buffer) => chunks.push(d));
      er.on('end', () => {
        const text = Buffer.concat(chunks);
        const lines = [`HTTP/1.1 ${er.statusCode ?? 500} ${er.statusMessage ?? ''}`.trimEnd()];
        for (let i = 0; i < er.rawHeaders.length; i += 2) {
          const k = er.rawHeaders[i] as string;
          if (!/^(transfer-encoding|content-length|connection)$/i.test(k)) lines.push(`${k}: ${er.rawHeaders[i + 1] ?? ''}`);
        }
        lines.push(`Content-Length: ${text.length}`);
        socket.end(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), text]));
        slot.exchange = {
          request: this.recordRequest(req, body, length),
          response: this.scrubber.response(er, responseHeaders(er.headers), [text], false, false),
        };
      });
    });
    up.on('error', () => {
      socket.destroy();
      if (slot.exchange === undefined) this.pending = this.pending.filter((p) => p !== slot);
    });
  }
}

/**
 * When the parts of a response were sent, in requests the client had made by
 * then, keeping only what came after later requests (`own`: the count when
 * this request arrived); undefined when everything went out at once.
 */
function responseTiming(response: FixtureResponse, own: number, sentAfter: readonly number[], endedAfter: number): ResponseTiming | undefined {
  const later = (n: number | undefined): number => (n !== undefined && n > own ? n : 0);
  const timing: ResponseTiming = {};
  if (response.chunks) {
    const chunks = sentAfter.map(later);
    if (chunks.some((n) => n > 0)) timing.chunks = chunks;
  } else if (later(sentAfter.at(-1)) > 0) {
    timing.body = later(sentAfter.at(-1));
  }
  if (later(endedAfter) > (timing.chunks?.at(-1) ?? timing.body ?? 0)) timing.end = later(endedAfter);
  return Object.keys(timing).length > 0 ? timing : undefined;
}

const DROP = new Set(['date', 'content-length', 'transfer-encoding', 'connection', 'keep-alive']);

function responseHeaders(h: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !DROP.has(k)) out[k] = v;
  return out;
}

function definedOnly<T extends Record<string, unknown>>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
