import { LatentWorkerStateError } from './errors.js';

/**
 * The substantiation states of a latent worker and the only transitions
 * between them. The table is the whole truth: the worker moves only through
 * {@link nextState}, which refuses anything the table does not list.
 */
export const WorkerState = {
  /**
   * No instance exists and none is being made. No start attempt, no stop in
   * progress, no timer but the quarantine's; the start/stop lock is free.
   */
  NOT_SUBSTANTIATED: 'NOT_SUBSTANTIATED',
  /**
   * A start was asked for and `startInstance` has not been called yet (the
   * start is waiting for the lock). The attempt has at least one waiter or
   * is being abandoned; its missing timer is armed when enabled.
   */
  SUBSTANTIATING: 'SUBSTANTIATING',
  /**
   * `startInstance` has been called: it is running (the lock is held and its
   * signal is live) or it returned an instance and the worker inside has
   * not attached yet (the crash check polls, the missing timer runs). A
   * stop must follow if the attempt fails.
   */
  SUBSTANTIATING_STARTING: 'SUBSTANTIATING_STARTING',
  /**
   * The instance runs and its worker attached. No start attempt; the
   * missing and crash-check timers are off; the idle timer follows the
   * builds. The connection may have dropped (`connected` false) and come
   * back only when `buildWaitTimeout < 0`.
   */
  SUBSTANTIATED: 'SUBSTANTIATED',
  /**
   * A stop is in progress: `stopInstance` runs or waits for the lock held by
   * a start being cancelled. No start attempt is pending.
   */
  INSUBSTANTIATING: 'INSUBSTANTIATING',
  /**
   * A stop is in progress and a start attempt is queued behind it: when the
   * stop ends, the worker goes to SUBSTANTIATING and starts for the queued
   * waiters. The queued attempt's missing timer already runs.
   */
  INSUBSTANTIATING_SUBSTANTIATING: 'INSUBSTANTIATING_SUBSTANTIATING',
  /** Final: `shutdown()` finished. Nothing runs and nothing will start again. */
  SHUT_DOWN: 'SHUT_DOWN',
} as const;

/** One of the {@link WorkerState} values. */
export type WorkerState = typeof WorkerState[keyof typeof WorkerState];

/** What makes the worker change state. */
export type WorkerEvent =
  /** A start is asked for while nothing runs. */
  | 'request'
  /** A start is asked for while a stop runs: it waits for the stop. */
  | 'queue'
  /** A start is asked for while the instance runs but lost its connection: stop it, then start anew. */
  | 'restart'
  /** The lock was taken and `startInstance` called. */
  | 'start'
  /** The worker inside attached and `startInstance` had returned an instance. */
  | 'attach'
  /** The attempt ended (failed, cancelled) before `startInstance` was called: nothing to stop. */
  | 'abandon'
  /** The instance (or the half-made one) must go: a failure, an idle timeout, a detach, an explicit stop. */
  | 'insubstantiate'
  /** The queued start was given up (cancelled, timed out, or a later stop asked for). */
  | 'dequeue'
  /** `stopInstance` finished (or failed, which is reported and does not block). */
  | 'stopped'
  /** `shutdown()` finished. */
  | 'shutdown';

/** The transition table: `TRANSITIONS[state][event]` is the next state; a missing entry is illegal. */
export const TRANSITIONS: {
  readonly [S in WorkerState]: { readonly [E in WorkerEvent]?: WorkerState };
} = {
  NOT_SUBSTANTIATED: {
    request: 'SUBSTANTIATING',
    shutdown: 'SHUT_DOWN',
  },
  SUBSTANTIATING: {
    start: 'SUBSTANTIATING_STARTING',
    abandon: 'NOT_SUBSTANTIATED',
  },
  SUBSTANTIATING_STARTING: {
    attach: 'SUBSTANTIATED',
    insubstantiate: 'INSUBSTANTIATING',
  },
  SUBSTANTIATED: {
    insubstantiate: 'INSUBSTANTIATING',
    restart: 'INSUBSTANTIATING_SUBSTANTIATING',
  },
  INSUBSTANTIATING: {
    queue: 'INSUBSTANTIATING_SUBSTANTIATING',
    stopped: 'NOT_SUBSTANTIATED',
  },
  INSUBSTANTIATING_SUBSTANTIATING: {
    dequeue: 'INSUBSTANTIATING',
    stopped: 'SUBSTANTIATING',
  },
  SHUT_DOWN: {},
};

/** Every state, in lifecycle order. */
export const WORKER_STATES: readonly WorkerState[] = Object.values(WorkerState);

/** The state `event` leads to from `from`; throws {@link LatentWorkerStateError} when the table has no such transition. */
export function nextState(from: WorkerState, event: WorkerEvent, workerName = '?'): WorkerState {
  const to = TRANSITIONS[from][event];
  if (to === undefined) {
    throw new LatentWorkerStateError(workerName, `illegal transition: "${event}" in state ${from}`, 'ERR_WORKER_ILLEGAL_TRANSITION');
  }
  return to;
}

/** True when a start attempt is in flight or queued in `state` (a new request joins it). */
export function hasStartAttempt(state: WorkerState): boolean {
  return state === 'SUBSTANTIATING' || state === 'SUBSTANTIATING_STARTING' || state === 'INSUBSTANTIATING_SUBSTANTIATING';
}
