import type { Clock } from '../../worker/index.js';

/**
 * A clock whose timers run `factor` times faster than `base`'s, for a
 * replayed demo: the recorded engine answers at once, so waiting out the
 * workers' real idle timeouts would only make a person wait. Time read with
 * `now()` runs at the base rate, so durations stay true.
 */
export function scaledClock(base: Clock, factor: number): Clock {
  return {
    now: () => base.now(),
    setTimeout: (fn, ms) => base.setTimeout(fn, ms / factor),
    clearTimeout: (handle) => base.clearTimeout(handle),
  };
}
