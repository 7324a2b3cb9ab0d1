import { DockerAbortError, DockerArgumentError, DockerError } from '../errors.js';
import type { DecodedStream } from '../streams/source.js';
import type { BuildEvent, BuildEventDecoder } from './build-events.js';

/**
 * A build in progress: both an `AsyncIterable` of its {@link BuildEvent}s and
 * awaitable for its {@link BuildResult}. There is one response stream
 * underneath; iterating and awaiting share it.
 */

/** What a successful build produced. */
export interface BuildResult {
  /**
   * The image: `sha256:<64 hex>` from the engine's `aux.ID` (or a quiet
   * build's id line); only an engine that reports neither gives the short
   * id of its `Successfully built <id>` line. Either form is a valid
   * image reference.
   */
  readonly id: string;
  /** The tags asked for (`tag`): the engine applied them all, or the build failed. */
  readonly tags: readonly string[];
  /** The last lines of output (`logLines`, default 100), oldest first. */
  readonly log: readonly string[];
}

/** @internal What the request produced: the decoded response and its decoder. */
export interface OpenedBuild {
  readonly events: DecodedStream<BuildEvent>;
  readonly decoder: BuildEventDecoder;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/**
 * A build started by `docker.images.build()`. The request starts at once.
 *
 * ```ts
 * const build = docker.images.build({ context: './app', tag: 'app:1' });
 * for await (const event of build) if (event.type === 'output') console.log(event.line);
 * const { id } = await build;              // or: await build.done()
 * ```
 *
 * - **Iterate** to get events at your pace: the response is read only as
 *   fast as you take them. Take the iterator before awaiting the build, or
 *   in the same tick: events are read once and not replayed to an iterator
 *   that comes later. Leaving the loop early (`break`, an exception)
 *   cancels the build: the connection is closed, the engine stops the
 *   build, and the result rejects with a {@link DockerAbortError}.
 * - **Await** (`await build`, `build.done()`) for the result: without an
 *   iterator the build reads its own response. It rejects with the HTTP
 *   error when the engine refused the build (even while the context was
 *   still uploading), a {@link DockerStreamError} for an in-band error
 *   (`errorCode` is a failed `RUN`'s exit status, `transcript` the last
 *   lines), a {@link DockerAbortError} when the signal aborts, a
 *   {@link DockerArgumentError} for a context that cannot be sent, or a
 *   {@link DockerProtocolError} when the stream ends without saying what it built.
 *
 * Await it or iterate it: a build nobody reads stalls once the engine's
 * output fills the connection's buffers.
 */
export class ImageBuild implements AsyncIterable<BuildEvent>, PromiseLike<BuildResult> {
  private readonly opening: Promise<OpenedBuild>;
  private readonly result: Promise<BuildResult>;
  private readonly tags: readonly string[];
  private readonly onProgress: ((event: BuildEvent) => void) | undefined;
  private readonly cancelRequest: (reason: DockerAbortError) => void;
  private resolveResult: (result: BuildResult) => void = () => undefined;
  private rejectResult: (err: unknown) => void = () => undefined;
  private mode: 'idle' | 'iterating' | 'reading' = 'idle';
  private readScheduled = false;
  private finished = false;
  private failure: { error: unknown; reported: boolean } | undefined;
  private opened: OpenedBuild | undefined;
  /** Pulls are served one at a time, in order. */
  private queue: Promise<unknown> = Promise.resolve();

  /** @internal Use `docker.images.build()`. */
  constructor(open: Promise<OpenedBuild>, details: {
    tags: readonly string[];
    onProgress?: ((event: BuildEvent) => void) | undefined;
    cancel: (reason: DockerAbortError) => void;
  }) {
    this.tags = Object.freeze([...details.tags]);
    this.onProgress = details.onProgress;
    this.cancelRequest = details.cancel;
    this.result = new Promise<BuildResult>((resolve, reject) => {
      this.resolveResult = resolve;
      this.rejectResult = reject;
    });
    this.result.catch(() => undefined); // reported to whoever awaits; never unhandled
    this.opening = open;
    open.then((opened) => {
      this.opened = opened;
      if (this.finished) void opened.events.return();
    }, (err: unknown) => this.fail(err));
  }

  /** The result: resolves when the build succeeded, rejects when it failed (see the class). */
  done(): Promise<BuildResult> {
    if (this.mode === 'idle' && !this.readScheduled) {
      this.readScheduled = true;
      // an iterator taken in the same tick still gets every event
      setImmediate(() => {
        if (this.mode !== 'idle') return;
        this.mode = 'reading';
        void this.readAll();
      });
    }
    return this.result;
  }

  then<A = BuildResult, B = never>(
    onFulfilled?: ((value: BuildResult) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.done().then(onFulfilled, onRejected);
  }

  /** The build's events, once; see the class for what leaving early does. */
  [Symbol.asyncIterator](): AsyncIterableIterator<BuildEvent> {
    if (this.mode === 'iterating') throw new DockerArgumentError('this build is already being iterated: a build can be iterated once');
    if (this.mode === 'reading') {
      throw new DockerArgumentError('this build is already being read by done() or await: take its iterator first, or in the same tick');
    }
    this.mode = 'iterating';
    const iterator: AsyncIterableIterator<BuildEvent> = {
      next: () => this.pull(),
      return: () => {
        if (!this.finished) this.cancel('the iteration of the build stopped early');
        return Promise.resolve(DONE);
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Cancels the build: closes the request; the result rejects with a {@link DockerAbortError}. */
  private cancel(why: string): void {
    const reason = new DockerAbortError(why);
    this.cancelRequest(reason);
    this.fail(reason);
  }

  private async readAll(): Promise<void> {
    while (!this.finished) {
      try {
        if ((await this.pull()).done === true) return;
      } catch {
        return; // the result carries it
      }
    }
  }

  private pull(): Promise<IteratorResult<BuildEvent, undefined>> {
    const next = this.queue.then(() => this.step());
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async step(): Promise<IteratorResult<BuildEvent, undefined>> {
    if (this.finished) return this.afterEnd();
    let opened: OpenedBuild;
    try {
      opened = await this.opening;
    } catch {
      return this.afterEnd();
    }
    let r: IteratorResult<BuildEvent, undefined>;
    try {
      r = await opened.events.next();
    } catch (err) {
      this.fail(err);
      return this.afterEnd();
    }
    if (this.finished) return this.afterEnd();
    if (r.done === true) {
      try {
        const id = opened.decoder.finalId();
        this.finished = true;
        this.resolveResult({ id, tags: this.tags, log: Object.freeze(opened.decoder.lines()) });
      } catch (err) {
        this.fail(err);
        return this.afterEnd();
      }
      return DONE;
    }
    if (this.onProgress !== undefined) {
      try {
        this.onProgress(r.value);
      } catch (err) {
        this.fail(err instanceof DockerError ? err : new DockerError(`build: onProgress threw: ${err instanceof Error ? err.message : String(err)}`, 'ERR_DOCKER', { cause: err }));
        return this.afterEnd();
      }
    }
    return r;
  }

  /** After the end: a failure is reported once to the iterator, then it is done. */
  private afterEnd(): IteratorResult<BuildEvent, undefined> {
    const failure = this.failure;
    if (failure !== undefined && !failure.reported) {
      failure.reported = true;
      throw failure.error;
    }
    return DONE;
  }

  private fail(err: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.failure = { error: err, reported: false };
    this.rejectResult(err);
    if (this.opened !== undefined) void this.opened.events.return();
  }
}
