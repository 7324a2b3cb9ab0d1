import { Buffer } from 'node:buffer';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { abortError } from './errors.js';

/**
 * A whole response read into memory by an undici dispatch handler, for the
 * calls whose answer is a small JSON document, a word or nothing (inspect,
 * create, start, list, ping: nearly every call).
 *
 * undici's `request()` hands out every body as a Readable stream, made
 * through an async resource, and reading it takes listeners, events and a
 * tick for its end. A handler that keeps the chunks as they come does none
 * of that: at a few tens of microseconds per request that was a tenth of
 * the client's cost of a ping. Streams (logs, events, pulls, builds) still
 * go through `request()`, where a body stream is what the caller wants.
 */

/** What a buffered exchange gave: the status, the headers, and up to `limit` bytes of the body. */
export interface BufferedExchange {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body, or its first `limit` bytes when {@link overflowed}. */
  readonly body: Buffer;
  /** The body was longer than the limit; the connection was dropped rather than read to the end. */
  readonly overflowed: boolean;
}

/** How much of a body to keep, chosen once the status is known. */
export type BodyLimit = (statusCode: number) => number;

/**
 * Dispatches one request and reads its whole response. Resolves with the
 * exchange, or rejects with undici's error, or the signal's reason once it
 * aborts, for the caller to map. A body longer than the
 * limit the status is given is cut there, and the connection dropped.
 */
export function exchange(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  signal: AbortSignal | undefined,
  limitFor: BodyLimit,
): Promise<BufferedExchange> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const handler = new CollectingHandler(resolve, reject, signal, limitFor, options.body);
    try {
      dispatcher.dispatch(options, handler);
    } catch (err) {
      handler.fail(err);
    }
  });
}

type RequestBody = Dispatcher.DispatchOptions['body'];

class CollectingHandler implements Dispatcher.DispatchHandler {
  private readonly resolve: (exchange: BufferedExchange) => void;
  private readonly reject: (err: unknown) => void;
  private readonly signal: AbortSignal | undefined;
  private readonly limitFor: BodyLimit;
  private readonly requestBody: RequestBody;
  private controller: Dispatcher.DispatchController | undefined;
  private statusCode = 0;
  private headers: Readonly<Record<string, string | string[] | undefined>> = {};
  private limit = 0;
  private chunks: Buffer[] = [];
  private size = 0;
  private settled = false;
  private readonly onAbort: (() => void) | undefined;

  constructor(
    resolve: (exchange: BufferedExchange) => void,
    reject: (err: unknown) => void,
    signal: AbortSignal | undefined,
    limitFor: BodyLimit,
    requestBody: RequestBody,
  ) {
    this.resolve = resolve;
    this.reject = reject;
    this.signal = signal;
    this.limitFor = limitFor;
    this.requestBody = requestBody;
    if (signal !== undefined) {
      this.onAbort = () => {
        // a request still waiting for a connection is aborted when it gets one (onRequestStart)
        this.controller?.abort(abortError(signal));
        this.fail(signal.reason);
      };
      signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.settled) controller.abort(this.signal !== undefined ? abortError(this.signal) : new Error('request aborted'));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return; // 1xx: the final answer follows
    this.statusCode = statusCode;
    this.headers = headers;
    this.limit = this.limitFor(statusCode);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    const room = this.limit - this.size;
    if (chunk.length > room) {
      if (room > 0) this.chunks.push(chunk.subarray(0, room));
      this.size += Math.max(room, 0);
      this.finish(true);
      // the rest is not read: dropping the connection is cheaper than draining an unbounded body
      controller.abort(new Error('response body over its limit'));
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  onResponseEnd(): void {
    this.finish(false);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.fail(err);
  }

  /** Rejects, unless already settled; a request body stream is destroyed as undici's own handlers do. */
  fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.detach();
    const body = this.requestBody;
    if (body instanceof Readable && !body.destroyed) {
      body.on('error', () => undefined);
      body.destroy(err instanceof Error ? err : undefined);
    }
    this.reject(err);
  }

  private finish(overflowed: boolean): void {
    if (this.settled) return;
    this.settled = true;
    this.detach();
    const chunks = this.chunks;
    this.chunks = [];
    const body = chunks.length === 1 ? chunks[0] as Buffer : Buffer.concat(chunks, this.size);
    this.resolve({ statusCode: this.statusCode, headers: this.headers, body, overflowed });
  }

  private detach(): void {
    if (this.onAbort !== undefined) this.signal?.removeEventListener('abort', this.onAbort);
  }
}
