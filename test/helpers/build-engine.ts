import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Docker } from '../../src/index.js';
import { shortTempDir, type Teardown } from './tmp.js';

/**
 * A scriptable fake engine for `POST /build`: a real HTTP server on a unix
 * socket whose answer each test writes (answer before reading the body,
 * stream progress lines, hold the connection), recording what the client
 * sent and whether it hung up. The client is pinned to API 1.41, so no ping
 * comes first.
 */

/** What the fake engine saw of one request. */
export interface SeenBuild {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  /** Request body bytes read so far (only what the answer chose to read). */
  bytes: number;
  /** The client closed the connection before the answer ended. */
  clientClosed: boolean;
  /** Settles when the connection closes. */
  readonly closed: Promise<void>;
}

/** Answers one request; `seen` is updated as the body is read through {@link readAll}. */
export type BuildAnswer = (req: IncomingMessage, res: ServerResponse, seen: SeenBuild) => void | Promise<void>;

export interface FakeBuildEngine {
  readonly docker: Docker;
  readonly requests: SeenBuild[];
  /** Resolves with the n-th request (0-based) once it has arrived. */
  request(n: number): Promise<SeenBuild>;
}

/** Starts the fake engine; it and its client are closed at teardown. */
export async function fakeBuildEngine(t: Teardown, answer: BuildAnswer): Promise<FakeBuildEngine> {
  const socketPath = join(shortTempDir(t, 'bbe'), 'engine.sock');
  const requests: SeenBuild[] = [];
  const waiters: Array<() => void> = [];
  const server = createServer((req, res) => {
    let onClose: () => void = () => undefined;
    const closed = new Promise<void>((resolve) => { onClose = resolve; });
    const seen: SeenBuild = {
      method: req.method ?? '', url: new URL(req.url ?? '/', 'http://engine'), headers: req.headers,
      bytes: 0, clientClosed: false, closed,
    };
    res.on('close', () => {
      if (!res.writableFinished) seen.clientClosed = true;
      onClose();
    });
    requests.push(seen);
    for (const w of waiters.splice(0)) w();
    Promise.resolve(answer(req, res, seen)).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  const docker = new Docker({ host: `unix://${socketPath}`, env: {}, apiVersion: '1.41' });
  t.teardown(async () => {
    await docker.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    docker,
    requests,
    async request(n) {
      while (requests.length <= n) await new Promise<void>((resolve) => waiters.push(resolve));
      return requests[n] as SeenBuild;
    },
  };
}

/** Reads the whole request body, counting it; returns it when `keep` (else an empty buffer). */
export async function readAll(req: IncomingMessage, seen: SeenBuild, keep = false): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    seen.bytes += chunk.length;
    if (keep) chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Starts a 200 JSON stream as dockerd does. */
export function startStream(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json', 'api-version': '1.41', server: 'Docker/20.10.24 (linux)' });
  res.flushHeaders();
}

/** One progress message on its own line. */
export function line(message: Record<string, unknown>): string {
  return `${JSON.stringify(message)}\r\n`;
}

/** Answers with an error status and `{"message"}`, then drops the connection without reading the rest of the body. */
export function refuse(res: ServerResponse, status: number, message: string): void {
  const body = `${JSON.stringify({ message })}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), connection: 'close' });
  res.end(body, () => res.socket?.destroy());
}
