/**
 * Time as the worker sees it. Every timer of the state machine goes through
 * a {@link Clock}, so tests drive time with a {@link ManualClock} instead of
 * sleeping.
 */

declare const timerHandleBrand: unique symbol;

/** An opaque handle returned by {@link Clock.setTimeout}. */
export interface TimerHandle {
  readonly [timerHandleBrand]: true;
}

/** The source of time and timers the worker uses. */
export interface Clock {
  /** Milliseconds since some fixed origin (the epoch for {@link systemClock}). */
  now(): number;
  /**
   * Calls `fn` once, `ms` milliseconds from now. With `keepAlive`, a real
   * clock's timer keeps the process alive: work someone awaits (a retry, a
   * bounded wait), not a background timer (idle, missing, crash check).
   */
  setTimeout(fn: () => void, ms: number, options?: { keepAlive?: boolean }): TimerHandle;
  /** Cancels a timer; unknown or already fired handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/** The longest delay Node's `setTimeout` honours; longer delays fire at once. */
const MAX_NODE_DELAY = 2 ** 31 - 1;

interface SystemTimer {
  timeout: NodeJS.Timeout;
}

/**
 * The real clock: `Date.now()` and Node timers. Timers are unref'd unless
 * asked to keep the process alive: a worker's idle or missing timer never
 * keeps a process alive by itself (call `shutdown()` to stop instances
 * before exiting), while the pause before a removal is retried does — a
 * `shutdown()` awaited in a script must not see the process exit under it
 * with a container left. Delays longer than Node's limit (about 24.8 days)
 * are chained instead of firing at once.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms, options) {
    const timer: SystemTimer = { timeout: undefined as unknown as NodeJS.Timeout };
    const arm = (remaining: number): void => {
      const delay = Math.min(Math.max(remaining, 0), MAX_NODE_DELAY);
      timer.timeout = setTimeout(() => {
        if (remaining > MAX_NODE_DELAY) arm(remaining - MAX_NODE_DELAY);
        else fn();
      }, delay);
      if (options?.keepAlive !== true) timer.timeout.unref();
    };
    arm(ms);
    return timer as unknown as TimerHandle;
  },
  clearTimeout(handle) {
    clearTimeout((handle as unknown as SystemTimer).timeout);
  },
};

interface ManualTimer {
  readonly id: number;
  readonly due: number;
  readonly fn: () => void;
}

/** Lets every pending promise reaction run (microtasks drain before the next macrotask). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A clock that only moves when told to. `advance(ms)` runs the timers that
 * fall due, earliest first (ties in the order they were set), with the
 * clock showing each timer's due time while it runs, and lets pending
 * promise reactions run after each one; timers set by a timer run too if
 * they fall due within the advance.
 *
 * ```ts
 * const clock = new ManualClock();
 * const worker = new MyWorker({ name: 'w', clock });
 * await clock.advance(10_000);   // ten seconds pass, no sleeping
 * ```
 */
export class ManualClock implements Clock {
  private current: number;
  private nextId = 1;
  private readonly timers = new Map<number, ManualTimer>();

  /** @param start the initial time in milliseconds (default 0). */
  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { id, due: this.current + Math.max(0, ms), fn });
    return { id } as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete((handle as unknown as { id: number }).id);
  }

  /** How many timers are waiting. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** When the earliest waiting timer falls due, or undefined when none waits. */
  get nextDue(): number | undefined {
    return this.earliest(Number.POSITIVE_INFINITY)?.due;
  }

  /** Moves time forward by `ms`, running the timers that fall due (see the class). */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`advance(${ms}): time only moves forward`);
    const target = this.current + ms;
    await settle();
    for (let timer = this.earliest(target); timer; timer = this.earliest(target)) {
      this.timers.delete(timer.id);
      this.current = Math.max(this.current, timer.due);
      timer.fn();
      await settle();
    }
    this.current = target;
    await settle();
  }

  /** Lets pending promise reactions run without moving time. */
  flush(): Promise<void> {
    return this.advance(0);
  }

  private earliest(limit: number): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.timers.values()) {
      if (t.due <= limit && (best === undefined || t.due < best.due || (t.due === best.due && t.id < best.id))) best = t;
    }
    return best;
  }
}

/**
 * Resolves after `ms` milliseconds of `clock` time: `true` when the time
 * passed, `false` as soon as `signal` aborts (never rejects, so a caller
 * decides what an abort means). A real clock keeps the process alive meanwhile: someone awaits it.
 */
export function delay(clock: Clock, ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      resolve(false);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms, { keepAlive: true });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
