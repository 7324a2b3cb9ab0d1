import { join } from 'node:path';
import type { Test } from 'tap';
import { Docker, DockerError, DockerTimeoutError, type DockerOptions } from '../../src/index.js';
import { ReplayServer, type Exchange, type Fixture, type FixtureFault, type SeenRequest } from '../../src/testing/index.js';
import { shortTempDir } from './tmp.js';

/**
 * Fault-injection tests: a replay engine that misbehaves on one exchange,
 * a client with a pool of one connection, and the checks every fault must
 * pass — a typed error, without waiting for a timeout unless the engine
 * stalled; the failed call's connection let go of; the next call served.
 */

/** How the client reaches the fake engine. Only TCP can be reset (RST); on a unix socket a reset is a close. */
export type Wire = 'unix' | 'tcp';
export const WIRES: readonly Wire[] = ['unix', 'tcp'];

/** The API version the fault fixtures speak (≥ 1.42: Content-Type says raw or multiplexed, no inspect needed). */
export const V = '1.45';

/**
 * How long a test waits for a call to settle before calling it a hang. It
 * is not a timing assertion: a working client settles in milliseconds, and
 * the clients' own timeouts (200 ms for stalls, a minute otherwise) are
 * what the tests are about.
 */
export const HANG_MS = 30_000;
/** The client's timeout for a stall: the fault must end in a DockerTimeoutError. */
export const STALL_TIMEOUT_MS = 200;
/** The client's timeout for every other fault: long, so that an error cannot have come from it. */
export const NO_TIMEOUT_MS = 60_000;

/** A promise that rejects when `p` has not settled within `ms`: proof that nothing hangs. */
export function deadline<T>(p: Promise<T>, what: string, ms = HANG_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms: it hangs`)), ms);
  });
  return Promise.race([p, expired]).finally(() => clearTimeout(timer));
}

/** The error `p` rejects with (undefined when it resolves), within the hang deadline. */
export async function failureOf(p: Promise<unknown>, what: string): Promise<unknown> {
  return deadline(p.then(() => undefined, (err: unknown) => err), what);
}

/** Reads an async iterable to its end; the error it ended with, and how many items came first. */
export async function drain(items: AsyncIterable<unknown>, what: string): Promise<{ count: number; error: unknown }> {
  let count = 0;
  const read = async (): Promise<void> => {
    for await (const item of items) {
      void item;
      count++;
    }
  };
  const error = await failureOf(read(), what);
  return { count, error };
}

export function fixture(exchanges: Exchange[]): Fixture {
  return { engine: 'synthetic', apiVersion: V, recordedAt: '', exchanges };
}

export const json = (statusCode: number, body: unknown): NonNullable<Exchange['response']> => ({
  statusCode, headers: { 'content-type': 'application/json' }, body,
});

/** A response body in chunks (faults cut or stall between them). */
export const chunked = (statusCode: number, contentType: string, chunks: ReadonlyArray<string | Buffer>): NonNullable<Exchange['response']> => ({
  statusCode, headers: { 'content-type': contentType }, chunks: chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c).toString('base64')),
});

/** `GET /info`, answered: the call that must still work after a fault. */
export const infoExchange = (): Exchange => ({ request: { method: 'GET', path: `/v${V}/info` }, response: json(200, { NCPU: 2, Name: 'after-the-fault' }) });

export interface FaultEngine {
  docker: Docker;
  server: ReplayServer;
}

/**
 * A replay engine on a unix socket or on TCP (127.0.0.1), and a client of
 * it pinned to {@link V} with one keep-alive connection for unary calls.
 * Both are closed at teardown.
 */
export async function faultEngine(t: Test, exchanges: Exchange[], wire: Wire, options: DockerOptions = {}): Promise<FaultEngine> {
  const listen = wire === 'unix' ? { socketPath: join(shortTempDir(t, 'bf'), 'engine.sock') } : { host: '127.0.0.1', port: 0 };
  const server = await ReplayServer.start(fixture(exchanges), { listen });
  // an idle keep-alive connection is closed after 100 ms, so that a test sees a freed connection close soon
  const docker = new Docker({ host: server.url, env: {}, apiVersion: V, connections: 1, keepAliveTimeout: 100, ...options });
  t.teardown(async () => {
    await docker.close();
    await server.close();
  });
  return { docker, server };
}

/** The request the server answered with exchange `index`. */
export function seenFor(t: Test, server: ReplayServer, index: number): SeenRequest {
  const seen = server.requests.find((r) => r.exchange === index);
  if (!seen) throw new Error(`exchange #${index} was never asked for`);
  t.ok(seen.connection > 0, `exchange #${index} came on connection ${seen.connection}`);
  return seen;
}

/** What a fault must end in. */
export interface Expected {
  error: abstract new (...args: never[]) => Error;
  message: RegExp;
}

/** Whether a fault can only end by the client's timeout (the engine goes silent). */
export function stalls(fault: FixtureFault): boolean {
  return fault.kind === 'stall' || fault.kind === 'stall-mid-body';
}

/**
 * The checks of a failed call: a typed error of the expected class and
 * message; a timeout error only when the engine went silent.
 */
export function checkError(t: Test, err: unknown, fault: FixtureFault, expected: Expected): void {
  t.type(err, DockerError, 'a typed error (a DockerError)');
  t.type(err, expected.error, `a ${expected.error.name}`);
  const message = err instanceof Error ? err.message : String(err);
  t.match(message, expected.message, 'its message says what happened');
  t.comment(`${err instanceof Error ? err.constructor.name : typeof err}: ${message}`);
  if (stalls(fault)) t.type(err, DockerTimeoutError, 'a silent engine is given up on by the client\'s timeout');
  else t.notOk(err instanceof DockerTimeoutError, 'failed at once: the client\'s (minute-long) timeout played no part');
}

/** Resolves once `done()` holds, checking after every turn of the event loop; rejects at the hang deadline. */
export async function until(done: () => boolean, what: string): Promise<void> {
  const poll = async (): Promise<void> => {
    while (!done()) await new Promise<void>((resolve) => { setTimeout(resolve, 5); });
  };
  await deadline(poll(), what);
}

/** True when the client has no request in flight and no hijacked connection open. */
export function quiet(docker: Docker): boolean {
  const s = docker.transport.stats();
  return (s.unary?.running ?? 0) === 0 && (s.stream?.running ?? 0) === 0 && s.hijacked === 0;
}

/**
 * The failed call let go of its connection: the next call was served on
 * it, or the server saw it close (the client destroyed it), or it is idle
 * in the client's pool — the client has no request in flight, so an open
 * connection is a free keep-alive one, which its keep-alive time will
 * close. A socket held by a half-read answer keeps a request running and
 * fails all three.
 */
export async function checkFreed(t: Test, docker: Docker, server: ReplayServer, failed: SeenRequest, next: SeenRequest): Promise<void> {
  if (next.connection === failed.connection) {
    t.pass(`connection ${failed.connection} went back to the pool and served the next call`);
    return;
  }
  await until(() => !server.isOpen(failed.connection) || quiet(docker), `connection ${failed.connection} to be closed or idle`);
  if (!server.isOpen(failed.connection)) t.pass(`the server saw connection ${failed.connection} closed`);
  else t.pass(`connection ${failed.connection} is idle in the pool: nothing is in flight (${JSON.stringify(docker.transport.stats())})`);
}
