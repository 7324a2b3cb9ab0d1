import { CompatibilityTracker } from './compatibility.js';
import { CrashCheck, type InstanceCheck } from './crash-check.js';
import {
  LatentWorkerAttachRefusedError, LatentWorkerCancelledError, LatentWorkerCannotSubstantiate, LatentWorkerCrashedError,
  LatentWorkerFailedToSubstantiate, LatentWorkerIncompatibleBuildError, LatentWorkerMissingTimeoutError,
  LatentWorkerQuarantinedError, LatentWorkerShutDownError, LatentWorkerStateError, asError, startFailure,
} from './errors.js';
import type { InstanceInfo, LatentWorkerEventBody } from './events.js';
import { IdleTimer } from './idle-timer.js';
import { workerInvariantViolations } from './invariants.js';
import type { LatentWorkerSettings } from './latent-worker-options.js';
import { Mutex } from './mutex.js';
import { Quarantine } from './quarantine.js';
import { StartAttempt } from './start-attempt.js';
import { hasStartAttempt, nextState, type WorkerEvent, type WorkerState } from './states.js';
import { TimerSlot } from './timer-slot.js';

/** What the lifecycle needs from its worker: the instance operations and the event sink. */
export interface LifecycleHooks<Build> {
  startInstance(build: Build | undefined, signal: AbortSignal): Promise<boolean | InstanceInfo>;
  stopInstance(fast: boolean): Promise<void>;
  /** The crash check, or undefined when the worker has none. */
  checkInstance(): (() => Promise<InstanceCheck>) | undefined;
  renderCompatibilityKey(build: Build | undefined): unknown;
  /** The worker's (possibly overridden) compatibility test. */
  isCompatibleWithBuild(build: Build | undefined): Promise<boolean>;
  report(body: LatentWorkerEventBody): void;
}

/**
 * The substantiation state machine behind {@link LatentWorker}: states and
 * transitions (through `states.ts` only), start attempts and their waiters,
 * the start/stop lock, and the missing, crash-check, idle and quarantine
 * timers. `LatentWorker` documents the behaviour; this class implements it.
 */
export class WorkerLifecycle<Build> {
  private readonly name: string;
  private readonly settings: LatentWorkerSettings;
  private readonly hooks: LifecycleHooks<Build>;
  private current: WorkerState = 'NOT_SUBSTANTIATED';
  private attempt: StartAttempt<Build> | undefined;
  private stopping: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private isConnected = false;
  private instanceInfo: InstanceInfo | undefined;
  private mustStop = false;
  private readonly lock = new Mutex();
  private readonly missingTimer: TimerSlot;
  private readonly crashCheck: CrashCheck;
  private readonly idle: IdleTimer;
  private readonly quarantine: Quarantine;
  private readonly compatibility: CompatibilityTracker<Build>;

  constructor(settings: LatentWorkerSettings, hooks: LifecycleHooks<Build>) {
    this.settings = settings;
    this.name = settings.name;
    this.hooks = hooks;
    const clock = settings.clock;
    this.missingTimer = new TimerSlot(clock);
    this.crashCheck = new CrashCheck(clock, settings.checkIntervalMs, () => hooks.checkInstance(), (durationMs, check) =>
      this.report(check.ok ? { type: 'check', durationMs, ok: true } : { type: 'check', durationMs, ok: false, reason: check.reason }));
    this.idle = new IdleTimer(clock, settings.buildWaitMs, settings.buildStartMs, () => this.onIdle());
    this.quarantine = new Quarantine(clock, settings.quarantineInitialMs, settings.quarantineMaxMs,
      () => this.report({ type: 'quarantine-end' }));
    this.compatibility = new CompatibilityTracker((build) => hooks.renderCompatibilityKey(build));
  }

  get state(): WorkerState {
    return this.current;
  }

  get connected(): boolean {
    return this.isConnected;
  }

  get instance(): InstanceInfo | undefined {
    return this.instanceInfo;
  }

