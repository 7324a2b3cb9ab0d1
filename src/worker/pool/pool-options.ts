import { Docker } from '../../engine/index.js';
import { systemClock, type Clock } from '../clock.js';
import { isPlainObject } from '../compatibility.js';
import { ConfigProblems, describeType, secondsOption } from '../config-problems.js';

/** One engine of an {@link EnginePool}. */
export interface PoolEngineOptions {
  /** The engine's name in the pool (events, errors, leases). Unique, non-empty. */
  name: string;
  /** The engine's client. The pool never closes it. */
  docker: Docker;
  /** Labels a worker can require (`requireLabels`), e.g. `{ arch: 'arm64', ssd: 'yes' }`. */
  labels?: Readonly<Record<string, string>>;
  /** The most workers on this engine at once (starting or running). Default: no limit. */
  maxWorkers?: number | null;
  /** The most starts in flight on this engine at once. Default: no limit. */
  maxConcurrentStarts?: number | null;
  /** How much work this engine takes relative to the others: least-busy compares workers / weight. Default 1. */
  weight?: number;
}

/** Options of an {@link EnginePool}. */
export interface EnginePoolOptions {
  engines: readonly PoolEngineOptions[];
  /** Seconds between health checks (`HEAD /_ping`) of each engine. `0` or `null`: no health checks. Default 10. */
  healthCheckInterval?: number | null;
  /** Seconds a health check waits for the answer before the engine counts as down. Default 5. */
  healthCheckTimeout?: number;
  /** The clock the health checks run on. Default: the system clock (tests pass a `ManualClock`). */
  clock?: Clock;
}

/** {@link PoolEngineOptions} checked. */
export interface PoolEngineSettings {
  readonly name: string;
  readonly docker: Docker;
  readonly labels: Readonly<Record<string, string>>;
  readonly maxWorkers: number | undefined;
  readonly maxStarts: number | undefined;
  readonly weight: number;
}

/** {@link EnginePoolOptions} checked, durations in milliseconds. */
export interface EnginePoolSettings {
  readonly engines: readonly PoolEngineSettings[];
  readonly healthIntervalMs: number | undefined;
  readonly healthTimeoutMs: number;
  readonly clock: Clock;
}

function positiveInteger(problems: ConfigProblems, option: string, v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    problems.add(option, `must be a positive integer or null, got ${typeof v === 'number' ? v : describeType(v)}`);
    return undefined;
  }
  return v;
}

/**
 * Checks pool options.
 * @throws WorkerConfigError listing every problem
 */
export function poolSettings(options: EnginePoolOptions): EnginePoolSettings {
  const problems = new ConfigProblems();
  const engines: PoolEngineSettings[] = [];
  if (!Array.isArray(options.engines) || options.engines.length === 0) problems.add('engines', 'give at least one engine');
  const seen = new Set<string>();
  (Array.isArray(options.engines) ? options.engines : []).forEach((e: PoolEngineOptions, i) => {
    const at = `engines[${i}]`;
    if (typeof e.name !== 'string' || e.name === '') problems.add(`${at}.name`, 'must be a non-empty string');
    else if (seen.has(e.name)) problems.add(`${at}.name`, `"${e.name}" is taken by another engine of the pool`);
    seen.add(e.name);
    if (!(e.docker instanceof Docker)) problems.add(`${at}.docker`, `must be a Docker client, got ${describeType(e.docker)}`);
    const labels = e.labels ?? {};
    if (!isPlainObject(labels) || !Object.values(labels).every((v) => typeof v === 'string')) {
      problems.add(`${at}.labels`, 'must be an object of strings');
    }
    const weight = e.weight ?? 1;
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) problems.add(`${at}.weight`, `must be a positive number, got ${String(weight)}`);
    engines.push({
      name: e.name, docker: e.docker, labels: { ...labels }, weight: weight > 0 ? weight : 1,
      maxWorkers: positiveInteger(problems, `${at}.maxWorkers`, e.maxWorkers),
      maxStarts: positiveInteger(problems, `${at}.maxConcurrentStarts`, e.maxConcurrentStarts),
    });
  });
  const healthIntervalMs = secondsOption(problems, 'healthCheckInterval', options.healthCheckInterval, { default: 10, off: true });
  const healthTimeoutMs = secondsOption(problems, 'healthCheckTimeout', options.healthCheckTimeout, { default: 5 }) ?? 5000;
  if (healthTimeoutMs === 0) problems.add('healthCheckTimeout', 'must be more than 0');
  problems.throwIfAny('engine pool');
  return { engines, healthIntervalMs, healthTimeoutMs, clock: options.clock ?? systemClock };
}
