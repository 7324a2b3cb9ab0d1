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
  readonly followStartupLogs: boolean;
  readonly readiness: ReadinessStrategy;
  /** Reports a line as an `output` event. */
  readonly output: (stream: 'stdout' | 'stderr', line: string) => void;
  /** The line matched a `logLine` readiness. */
  readonly ready: () => void;
}

/** A line of startup output of an instance not ready yet: reported while following, and matched against a `logLine` readiness. */
export function onStartupLine(rules: StartupLineRules, stream: StreamName, line: string): void {
  if (rules.followStartupLogs) rules.output(stream === 'stderr' ? 'stderr' : 'stdout', line);
  const readiness = rules.readiness;
  if (typeof readiness === 'object' && readiness.logLine.test(line)) rules.ready();
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