  get runningBuilds(): number {
    return this.idle.running;
  }

  get quarantineEndsAt(): number | undefined {
    return this.quarantine.until;
  }

  exitQuarantine(): void {
    if (this.quarantine.exit()) this.report({ type: 'quarantine-end' });
  }

  /** The instance may have died before attaching: run the crash check now rather than at its interval. */
  checkSoon(): void {
    if (this.current === 'SUBSTANTIATING_STARTING' && this.attempt !== undefined) this.crashCheck.expedite();
  }

  /** The compatibility test by rendering (the default of `isCompatibleWithBuild`). */
  compatibleByRendering(build: Build | undefined): Promise<boolean> {
    return this.compatibility.isCompatible(build);
  }

  substantiate(build: Build | undefined, signal: AbortSignal | undefined): Promise<true> {
    return this.substantiateLoop(build, signal);
  }

  private async substantiateLoop(build: Build | undefined, signal: AbortSignal | undefined): Promise<true> {
    for (;;) {
      this.refuseIfClosed(signal);
      if (!this.joinable()) return this.beginAttempt(build, signal);
      const generation = this.compatibility.generation;
      let compatible: boolean;
      try {
        compatible = await this.hooks.isCompatibleWithBuild(build);
      } catch (err) {
        throw new LatentWorkerCannotSubstantiate(this.name, `the worker's options do not render for this build: ${asError(err).message}`, { cause: err });
      }
      if (generation !== this.compatibility.generation || !this.joinable()) continue;
      this.refuseIfClosed(signal);
      if (!compatible) throw new LatentWorkerIncompatibleBuildError(this.name);
      if (this.attempt === undefined) {
        this.idle.claim();
        return true;
      }
      return this.attempt.join(signal);
    }
  }

  attached(): void {
    const attempt = this.attempt;
    if (this.current === 'SUBSTANTIATING_STARTING' && attempt !== undefined) {
      this.report({ type: 'attached', reconnect: false });
      if (attempt.startReturned) this.complete(attempt);
      else attempt.attachedEarly = true;
      return;
    }
    if (this.current === 'SUBSTANTIATED' && this.settings.buildWaitMs < 0 && this.closing === undefined) {
      this.isConnected = true;
      this.report({ type: 'attached', reconnect: true });
      return;
    }
    const why = this.current === 'SUBSTANTIATED'
      ? 'it is already substantiated and reconnects are accepted only with buildWaitTimeout < 0'
      : `it is not starting an instance (state ${this.current})`;
    const error = new LatentWorkerAttachRefusedError(this.name, why);
    this.report({ type: 'attach-refused', error });
    throw error;
  }

  detached(): void {
    this.report({ type: 'detached', state: this.current });
    if (this.current === 'SUBSTANTIATING_STARTING' && this.attempt !== undefined) {
      this.attempt.attachedEarly = false;
      return;
    }
    if (this.current !== 'SUBSTANTIATED' || !this.isConnected) return;
    this.isConnected = false;
    if (this.settings.buildWaitMs >= 0) {
      this.report({ type: 'idle', reason: 'detached' });
      void this.insubstantiate();
    }
  }

  buildStarted(): void {
    if (this.current !== 'SUBSTANTIATED') {
      throw new LatentWorkerStateError(this.name, `buildStarted() in state ${this.current}: the worker is not substantiated`);
    }
    const max = this.settings.maxBuilds;
    if (max !== undefined && this.idle.running >= max) {
      throw new LatentWorkerStateError(this.name, `buildStarted(): already running ${max} build(s) (maxBuilds)`);
    }
    this.idle.buildStarted();
    this.report({ type: 'build-started', running: this.idle.running });
  }

  buildFinished(outcome: { readonly success?: boolean }): void {
    const success = outcome.success === true;
    this.idle.buildFinished();
    if (success) this.quarantine.reset();
    this.report({ type: 'build-finished', running: this.idle.running, success });
  }

