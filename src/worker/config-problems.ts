import { WorkerConfigError, type ConfigProblem } from './errors.js';

/**
 * Collects every problem in a set of options, so a configuration error
 * lists them all at once instead of one per attempt.
 */
export class ConfigProblems {
  private readonly list: ConfigProblem[] = [];

  /** Records a problem with `option`. */
  add(option: string, message: string): void {
    this.list.push({ option, message });
  }

  /** Runs `fn`; an error it throws is recorded against `option` instead of escaping. */
  attempt<T>(option: string, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      this.add(option, err instanceof Error ? err.message : String(err));
      return undefined;
    }
  }

  /** The problems found so far. */
  get problems(): readonly ConfigProblem[] {
    return this.list;
  }

  /** Throws a {@link WorkerConfigError} listing every problem, if there is one. */
  throwIfAny(workerName: string): void {
    if (this.list.length > 0) throw new WorkerConfigError(workerName, this.list);
  }
}

/** Describes a value's type for messages, e.g. `a string`, `an array`, `null`. */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof RegExp) return 'a RegExp';
  switch (typeof value) {
    case 'object': return 'an object';
    case 'undefined': return 'undefined';
    default: return `a ${typeof value}`;
  }
}

/**
 * Reads a duration given in seconds and returns milliseconds. `undefined`
 * gives the default; `null` and 0 give `undefined` ("off") when `off` is
 * allowed; negative values only when `negative` is allowed.
 */
export function secondsOption(
  problems: ConfigProblems, option: string, value: number | null | undefined,
  rules: { default: number | null; off?: boolean; negative?: boolean },
): number | undefined {
  const seconds = value === undefined ? rules.default : value;
  if (seconds === null) {
    if (rules.off !== true) problems.add(option, 'must be a number of seconds, not null');
    return undefined;
  }
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) {
    problems.add(option, `must be a finite number of seconds, got ${describeType(seconds)}`);
    return undefined;
  }
  if (seconds < 0 && rules.negative !== true) {
    problems.add(option, `must not be negative, got ${seconds}`);
    return undefined;
  }
  if (seconds === 0 && rules.off === true) return undefined;
  return Math.round(seconds * 1000);
}
