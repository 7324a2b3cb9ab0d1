import type { Clock } from './clock.js';
import { TimerSlot } from './timer-slot.js';

/**
 * Backoff after failed starts (Buildbot's worker quarantine): after a
 * failure no start is accepted for the current timeout; each further
 * failure doubles it, up to the maximum; a successful build brings it back
 * to the initial timeout. A failure during a quarantine does not extend it.
 */
export class Quarantine {
  private readonly clock: Clock;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly onEnd: () => void;
  private readonly timer: TimerSlot;
  private nextMs: number;
  private endsAt: number | undefined;

  /**
   * @param initialMs the first quarantine's length
   * @param maxMs the longest quarantine
   * @param onEnd called when a quarantine ends by itself
   */
  constructor(clock: Clock, initialMs: number, maxMs: number, onEnd: () => void) {
    this.clock = clock;
    this.initialMs = initialMs;
    this.maxMs = Math.max(maxMs, initialMs);
    this.onEnd = onEnd;
    this.timer = new TimerSlot(clock);
    this.nextMs = initialMs;
  }

  /** True while starts are refused. */
  get active(): boolean {
    return this.endsAt !== undefined;
  }

  /** When the current quarantine ends (clock time), or undefined. */
  get until(): number | undefined {
    return this.endsAt;
  }

  /** The length of the next quarantine, in milliseconds. */
  get nextTimeoutMs(): number {
    return this.nextMs;
  }

  /**
   * Enters quarantine after a failure. Returns its length in milliseconds,
   * or undefined when already in quarantine or when quarantines are off
   * (an initial timeout of 0).
   */
  enter(): number | undefined {
    if (this.endsAt !== undefined || this.nextMs <= 0) return undefined;
    const length = this.nextMs;
    this.endsAt = this.clock.now() + length;
    this.timer.arm(length, () => this.end(true));
    this.nextMs = Math.min(this.nextMs * 2, this.maxMs);
    return length;
  }

  /** Ends the current quarantine now (the length of the next one is kept). Returns true if one was active. */
  exit(): boolean {
    if (this.endsAt === undefined) return false;
    this.end(false);
    return true;
  }

  /** After a successful build: the next quarantine is the initial length again. */
  reset(): void {
    this.nextMs = this.initialMs;
  }

  /** Cancels the timer (for shutdown). */
  dispose(): void {
    this.timer.cancel();
    this.endsAt = undefined;
  }

  private end(notify: boolean): void {
    this.timer.cancel();
    this.endsAt = undefined;
    if (notify) this.onEnd();
  }
}