  insubstantiate(fast = false): Promise<void> {
    return this.interrupt(() => new LatentWorkerFailedToSubstantiate(this.name,
      `worker "${this.name}" was insubstantiated while substantiating`, { code: 'ERR_WORKER_INTERRUPTED' }), fast);
  }

  shutdown(): Promise<void> {
    this.closing ??= this.close();
    return this.closing;
  }

  invariantViolations(): string[] {
    return workerInvariantViolations({
      state: this.current, attempt: this.attempt, stopping: this.stopping !== undefined, connected: this.isConnected,
      missingArmed: this.missingTimer.armed, missingEnabled: this.settings.missingMs !== undefined,
      checkArmed: this.crashCheck.armed, idleArmed: this.idle.due !== undefined,
    });
  }

  private joinable(): boolean {
    return (this.current === 'SUBSTANTIATED' && this.isConnected) || hasStartAttempt(this.current);
  }

  private refuseIfClosed(signal: AbortSignal | undefined): void {
    if (signal?.aborted) throw new LatentWorkerCancelledError(this.name, signal.reason);
    if (this.closing !== undefined || this.current === 'SHUT_DOWN') throw new LatentWorkerShutDownError(this.name);
  }

  private beginAttempt(build: Build | undefined, signal: AbortSignal | undefined): Promise<true> {
    const until = this.quarantine.until;
    if (until !== undefined) throw new LatentWorkerQuarantinedError(this.name, until, this.settings.clock.now());
    const from = this.current;
    const attempt = new StartAttempt<Build>(this.name, build, this.settings.clock.now(), (error) => this.fail(attempt, error, false));
    this.attempt = attempt;
    this.compatibility.start(build);
    const missingMs = this.settings.missingMs;
    if (missingMs !== undefined) {
      this.missingTimer.arm(missingMs, () => this.fail(attempt, new LatentWorkerMissingTimeoutError(this.name, missingMs), true));
    }
    const joined = attempt.join(signal);
    if (from === 'NOT_SUBSTANTIATED') {
      this.transition('request');
      void this.runStart(attempt);
    } else if (from === 'INSUBSTANTIATING') {
      this.transition('queue');
    } else {
      this.transition('restart');
      void this.beginStop(false);
    }
    return joined;
  }

  private async runStart(attempt: StartAttempt<Build>): Promise<void> {
    const release = await this.lock.acquire();
    if (attempt.settled || this.attempt !== attempt) {
      release();
      return;
    }
    this.transition('start');
    attempt.startCalled = true;
    this.mustStop = true;
    const startedAt = this.settings.clock.now();
    let result: boolean | InstanceInfo = false;
    let failure: Error | undefined;
    try {
      result = await this.hooks.startInstance(attempt.build, attempt.signal);
    } catch (err) {
      failure = startFailure(this.name, err);
    } finally {
      release();
    }
    const durationMs = this.settings.clock.now() - startedAt;
    if (failure === undefined && result === false) {
      failure = new LatentWorkerFailedToSubstantiate(this.name, `worker "${this.name}" does not want to substantiate at this time`,
        { code: 'ERR_WORKER_DECLINED' });
    }
    if (failure !== undefined) {
      this.report({ type: 'start-error', durationMs, error: failure });
      this.fail(attempt, failure, true);
      return;
    }
    const instance = result === true || result === false ? undefined : result;
    this.report({ type: 'start', durationMs, instance });
    if (attempt.settled) return; // given up while starting: the stop that follows removes it
    this.instanceInfo = instance;
    attempt.startReturned = true;
    if (attempt.attachedEarly) this.complete(attempt);
    else this.scheduleCheck(attempt);
  }

  private scheduleCheck(attempt: StartAttempt<Build>): void {
    this.crashCheck.schedule(() => !attempt.settled,
      (reason, cause) => this.fail(attempt, new LatentWorkerCrashedError(this.name, reason, { cause }), true));
  }

