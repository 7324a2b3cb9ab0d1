import { LatentWorkerCancelledError } from './errors.js';

interface Waiter {
  resolve(value: true): void;
  reject(error: Error): void;
  /** Removes the waiter's abort listener. */
  detach(): void;
}

/**
 * One attempt to substantiate: the build it starts for, the callers waiting
 * on it (concurrent `substantiate()` calls share one attempt), and the
 * signal handed to `startInstance`. An attempt settles exactly once: every
 * waiter is resolved, or every waiter is rejected and the signal aborts.
 */
export class StartAttempt<Build> {
  readonly build: Build | undefined;
  /** Clock time of the request that began the attempt. */
  readonly requestedAt: number;
  private readonly controller = new AbortController();
  private readonly waiters = new Set<Waiter>();
  private readonly workerName: string;
  private readonly onAllCancelled: (error: LatentWorkerCancelledError) => void;
  private done = false;
  /** `startInstance` was called for this attempt. */
  startCalled = false;
  /** `startInstance` returned an instance. */
  startReturned = false;
  /** `attached()` came while `startInstance` still ran. */
  attachedEarly = false;

  /**
   * @param onAllCancelled called when the last waiter cancels through its
   *   signal (waiters without a signal keep the attempt alive)
   */
  constructor(workerName: string, build: Build | undefined, requestedAt: number,
    onAllCancelled: (error: LatentWorkerCancelledError) => void) {
    this.workerName = workerName;
    this.build = build;
    this.requestedAt = requestedAt;
    this.onAllCancelled = onAllCancelled;
  }

  /** The signal `startInstance` gets: aborted when the attempt fails or is cancelled. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True once resolved or rejected. */
  get settled(): boolean {
    return this.done;
  }

  /** Callers still waiting. */
  get waiting(): number {
    return this.waiters.size;
  }

  /** Adds a waiter; `signal` cancels this waiter alone (and the attempt when it was the last one). */
  join(signal: AbortSignal | undefined): Promise<true> {
    return new Promise<true>((resolve, reject) => {
      const onAbort = (): void => {
        if (!this.waiters.delete(waiter)) return;
        const error = new LatentWorkerCancelledError(this.workerName, signal?.reason);
        reject(error);
        if (this.waiters.size === 0 && !this.done) this.onAllCancelled(error);
      };
      const waiter: Waiter = {
        resolve, reject,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      this.waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Resolves every waiter; returns how many there were. */
  resolve(): number {
    const n = this.waiters.size;
    this.finish((w) => w.resolve(true));
    return n;
  }

  /** Rejects every waiter with `error` and aborts the start's signal with it. */
  reject(error: Error): void {
    this.finish((w) => w.reject(error));
    this.controller.abort(error);
  }

  private finish(each: (w: Waiter) => void): void {
    if (this.done) return;
    this.done = true;
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const w of waiters) {
      w.detach();
      each(w);
    }
  }
}
