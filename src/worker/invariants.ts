import type { WorkerState } from './states.js';

/** What the invariant check looks at (a snapshot of a worker's internals). */
export interface WorkerSnapshot {
  readonly state: WorkerState;
  readonly attempt: { readonly settled: boolean; readonly startCalled: boolean } | undefined;
  readonly stopping: boolean;
  readonly connected: boolean;
  readonly missingArmed: boolean;
  readonly missingEnabled: boolean;
  readonly checkArmed: boolean;
  readonly idleArmed: boolean;
}

/**
 * The invariants of each state (see the comments in `states.ts`), checked
 * against a snapshot; returns what is broken. Tests run it after every step.
 */
export function workerInvariantViolations(s: WorkerSnapshot): string[] {
  const broken: string[] = [];
  const expect = (ok: boolean, what: string): void => {
    if (!ok) broken.push(`${s.state}: ${what}`);
  };
  const live = s.attempt !== undefined && !s.attempt.settled;
  switch (s.state) {
    case 'NOT_SUBSTANTIATED':
    case 'SHUT_DOWN':
      expect(s.attempt === undefined, 'no start attempt');
      expect(!s.stopping, 'no stop in progress');
      expect(!s.missingArmed && !s.checkArmed && !s.idleArmed, 'no missing, check or idle timer');
      expect(!s.connected, 'not connected');
      break;
    case 'SUBSTANTIATING':
      expect(live && s.attempt?.startCalled === false, 'a live attempt whose start was not called yet');
      expect(s.missingArmed === s.missingEnabled, 'the missing timer armed when enabled');
      expect(!s.checkArmed && !s.idleArmed && !s.stopping, 'no check or idle timer, no stop');
      break;
    case 'SUBSTANTIATING_STARTING':
      expect(live && s.attempt?.startCalled === true, 'a live attempt whose start was called');
      expect(s.missingArmed === s.missingEnabled, 'the missing timer armed when enabled');
      expect(!s.idleArmed && !s.stopping && !s.connected, 'no idle timer, no stop, not connected');
      break;
    case 'SUBSTANTIATED':
      expect(s.attempt === undefined, 'no start attempt');
      expect(!s.missingArmed && !s.checkArmed && !s.stopping, 'no missing or check timer, no stop');
      break;
    case 'INSUBSTANTIATING':
      expect(s.attempt === undefined, 'no start attempt');
      expect(s.stopping, 'a stop in progress');
      expect(!s.missingArmed && !s.checkArmed && !s.idleArmed, 'no missing, check or idle timer');
      break;
    case 'INSUBSTANTIATING_SUBSTANTIATING':
      expect(live && s.attempt?.startCalled === false, 'a queued live attempt whose start was not called');
      expect(s.stopping, 'a stop in progress');
      expect(s.missingArmed === s.missingEnabled && !s.checkArmed && !s.idleArmed, 'only the queued attempt\'s missing timer');
      break;
  }
  return broken;
}
