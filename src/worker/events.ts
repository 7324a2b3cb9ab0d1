import type { WorkerEvent, WorkerState } from './states.js';

/**
 * What a latent worker reports, on its `event` channel: every state change
 * and every step, with durations in milliseconds. Events carry no build
 * objects, no properties and no secrets; errors are the typed errors the
 * worker throws.
 */

/** What an instance is, as `startInstance` describes it. Never a secret. */
export interface InstanceInfo {
  /** Identifies the instance: a container id, a VM name. */
  readonly id: string;
  /** A human-readable description, e.g. `busybox:latest on unix:///var/run/docker.sock`. */
  readonly description?: string;
}

/** Why an idle worker was stopped. */
export type IdleReason =
  /** `buildWaitTimeout` passed with no build running. */
  | 'build-wait-timeout'
  /** The worker lost its connection (and `buildWaitTimeout >= 0`). */
  | 'detached';

/** The fields every event has. */
interface EventBase {
  /** The worker's name. */
  readonly worker: string;
  /** Clock time of the event, in milliseconds. */
  readonly at: number;
}

/** Every event a latent worker emits, told apart by `type`. */
export type LatentWorkerEvent = EventBase & (
  /** The state changed. */
  | { readonly type: 'state'; readonly from: WorkerState; readonly to: WorkerState; readonly cause: WorkerEvent }
  /** `startInstance` returned an instance after `durationMs`. */
  | { readonly type: 'start'; readonly durationMs: number; readonly instance: InstanceInfo | undefined }
  /** `startInstance` threw or declined after `durationMs`. */
  | { readonly type: 'start-error'; readonly durationMs: number; readonly error: Error }
  /** The worker attached; `durationMs` runs from the request that began the attempt. */
  | { readonly type: 'substantiated'; readonly durationMs: number; readonly waiters: number }
  /** A start attempt failed or was cancelled; its waiters got `error`. */
  | { readonly type: 'substantiation-failed'; readonly durationMs: number; readonly error: Error }
  /** The crash check ran; `ok: false` fails the start. */
  | { readonly type: 'check'; readonly durationMs: number; readonly ok: boolean; readonly reason?: string }
  /** `attached()` was accepted; `reconnect` when the instance was already substantiated. */
  | { readonly type: 'attached'; readonly reconnect: boolean }
  /** `attached()` was refused with `error`. */
  | { readonly type: 'attach-refused'; readonly error: Error }
  /** `detached()`: the worker inside lost its connection. */
  | { readonly type: 'detached'; readonly state: WorkerState }
  /** A build started or finished; `running` counts builds now running. */
  | { readonly type: 'build-started'; readonly running: number }
  | { readonly type: 'build-finished'; readonly running: number; readonly success: boolean }
  /** The worker is being stopped for being idle. */
  | { readonly type: 'idle'; readonly reason: IdleReason }
  /** `stopInstance` finished after `durationMs`. */
  | { readonly type: 'stop'; readonly durationMs: number; readonly fast: boolean }
  /** `stopInstance` failed after `durationMs`; the worker carried on to NOT_SUBSTANTIATED. */
  | { readonly type: 'stop-error'; readonly durationMs: number; readonly error: Error }
  /** Starts are refused for `durationMs` (until `until`) after a failed start. */
  | { readonly type: 'quarantine'; readonly durationMs: number; readonly until: number }
  /** The quarantine ended (timed out, or `exitQuarantine()`); starts are accepted again. */
  | { readonly type: 'quarantine-end' }
  /** A step of a subclass's start or stop (pull, build, create…), reported with `reportStep`. */
  | { readonly type: 'step'; readonly step: string; readonly durationMs: number; readonly detail?: Readonly<Record<string, string | number | boolean>> }
  /** A line of the instance's output (startup logs), reported with `reportOutput`. */
  | { readonly type: 'output'; readonly stream: 'stdout' | 'stderr'; readonly line: string }
  /** A line of progress of a step (a build's output, a pull's status), reported with `reportProgress`. */
  | { readonly type: 'progress'; readonly step: string; readonly line: string }
);

/** The `type`s of {@link LatentWorkerEvent}. */
export type LatentWorkerEventType = LatentWorkerEvent['type'];

/** An event without the fields the worker fills in (`worker`, `at`). */
export type LatentWorkerEventBody = LatentWorkerEvent extends infer E
  ? E extends EventBase ? Omit<E, 'worker' | 'at'> : never
  : never;

/** The event map of a latent worker's EventEmitter: one channel, `event`. */
export interface LatentWorkerEvents {
  event: [event: LatentWorkerEvent];
}
