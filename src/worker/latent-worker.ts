import { EventEmitter } from 'node:events';
import type { Clock } from './clock.js';
import { ConfigProblems } from './config-problems.js';
import type { InstanceCheck } from './crash-check.js';
import type { InstanceInfo, LatentWorkerEvent, LatentWorkerEventBody, LatentWorkerEvents } from './events.js';
import { latentWorkerSettings, type LatentWorkerOptions, type LatentWorkerSettings } from './latent-worker-options.js';
import { WorkerLifecycle } from './lifecycle.js';
import type { WorkerState } from './states.js';

/** Options of {@link LatentWorker.substantiate}. */
export interface SubstantiateOptions {
  /** Cancels this caller's wait; the start itself is cancelled when every waiter has cancelled. */
  signal?: AbortSignal;
}

/** What a finished build reports to {@link LatentWorker.buildFinished}. */
export interface BuildOutcome {
  /** True for a build that ran to a result other than EXCEPTION or RETRY: ends the quarantine backoff. */
  success?: boolean;
}

/**
 * A worker whose instance (a container, a VM) exists only while builds
 * need it: Buildbot's `AbstractLatentWorker` state machine, with its bugs
 * fixed. Subclasses make and remove instances; this class decides when.
 *
 * - `substantiate(build)` starts an instance (concurrent calls share one
 *   start) and resolves when the worker inside has connected (`attached()`).
 * - `buildStarted()` / `buildFinished()` drive the idle timer
 *   (`buildWaitTimeout`); `insubstantiate()` and `shutdown()` stop.
 * - Starts and stops never overlap; a failed start quarantines the worker
 *   (backoff); a start that never attaches times out (`missingTimeout`) or
 *   is found dead by `checkInstance()`.
 * - Every transition and step is reported on the `event` channel.
 *
 * The states and transitions are in `states.ts`. Errors are in `errors.ts`;
 * `substantiationOutcome(err)` maps them to Buildbot's RETRY / EXCEPTION / CANCELLED.
 */
export abstract class LatentWorker<Build = unknown> extends EventEmitter<LatentWorkerEvents> {
  /** The worker's name. */
  readonly name: string;
  /** The checked settings, durations in milliseconds. */
  protected readonly settings: LatentWorkerSettings;
  protected readonly clock: Clock;
  private readonly lifecycle: WorkerLifecycle<Build>;

  /**
   * @param options the worker's options
   * @param settings options already checked by `latentWorkerSettings()` (a subclass that checks its own,
   *   wider options passes them, with its own defaults); when absent, `options` are checked here
   * @throws WorkerConfigError listing every invalid option
   */
  constructor(options: LatentWorkerOptions, settings?: LatentWorkerSettings) {
    super();
    if (settings === undefined) {
      const problems = new ConfigProblems();
      settings = latentWorkerSettings(options, problems);
      problems.throwIfAny(String(options.name));
    }
    this.settings = settings;
    this.name = settings.name;
    this.clock = settings.clock;
    this.lifecycle = new WorkerLifecycle<Build>(settings, {
      startInstance: (build, signal) => this.startInstance(build, signal),
      stopInstance: (fast) => this.stopInstance(fast),
      checkInstance: () => this.checkInstance?.bind(this),
      renderCompatibilityKey: (build) => this.renderCompatibilityKey(build),
      isCompatibleWithBuild: (build) => this.isCompatibleWithBuild(build),
      report: (body) => this.report(body),
    });
  }

  /**
   * Makes an instance for `build` and resolves once it runs (it need not be
   * ready: readiness is `attached()`). Resolve with an {@link InstanceInfo}
   * (or `true`), or `false` to decline for now (a retryable failure). Throw
   * a `LatentWorkerCannotSubstantiate` when retrying cannot help; other
   * errors are retryable (a `DockerConfigError` is permanent). `signal`
   * aborts when the start is given up: stop working and return or throw
   * soon, as `stopInstance` runs only after this returns. `stopInstance` is
   * called after every call of this method, whatever its outcome.
   */
  protected abstract startInstance(build: Build | undefined, signal: AbortSignal): Promise<boolean | InstanceInfo>;

  /**
   * Removes the instance made by the last `startInstance`, or whatever part
   * of it exists (it may have failed half-way, or made nothing). Errors are
   * reported as `stop-error` events and do not block the worker.
   * `fast`: no graceful wait.
   */
  protected abstract stopInstance(fast: boolean): Promise<void>;

  /** Optional crash check, polled every `checkInstanceInterval` between start and attach. A throw counts as a failed check. */
  protected checkInstance?(): Promise<InstanceCheck>;

  /**
   * The options that shape an instance, rendered for `build`; builds whose
   * renderings differ cannot share an instance. Default: every build is
   * compatible.
   */
  protected renderCompatibilityKey(build: Build | undefined): unknown {
    void build;
    return undefined;
  }

  /** The current state. */
  get state(): WorkerState {
    return this.lifecycle.state;
  }

  /** True when substantiated and the worker inside is connected. */
  get isSubstantiated(): boolean {
    return this.lifecycle.state === 'SUBSTANTIATED' && this.lifecycle.connected;
  }

