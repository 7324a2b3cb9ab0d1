import { DockerAbortError, DockerArgumentError } from '../errors.js';
import type { ProgressMessage } from '../types/progress.js';
import { LazyStream, type StreamOpener } from './lazy.js';

/**
 * A long operation that reports progress (pull, push, import, load): both
 * an `AsyncIterable` of its messages and a promise of its result.
 *
 * ```ts
 * await docker.images.pull('alpine:3');                       // just the result
 * for await (const m of docker.images.pull('alpine:3')) …;    // every message
 * const op = docker.images.pull('alpine:3');
 * for await (const m of op) render(m);
 * const { digest } = await op;                                 // the result, after the loop
 * ```
 *
 * Nothing is sent until it is iterated or awaited. A message with an
 * in-band error rejects both the iteration and the result with a
 * `DockerStreamError`; the operation succeeded only when the stream ended
 * without one. Leaving the loop early (`break`) cancels the operation: the
 * connection is closed and the result rejects with a `DockerAbortError`.
 * The messages can be iterated once.
 */

/** Builds an operation's result from its messages. */
export interface ProgressSummary<R> {
  /** Sees every message, in order. */
  add(message: ProgressMessage): void;
  /** The result, once the stream ended without an error; may throw when the stream lacked what the result needs. */
  result(): R;
}

/** What {@link ProgressOperation} needs. */
export interface ProgressOperationOptions<R> {
  /** Sends the request and returns its decoded progress messages. */
  open: StreamOpener<ProgressMessage>;
  summary: ProgressSummary<R>;
  /** The caller's signal. */
  signal?: AbortSignal | undefined;
  /** Called with every message (also when iterating); an exception thrown here fails the operation. */
  onProgress?: ((message: ProgressMessage) => void) | undefined;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/** A progress stream and the result it ends with. */
export class ProgressOperation<R> implements AsyncIterable<ProgressMessage, undefined>, PromiseLike<R> {
  private readonly stream: LazyStream<ProgressMessage>;
  private readonly summary: ProgressSummary<R>;
  private readonly onProgress: ((message: ProgressMessage) => void) | undefined;
  private readonly outcome: Promise<R>;
  private resolveOutcome: (value: R) => void = () => undefined;
  private rejectOutcome: (err: unknown) => void = () => undefined;
  private settled = false;
  private claimed = false;

  constructor(options: ProgressOperationOptions<R>) {
    this.stream = new LazyStream(options.open, options.signal);
    this.summary = options.summary;
    this.onProgress = options.onProgress;
    this.outcome = new Promise<R>((resolve, reject) => {
      this.resolveOutcome = resolve;
      this.rejectOutcome = reject;
    });
    this.outcome.catch(() => undefined); // a caller that only iterates may never look at it
  }

  /** The messages, as they arrive. Once only. */
  [Symbol.asyncIterator](): AsyncIterator<ProgressMessage, undefined> {
    if (this.claimed) throw new DockerArgumentError('the progress messages of an operation can be read once (await it for the result)');
    this.claimed = true;
    return {
      next: () => this.step(),
      return: () => this.stop(),
    };
  }

  /** Reads the stream to its end (unless a loop is reading it) and resolves with the result. */
  then<A = R, B = never>(
    onfulfilled?: ((value: R) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.done().then(onfulfilled, onrejected);
  }

  /** Like `Promise.catch`, on the result. */
  catch<B = never>(onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<R | B> {
    return this.done().catch(onrejected);
  }

  /** Like `Promise.finally`, on the result. */
  finally(onfinally?: (() => void) | null): Promise<R> {
    return this.done().finally(onfinally);
  }

  /** The result: reads the stream to its end unless a loop is reading it. */
  done(): Promise<R> {
    if (!this.claimed) {
      this.claimed = true;
      void this.drain();
    }
    return this.outcome;
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        const r = await this.step();
        if (r.done === true) return;
      }
    } catch {
      // the outcome carries the error
    }
  }

  private async step(): Promise<IteratorResult<ProgressMessage, undefined>> {
    if (this.settled) return DONE;
    let r: IteratorResult<ProgressMessage, undefined>;
    try {
      r = await this.stream.next();
    } catch (err) {
      this.fail(err);
      throw err;
    }
    if (r.done === true) {
      try {
        this.succeed(this.summary.result());
      } catch (err) {
        this.fail(err);
        throw err;
      }
      return DONE;
    }
    try {
      this.summary.add(r.value);
      this.onProgress?.(r.value);
    } catch (err) {
      this.fail(err);
      await this.stream.return();
      throw err;
    }
    return r;
  }

  private async stop(): Promise<IteratorResult<ProgressMessage, undefined>> {
    this.fail(new DockerAbortError('the progress stream was closed before the operation ended'));
    await this.stream.return();
    return DONE;
  }

  private succeed(value: R): void {
    if (this.settled) return;
    this.settled = true;
    this.resolveOutcome(value);
  }

  private fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.rejectOutcome(err);
  }
}
