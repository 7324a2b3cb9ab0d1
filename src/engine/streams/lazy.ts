import { abortError } from '../errors.js';
import { DecodedStream } from './source.js';

/**
 * A stream that sends its request only when the consumer first asks for an
 * item: `for await (const f of docker.containers.logs(id))` needs no
 * `await` before the loop, and a stream nobody reads costs nothing. Errors
 * of the request itself (404, a refused connection) surface from the first
 * `next()`. `break` (or `return()`) before or while the request is in
 * flight cancels it; afterwards it destroys the response.
 */

/** Opens the underlying stream; `signal` aborts when the caller's signal does or the consumer gives up. */
export type StreamOpener<T> = (signal: AbortSignal) => Promise<AsyncIterator<T, unknown>>;

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/** Whether a source is a {@link DecodedStream}, whose results need no settling. */
function isDecoded<T>(source: AsyncIterator<T, unknown>): source is DecodedStream<T> {
  return source instanceof DecodedStream;
}

/** An async iterator whose source is opened on the first `next()`. */
export class LazyStream<T> implements AsyncIterableIterator<T, undefined> {
  private readonly opener: StreamOpener<T>;
  private readonly signal: AbortSignal | undefined;
  private readonly controller = new AbortController();
  private opening: Promise<AsyncIterator<T, unknown>> | undefined;
  private source: AsyncIterator<T, unknown> | undefined;
  private finished = false;
  /** `next()` calls waiting for the opening; later calls queue behind them. */
  private awaitingOpen = 0;

  /** `signal` is the caller's: it aborts the opening request and the stream (a `DockerAbortError`). */
  constructor(opener: StreamOpener<T>, signal?: AbortSignal) {
    this.opener = opener;
    this.signal = signal;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Whether the request has been sent (the first `next()` was called). */
  get started(): boolean {
    return this.opening !== undefined;
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.finished) return Promise.resolve(DONE);
    const source = this.source;
    // calls made while the opening was awaited go first, in order
    if (source === undefined || this.awaitingOpen > 0) return this.openAndNext();
    // a decoded stream's results are already this stream's (its end is DONE, and final): handed on as they are
    if (isDecoded(source)) return source.next();
    // once open, an item costs one step of the source: no turn for the opening, no result object of its own
    let pending: Promise<IteratorResult<T, unknown>>;
    try {
      pending = source.next();
    } catch (err) {
      this.finished = true;
      return Promise.reject(err);
    }
    return pending.then(this.settle, this.fail);
  }

  /** The first item: sends the request, then reads. */
  private async openAndNext(): Promise<IteratorResult<T, undefined>> {
    let source: AsyncIterator<T, unknown>;
    this.awaitingOpen++;
    try {
      source = await this.open();
    } catch (err) {
      this.finished = true;
      throw err;
    } finally {
      this.awaitingOpen--;
    }
    if (this.finished) return DONE; // return() was called while the request was in flight
    let result: IteratorResult<T, unknown>;
    try {
      result = await source.next();
    } catch (err) {
      this.finished = true;
      throw err;
    }
    return this.settle(result);
  }

  /** A step of the source as this stream's result: its end (whatever value it carries) is `DONE`, and final. */
  private readonly settle = (result: IteratorResult<T, unknown>): IteratorResult<T, undefined> => {
    if (result.done === true) {
      this.finished = true;
      return DONE;
    }
    return result;
  };

  private readonly fail = (err: unknown): never => {
    this.finished = true;
    throw err;
  };

  /** Stops: cancels the request if it is in flight, destroys the response if it arrived. */
  async return(): Promise<IteratorResult<T, undefined>> {
    if (this.finished && this.source === undefined) return DONE;
    this.finished = true;
    const source = this.source;
    this.source = undefined;
    if (source) {
      await source.return?.();
    } else if (this.opening) {
      this.controller.abort(new Error('the consumer stopped reading'));
      // the request fails with the abort, or its stream arrived just before: release it
      await this.opening.then((late) => late.return?.(), () => undefined);
    }
    return DONE;
  }

  private open(): Promise<AsyncIterator<T, unknown>> {
    if (this.opening === undefined) {
      const signal = this.signal;
      if (signal?.aborted) return Promise.reject(abortError(signal));
      const combined = signal ? AbortSignal.any([signal, this.controller.signal]) : this.controller.signal;
      this.opening = this.opener(combined).then((source) => {
        if (!this.finished) this.source = source;
        return source;
      });
      this.opening.catch(() => undefined); // reported through next()
    }
    return this.opening;
  }
}
