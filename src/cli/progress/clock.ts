/** Time for the renderers: injected so tests run on a fake clock and never sleep. */
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Runs `fn` once after `ms`; returns a cancel function. */
  schedule(fn: () => void, ms: number): () => void;
}

/** The process clock. Timers are unref'd: a forgotten renderer never keeps the process alive. */
export const systemClock: Clock = {
  now: () => performance.now(),
  schedule(fn, ms) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};