  /** True while the worker inside is connected. */
  get connected(): boolean {
    return this.lifecycle.connected;
  }

  /** The instance `startInstance` described, while it runs. */
  get instance(): InstanceInfo | undefined {
    return this.lifecycle.instance;
  }

  /** Builds running now. */
  get runningBuilds(): number {
    return this.lifecycle.runningBuilds;
  }

  /** True while starts are refused after a failed start. */
  get isQuarantined(): boolean {
    return this.lifecycle.quarantineEndsAt !== undefined;
  }

  /** When the quarantine ends (clock time in ms), or undefined. */
  get quarantineEndsAt(): number | undefined {
    return this.lifecycle.quarantineEndsAt;
  }

  /** Ends the quarantine now (the next one keeps its doubled length). */
  exitQuarantine(): void {
    this.lifecycle.exitQuarantine();
  }

  /**
   * Resolves `true` once an instance runs and its worker attached, starting
   * one if needed. Joins a start in flight; waits for a stop in progress and
   * then starts. Rejects with a typed error: retryable
   * (`LatentWorkerFailedToSubstantiate` and its subclasses: declined,
   * crashed, missing timeout, quarantined, shut down, incompatible build),
   * permanent (`LatentWorkerCannotSubstantiate`) or cancelled
   * (`LatentWorkerCancelledError`, when `signal` aborts).
   */
  substantiate(build?: Build, options: SubstantiateOptions = {}): Promise<true> {
    return this.lifecycle.substantiate(build, options.signal);
  }

  /** True when `build` may use the instance that runs or is starting (always true when none does). */
  isCompatibleWithBuild(build: Build | undefined): Promise<boolean> {
    return this.lifecycle.compatibleByRendering(build);
  }

  /**
   * The worker inside connected. Accepted while starting (the start
   * completes once `startInstance` has returned too), and, with
   * `buildWaitTimeout < 0`, as a reconnect of the running instance.
   * @throws LatentWorkerAttachRefusedError otherwise: drop the connection
   */
  attached(): void {
    this.lifecycle.attached();
  }

  /**
   * The worker inside lost its connection. A substantiated worker is then
   * stopped, unless `buildWaitTimeout < 0` (it may reconnect; a later
   * `substantiate()` restarts it if it has not).
   */
  detached(): void {
    this.lifecycle.detached();
  }

  /**
   * A build started on the instance: cancels the idle timer.
   * @throws LatentWorkerStateError when not substantiated, or already running `maxBuilds` builds
   */
  buildStarted(): void {
    this.lifecycle.buildStarted();
  }

  /** A build finished: when none runs any more, the idle rule of `buildWaitTimeout` applies. `success` resets the quarantine backoff. */
  buildFinished(outcome: BuildOutcome = {}): void {
    this.lifecycle.buildFinished(outcome);
  }

  /**
   * Stops the instance: cancels a start in flight (its waiters get a
   * retryable error), waits for a stop in progress. Resolves when the stop
   * is over; a failing `stopInstance` is reported, not thrown.
   */
  insubstantiate(fast = false): Promise<void> {
    return this.lifecycle.insubstantiate(fast);
  }

  /**
   * Stops for good: cancels a start in flight (waiters get a retryable
   * `LatentWorkerShutDownError`), waits for starts and stops in progress,
   * stops the instance even with `buildWaitTimeout < 0`, then refuses every
   * later `substantiate()`.
   */
  shutdown(): Promise<void> {
    return this.lifecycle.shutdown();
  }

  /** Reports a step of a start or stop (pull, build, create…) on the `event` channel. */
  protected reportStep(step: string, durationMs: number, detail?: Readonly<Record<string, string | number | boolean>>): void {
    this.report(detail === undefined ? { type: 'step', step, durationMs } : { type: 'step', step, durationMs, detail });
  }

  /** Reports a line of the instance's output (startup logs) on the `event` channel. */
  protected reportOutput(stream: 'stdout' | 'stderr', line: string): void {
    this.report({ type: 'output', stream, line });
  }

  /** Reports a line of progress of a step (a build's output, a pull's status) on the `event` channel. */
  protected reportProgress(step: string, line: string): void {
    this.report({ type: 'progress', step, line });
  }

  /**
   * Tells the worker its instance may have died before attaching (its exit
   * was seen): the crash check runs now instead of at its next interval,
   * even when polling is off. Ignored unless a started instance is waiting
   * to attach.
   */
  protected checkInstanceSoon(): void {
    this.lifecycle.checkSoon();
  }

  /** @internal Broken invariants of the current state (empty when all hold); for tests. */
  invariantViolations(): string[] {
    return this.lifecycle.invariantViolations();
  }

  /** Emits an event; a throwing listener is re-thrown on its own tick so it cannot corrupt the state machine. */
  private report(body: LatentWorkerEventBody): void {
    const event = { ...body, worker: this.name, at: this.clock.now() } as LatentWorkerEvent;
    try {
      this.emit('event', event);
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }
}
