import type { Clock, TimerHandle } from './clock.js';

/**
 * One named timer of the state machine (missing, crash check, idle,
 * quarantine): arming replaces whatever was armed, so a slot never holds
 * two timers, and a fired or cancelled timer leaves the slot empty.
 */
export class TimerSlot {
  private readonly clock: Clock;
  private handle: TimerHandle | undefined;
  private dueAt: number | undefined;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** Arms the slot: `fn` runs once after `ms` milliseconds, unless cancelled or re-armed first. */
  arm(ms: number, fn: () => void): void {
    this.cancel();
    const delay = Math.max(0, ms);
    this.dueAt = this.clock.now() + delay;
    const handle = this.clock.setTimeout(() => {
      if (this.handle !== handle) return;
      this.handle = undefined;
      this.dueAt = undefined;
      fn();
    }, delay);
    this.handle = handle;
  }

  /** Cancels the armed timer, if any. */
  cancel(): void {
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
    this.dueAt = undefined;
  }

  /** True while a timer is armed. */
  get armed(): boolean {
    return this.handle !== undefined;
  }

  /** When the armed timer fires (clock time), or undefined. */
  get due(): number | undefined {
    return this.dueAt;
  }
}
