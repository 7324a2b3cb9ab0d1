import type { Clock } from './clock.js';
import { TimerSlot } from './timer-slot.js';

/**
 * When a substantiated worker counts as idle and is stopped.
 *
 * Buildbot's rule, kept: when the last running build finishes,
 * `buildWaitTimeout` 0 stops the worker on the next tick, > 0 arms a timer
 * that a new build cancels, < 0 never stops it.
 *
 * Buildbot's gap, closed: it arms nothing after a substantiation, so an
 * instance whose build never started (the build was cancelled between the
 * substantiation and its start) runs forever. Here every successful
 * `substantiate()` is a *claim*: a build is expected to start. Claims are
 * settled by `buildStarted()`; unsettled claims expire `buildStartTimeout`
 * after the latest one, and the worker then counts as if its last build had
 * just finished. The same claims keep a worker shared by several waiting
 * builds alive between the end of one and the start of the next, even with
 * `buildWaitTimeout` 0. With `buildStartTimeout` off, claims are not
 * tracked at all (Buildbot's behaviour).
 */
export class IdleTimer {
  private readonly timer: TimerSlot;
  private readonly clock: Clock;
  private readonly buildWaitMs: number;
  private readonly claimMs: number | undefined;
  private readonly onIdle: () => void;
  private active = false;
  private runningBuilds = 0;
  private openClaims = 0;
  private claimsExpireAt = 0;

  /**
   * @param buildWaitMs `buildWaitTimeout` in ms: 0, > 0, or < 0 (never)
   * @param claimMs `buildStartTimeout` in ms, or undefined when claims are not tracked
   * @param onIdle called when the worker should be stopped
   */
  constructor(clock: Clock, buildWaitMs: number, claimMs: number | undefined, onIdle: () => void) {
    this.clock = clock;
    this.timer = new TimerSlot(clock);
    this.buildWaitMs = buildWaitMs;
    this.claimMs = claimMs;
    this.onIdle = onIdle;
  }

  /** Builds now running. */
  get running(): number {
    return this.runningBuilds;
  }

  /** Claims not yet settled by a build start (0 when claims are not tracked). */
  get claims(): number {
    return this.openClaims;
  }

  /** When the armed timer fires (clock time), or undefined. */
  get due(): number | undefined {
    return this.timer.due;
  }

  /** The worker substantiated for `claims` waiting callers. */
  substantiated(claims: number): void {
    this.active = true;
    this.runningBuilds = 0;
    this.openClaims = 0;
    this.addClaims(claims);
    this.review(false);
  }

  /** A caller was told the substantiated worker is ready: a build is expected. */
  claim(): void {
    if (!this.active) return;
    this.addClaims(1);
    this.review(false);
  }

  /** A build started: settles a claim, cancels the timer. */
  buildStarted(): void {
    this.runningBuilds++;
    if (this.openClaims > 0) this.openClaims--;
    this.review(false);
  }

  /** A build finished. Returns false when no build was counted as running (a stale call). */
  buildFinished(): boolean {
    if (this.runningBuilds === 0) return false;
    this.runningBuilds--;
    this.review(true);
    return true;
  }

  /** The instance is gone: forget builds and claims, cancel the timer. */
  reset(): void {
    this.active = false;
    this.runningBuilds = 0;
    this.openClaims = 0;
    this.timer.cancel();
  }

  private addClaims(n: number): void {
    if (this.claimMs === undefined || n <= 0) return;
    this.openClaims += n;
    this.claimsExpireAt = this.clock.now() + this.claimMs;
  }

  private review(afterBuild: boolean): void {
    this.timer.cancel();
    if (!this.active || this.runningBuilds > 0) return;
    if (this.openClaims > 0) {
      this.timer.arm(this.claimsExpireAt - this.clock.now(), () => {
        this.openClaims = 0;
        this.review(true);
      });
      return;
    }
    // with claims tracked, an idle worker with no claim is idle whatever the trigger
    if (!afterBuild && this.claimMs === undefined) return;
    if (this.buildWaitMs < 0) return;
    this.timer.arm(this.buildWaitMs, () => {
      if (this.active && this.runningBuilds === 0) this.onIdle();
    });
  }
}
