import type { StreamName } from '../../engine/index.js';
import { LatentWorkerAttachRefusedError } from '../errors.js';
import type { ReadinessStrategy } from '../options.js';
import type { WorkerState } from '../states.js';

/**
 * Readiness a container worker decides itself (the Docker worker and the
 * Swarm worker alike): from its startup output, or as soon as it runs.
 */

/** What the startup output of an instance is read for. */
export interface StartupLineRules {
  /** Report lines until the worker is ready (`true`), or for as long as the instance runs (`'always'`). */
  readonly followStartupLogs: boolean | 'always';
  readonly readiness: ReadinessStrategy;
  /** Reports a line as an `output` event. */
  readonly output: (stream: 'stdout' | 'stderr', line: string) => void;
  /** The line matched a `logLine` readiness. */
  readonly ready: () => void;
}

/** A line of an instance's output: reported while followed, and, until the instance is ready, matched against a `logLine` readiness. */
export function onStartupLine(rules: StartupLineRules, ready: boolean, stream: StreamName, line: string): void {
  const follow = rules.followStartupLogs;
  if (follow === 'always' || (follow && !ready)) rules.output(stream === 'stderr' ? 'stderr' : 'stdout', line);
  const readiness = rules.readiness;
  if (!ready && typeof readiness === 'object' && readiness.logLine.test(line)) rules.ready();
}

/**
 * Counts the worker inside as attached, when the worker is still starting;
 * a refused attach (the start was given up meanwhile) is no error.
 */
export function attachIfStarting(worker: { readonly state: WorkerState; attached(): void }): void {
  if (worker.state !== 'SUBSTANTIATING_STARTING') return;
  try {
    worker.attached();
  } catch (err) {
    if (!(err instanceof LatentWorkerAttachRefusedError)) throw err;
  }
}
