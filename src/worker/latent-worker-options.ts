import { systemClock, type Clock } from './clock.js';
import { ConfigProblems, describeType, secondsOption } from './config-problems.js';

/** Options of every latent worker. Durations are in seconds, as in Buildbot. */
export interface LatentWorkerOptions {
  /** The worker's name: what the worker inside logs in as (`WORKERNAME`). Required, non-empty, no whitespace. */
  name: string;
  /**
   * Seconds an idle substantiated worker is kept after its last build
   * finishes. `0`: stop right after the last build (soon, not inside
   * `buildFinished()`); `> 0`: an idle timer that a new build cancels;
   * `< 0`: never stopped except by `shutdown()`, and a dropped connection
   * may come back (`attached()` is accepted again). Default 600 (Buildbot's
   * base default; the Docker worker's default is 0).
   */
  buildWaitTimeout?: number;
  /**
   * Seconds a start may take until the worker inside attaches, counted from
   * the request (a wait behind a stop counts). When it passes, the start
   * fails with `LatentWorkerMissingTimeoutError` and the instance is
   * stopped. `0` or `null` waits forever. Default 3600.
   */
  missingTimeout?: number | null;
  /**
   * Seconds between crash checks (`checkInstance()`) while a started
   * instance has not attached. `0` or `null` turns the polling off (an
   * instance that reports its own death is still checked). Default 10.
   */
  checkInstanceInterval?: number | null;
  /**
   * Seconds a substantiated worker waits for `buildStarted()` after telling
   * a caller it is ready, before it counts as idle (then `buildWaitTimeout`
   * applies). Stops instances whose build never came. `0` or `null` waits
   * forever, like Buildbot. Default 300.
   */
  buildStartTimeout?: number | null;
  /** Seconds starts are refused after the first failed start. Doubles with each further failure. `0` turns quarantine off. Default 10. */
  quarantineInitialTimeout?: number;
  /** The longest quarantine, in seconds. Default 3600. */
  quarantineMaxTimeout?: number;
  /** The most builds running at once on the instance; `null` or absent means no limit. */
  maxBuilds?: number | null;
  /** The clock timers use (default: the system clock). Tests pass a `ManualClock`. */
  clock?: Clock;
}

/** {@link LatentWorkerOptions} checked, with defaults applied and durations in milliseconds. */
export interface LatentWorkerSettings {
  readonly name: string;
  /** `< 0` means never. */
  readonly buildWaitMs: number;
  /** undefined: off. */
  readonly missingMs: number | undefined;
  readonly checkIntervalMs: number | undefined;
  readonly buildStartMs: number | undefined;
  readonly quarantineInitialMs: number;
  readonly quarantineMaxMs: number;
  readonly maxBuilds: number | undefined;
  readonly clock: Clock;
}

/** Defaults of {@link LatentWorkerOptions}, in seconds. */
export const LATENT_WORKER_DEFAULTS = {
  buildWaitTimeout: 600,
  missingTimeout: 3600,
  checkInstanceInterval: 10,
  buildStartTimeout: 300,
  quarantineInitialTimeout: 10,
  quarantineMaxTimeout: 3600,
} as const;

/** Checks a worker name; returns a problem description or undefined. */
export function workerNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return `must be a string, got ${describeType(name)}`;
  if (name === '') return 'must not be empty';
  if (/[\s\u0000-\u001f\u007f]/.test(name)) return 'must not contain whitespace or control characters';
  if (name.length > 200) return 'must be at most 200 characters';
  return undefined;
}

/**
 * Checks the options every latent worker has, recording problems in
 * `problems`; returns the settings (defaults filled in where a value was
 * wrong, so checking can go on).
 */
export function latentWorkerSettings(options: LatentWorkerOptions, problems: ConfigProblems,
  defaults: Partial<Record<keyof typeof LATENT_WORKER_DEFAULTS, number>> = {}): LatentWorkerSettings {
  const d = { ...LATENT_WORKER_DEFAULTS, ...defaults };
  const nameProblem = workerNameProblem(options.name);
  if (nameProblem !== undefined) problems.add('name', nameProblem);
  const buildWait = options.buildWaitTimeout ?? d.buildWaitTimeout;
  let buildWaitMs = 0;
  if (typeof buildWait !== 'number' || !Number.isFinite(buildWait)) {
    problems.add('buildWaitTimeout', `must be a finite number of seconds, got ${describeType(buildWait)}`);
  } else {
    buildWaitMs = buildWait < 0 ? -1 : Math.round(buildWait * 1000);
  }
  const maxBuilds = options.maxBuilds ?? undefined;
  if (maxBuilds !== undefined && (!Number.isInteger(maxBuilds) || maxBuilds < 1)) {
    problems.add('maxBuilds', `must be a positive integer or null, got ${String(maxBuilds)}`);
  }
  const quarantineInitialMs = secondsOption(problems, 'quarantineInitialTimeout', options.quarantineInitialTimeout,
    { default: d.quarantineInitialTimeout, off: true }) ?? 0;
  const quarantineMaxMs = secondsOption(problems, 'quarantineMaxTimeout', options.quarantineMaxTimeout,
    { default: d.quarantineMaxTimeout }) ?? quarantineInitialMs;
  if (quarantineMaxMs < quarantineInitialMs) {
    problems.add('quarantineMaxTimeout', 'must not be shorter than quarantineInitialTimeout');
  }
  return {
    name: typeof options.name === 'string' ? options.name : String(options.name),
    buildWaitMs,
    missingMs: secondsOption(problems, 'missingTimeout', options.missingTimeout, { default: d.missingTimeout, off: true }),
    checkIntervalMs: secondsOption(problems, 'checkInstanceInterval', options.checkInstanceInterval,
      { default: d.checkInstanceInterval, off: true }),
    buildStartMs: secondsOption(problems, 'buildStartTimeout', options.buildStartTimeout, { default: d.buildStartTimeout, off: true }),
    quarantineInitialMs,
    quarantineMaxMs,
    maxBuilds: maxBuilds !== undefined && Number.isInteger(maxBuilds) && maxBuilds >= 1 ? maxBuilds : undefined,
    clock: options.clock ?? systemClock,
  };
}
