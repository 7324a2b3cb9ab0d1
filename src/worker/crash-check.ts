import type { Clock } from './clock.js';
import { asError } from './errors.js';
import { TimerSlot } from './timer-slot.js';

/** What a crash check reports: alive, or dead with a reason (for containers, the state and the last log lines). */
export type InstanceCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Polls a started instance that has not attached yet, one check at a time
 * (the next is armed only after the previous answered). A check that throws
 * counts as a failed one, its error kept as the cause.
 */
export class CrashCheck {
  private readonly timer: TimerSlot;
  private readonly clock: Clock;
  private readonly intervalMs: number | undefined;
  private readonly checkFor: () => (() => Promise<InstanceCheck>) | undefined;
  private readonly onResult: (durationMs: number, result: InstanceCheck) => void;
  private armedWith: { live: () => boolean; onDead: (reason: string, cause: unknown) => void } | undefined;
  private expedited = false;
  private running = false;

  /**
   * @param checkFor gives the check to run, or undefined when there is none (no polling); asked each time
   * @param onResult told of every answer that still matters
   */
  constructor(clock: Clock, intervalMs: number | undefined, checkFor: () => (() => Promise<InstanceCheck>) | undefined,
    onResult: (durationMs: number, result: InstanceCheck) => void) {
    this.clock = clock;
    this.timer = new TimerSlot(clock);
    this.intervalMs = intervalMs;
    this.checkFor = checkFor;
    this.onResult = onResult;
  }

  /** True while the next check is armed. */
  get armed(): boolean {
    return this.timer.armed;
  }

  /**
   * Arms the next check. `live()` says whether answers still matter;
   * `onDead` is told of a failed check. With polling off (no interval) only
   * an expedited check runs.
   */
  schedule(live: () => boolean, onDead: (reason: string, cause: unknown) => void): void {
    if (this.checkFor() === undefined) return;
    this.armedWith = { live, onDead };
    if (this.expedited) {
      this.expedited = false;
      void this.run(live, onDead);
      return;
    }
    if (this.intervalMs !== undefined) this.timer.arm(this.intervalMs, () => void this.run(live, onDead));
  }

  /**
   * The instance may have died (its exit was seen): check it now if a check
   * is armed or waiting for its interval, or else as soon as the next one is
   * scheduled, instead of after the interval.
   */
  expedite(): void {
    const armed = this.armedWith;
    if (armed !== undefined && !this.running && this.checkFor() !== undefined) {
      // at once, not through the clock: the exit was seen now
      this.timer.cancel();
      void this.run(armed.live, armed.onDead);
      return;
    }
    this.expedited = true;
  }

  /** Stops polling; an answer still on its way is then ignored by `live()`. */
  cancel(): void {
    this.timer.cancel();
    this.armedWith = undefined;
    this.expedited = false;
  }

  private async run(live: () => boolean, onDead: (reason: string, cause: unknown) => void): Promise<void> {
    const check = this.checkFor();
    if (check === undefined || !live()) return;
    this.armedWith = undefined;
    const startedAt = this.clock.now();
    let result: InstanceCheck;
    let cause: unknown;
    this.running = true;
    try {
      result = await check();
    } catch (err) {
      cause = err;
      result = { ok: false, reason: `the crash check failed: ${asError(err).message}` };
    } finally {
      this.running = false;
    }
    if (!live()) return;
    this.onResult(this.clock.now() - startedAt, result);
    if (result.ok) this.schedule(live, onDead);
    else onDead(result.reason, cause);
  }
}
