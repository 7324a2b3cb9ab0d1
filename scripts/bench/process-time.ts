import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** What one trial of a contender cost, measured from outside its process. */
export interface Measure {
  /** Seconds from start to exit. */
  wall: number;
  /** User plus system CPU seconds of the process (its threads included). */
  cpu: number;
  /** Peak resident set size, in MB. */
  rssMb: number;
}

/** Runs a command under GNU time in a fresh process; a non-zero exit is an error. */
export function timed(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Measure {
  const out = mkdtempSync('/tmp/bench-time-');
  const file = join(out, 'time');
  try {
    const res = spawnSync('/usr/bin/time', ['-o', file, '-f', '%e %U %S %M', command, ...args], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    if (res.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${String(res.status)}`);
    const [wall, user, sys, rss] = readFileSync(file, 'utf8').trim().split('\n').at(-1)?.split(' ').map(Number) ?? [];
    return { wall: wall ?? NaN, cpu: (user ?? NaN) + (sys ?? NaN), rssMb: (rss ?? NaN) / 1024 };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** The median (the upper one of an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}
