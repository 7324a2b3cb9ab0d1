/** The latent-worker layer's public surface. */
export { LatentWorker, type SubstantiateOptions, type BuildOutcome } from './latent-worker.js';
export {
  latentWorkerSettings, LATENT_WORKER_DEFAULTS, type LatentWorkerOptions, type LatentWorkerSettings,
} from './latent-worker-options.js';
export { WorkerState, TRANSITIONS, WORKER_STATES, nextState, hasStartAttempt, type WorkerEvent } from './states.js';
export * from './errors.js';
export type { InstanceInfo, LatentWorkerEvent, LatentWorkerEventType, LatentWorkerEventBody, LatentWorkerEvents, IdleReason } from './events.js';
export type { InstanceCheck } from './crash-check.js';
export { systemClock, ManualClock, type Clock, type TimerHandle } from './clock.js';
export { CompatibilityTracker, deepEqual, isPlainObject } from './compatibility.js';
export { ConfigProblems } from './config-problems.js';
