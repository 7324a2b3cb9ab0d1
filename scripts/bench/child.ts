/**
 * What a trial process shares with the runner: the trial's description,
 * what it reports, and how it measures. This module imports nothing (the
 * module-load benchmark measures imports made after it), so it stays out
 * of every contender's numbers.
 */

/** JSON-safe parameters of a case. */
export type Params = Readonly<Record<string, string | number | boolean>>;

/** What the runner asks one fresh process to do. */
export interface TrialSpec {
  bench: string;
  contender: string;
  case: string;
  params: Params;
}

/** What a trial reports: numbers to aggregate, and facts to check (byte counts, corruption). */
export interface TrialOutcome {
  metrics: Record<string, number>;
  checks?: Record<string, string | number | boolean>;
}

/** The line a trial prints its outcome on; everything else on stdout is ignored. */
export const RESULT_PREFIX = '@@bench-result ';

/** A benchmark's trial side: runs one contender on one case in this process. */
export type TrialFunction = (contender: string, params: Params) => Promise<TrialOutcome>;

/** Wall seconds and this process's CPU (user+sys, all threads: GC and compiler included) over `fn`. */
export interface Measured<T> {
  value: T;
  wallS: number;
  cpuS: number;
}

export async function measure<T>(fn: () => Promise<T>): Promise<Measured<T>> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { value, wallS, cpuS: (cpu.user + cpu.system) / 1e6 };
}

export function numberParam(params: Params, name: string): number {
  const v = params[name];
  if (typeof v !== 'number') throw new Error(`parameter ${name} must be a number, got ${String(v)}`);
  return v;
}

export function stringParam(params: Params, name: string): string {
  const v = params[name];
  if (typeof v !== 'string') throw new Error(`parameter ${name} must be a string, got ${String(v)}`);
  return v;
}

/** Fails a trial for a contender this benchmark does not know. */
export function unknownContender(bench: string, contender: string): never {
  throw new Error(`${bench}: no contender named ${contender}`);
}