  private complete(attempt: StartAttempt<Build>): void {
    this.missingTimer.cancel();
    this.crashCheck.cancel();
    this.attempt = undefined;
    this.isConnected = true;
    this.transition('attach');
    const waiters = attempt.resolve();
    this.report({ type: 'substantiated', durationMs: this.settings.clock.now() - attempt.requestedAt, waiters });
    this.idle.substantiated(waiters);
  }

  /** Settles a failed or cancelled attempt and moves on: abandon, stop, or drop the queued start. */
  private fail(attempt: StartAttempt<Build>, error: Error, quarantine: boolean, fast = false): void {
    if (attempt.settled) return;
    this.missingTimer.cancel();
    this.crashCheck.cancel();
    if (this.attempt === attempt) this.attempt = undefined;
    attempt.reject(error);
    this.report({ type: 'substantiation-failed', durationMs: this.settings.clock.now() - attempt.requestedAt, error });
    if (quarantine) {
      const length = this.quarantine.enter();
      const until = this.quarantine.until;
      if (length !== undefined && until !== undefined) this.report({ type: 'quarantine', durationMs: length, until });
    }
    if (this.current === 'SUBSTANTIATING') {
      this.transition('abandon');
      this.compatibility.reset();
    } else if (this.current === 'SUBSTANTIATING_STARTING') {
      this.transition('insubstantiate');
      void this.beginStop(fast);
    } else if (this.current === 'INSUBSTANTIATING_SUBSTANTIATING') {
      this.transition('dequeue');
    }
  }

  private interrupt(makeError: () => Error, fast: boolean): Promise<void> {
    if (this.attempt !== undefined && hasStartAttempt(this.current)) this.fail(this.attempt, makeError(), false, fast);
    if (this.current === 'SUBSTANTIATED') {
      this.transition('insubstantiate');
      return this.beginStop(fast);
    }
    return this.stopping ?? Promise.resolve();
  }

  private beginStop(fast: boolean): Promise<void> {
    this.crashCheck.cancel();
    this.idle.reset();
    const run = this.runStop(fast);
    this.stopping = run;
    return run;
  }

  private async runStop(fast: boolean): Promise<void> {
    const release = await this.lock.acquire();
    const startedAt = this.settings.clock.now();
    try {
      if (this.mustStop) {
        this.mustStop = false;
        await this.hooks.stopInstance(fast);
        this.report({ type: 'stop', durationMs: this.settings.clock.now() - startedAt, fast });
      }
    } catch (err) {
      this.report({ type: 'stop-error', durationMs: this.settings.clock.now() - startedAt, error: asError(err) });
    } finally {
      release();
    }
    this.isConnected = false;
    this.instanceInfo = undefined;
    this.stopping = undefined;
    const queued = this.current === 'INSUBSTANTIATING_SUBSTANTIATING' ? this.attempt : undefined;
    this.transition('stopped');
    if (queued !== undefined) void this.runStart(queued);
    else this.compatibility.reset();
  }

  private async close(): Promise<void> {
    while (this.current !== 'NOT_SUBSTANTIATED') {
      const stop = this.interrupt(() => new LatentWorkerShutDownError(this.name), false);
      if (this.state !== 'NOT_SUBSTANTIATED' && this.stopping === undefined) {
        throw new LatentWorkerStateError(this.name, `shutdown() cannot make progress in state ${this.current}`);
      }
      await stop;
    }
    this.missingTimer.cancel();
    this.crashCheck.cancel();
    this.idle.reset();
    this.quarantine.dispose();
    this.transition('shutdown');
  }

  private onIdle(): void {
    if (this.current !== 'SUBSTANTIATED') return;
    this.report({ type: 'idle', reason: 'build-wait-timeout' });
    void this.insubstantiate();
  }

  private transition(event: WorkerEvent): void {
    const from = this.current;
    const to = nextState(from, event, this.name);
    this.current = to;
    this.report({ type: 'state', from, to, cause: event });
  }

  private report(body: LatentWorkerEventBody): void {
    this.hooks.report(body);
  }
}
