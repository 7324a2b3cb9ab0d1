/** The latent-worker layer's public surface. */
export { LatentWorker, type SubstantiateOptions, type BuildOutcome } from './latent-worker.js';
export {
  latentWorkerSettings, LATENT_WORKER_DEFAULTS, type LatentWorkerOptions, type LatentWorkerSettings,
} from './latent-worker-options.js';
export { WorkerState, TRANSITIONS, WORKER_STATES, nextState, hasStartAttempt, type WorkerEvent } from './states.js';
export * from './errors.js';
export type { InstanceInfo, LatentWorkerEvent, LatentWorkerEventType, LatentWorkerEventBody, LatentWorkerEvents, IdleReason } from './events.js';
export type { InstanceCheck } from './crash-check.js';
export { systemClock, ManualClock, delay, type Clock, type TimerHandle } from './clock.js';
export { CompatibilityTracker, deepEqual, isPlainObject } from './compatibility.js';
export { ConfigProblems } from './config-problems.js';
export {
  render, renderAll, buildProperties, property, NO_PROPERTIES,
  type Renderable, type Rendered, type BuildProperties, type PropertyValue,
} from './renderable.js';
export { parseVolumeSpec, containerVolumes, type VolumeSpec, type VolumeKind, type ContainerVolumes } from './volumes.js';
export { parseMasterAddress, DEFAULT_MASTER_PORT, type MasterAddress } from './master-address.js';
export { generatePassword, PASSWORD_ALPHABET, PASSWORD_LENGTH } from './password.js';
export { containerName, builtImageName, CONTAINER_NAME_RULE } from './naming.js';
export {
  LABEL_MANAGED, LABEL_WORKER, LABEL_MASTER, RESERVED_LABEL_PREFIX, ownerLabels, workerLabels, ownedByFilter, isOwnedBy,
  type LabelFilter,
} from './labels.js';
export {
  workerEnvironment, environmentList, checkUserEnvironment, MASTER_PROTOCOLS, CONTRACT_VARIABLES,
  type MasterProtocol, type WorkerIdentity,
} from './environment.js';
export {
  checkConfig, renderDockerOptions, defaultMasterId,
  type DockerLatentWorkerOptions, type DockerWorkerConfig, type RenderedDockerOptions, type HostConfigOptions, type HostConfigValue,
  type ReadinessStrategy, type ContextEncoding,
} from './options.js';
export { engineHostConfigName, CONTEXT_ENCODINGS } from './option-checks.js';
export { imageReferenceProblem } from './image-reference.js';
export { splitShellWords } from './shell-words.js';
export {
  containerSpec, type ContainerSpec, type ContainerSpecInput,
} from './container-spec.js';
export { DockerLatentWorker, type DockerLatentWorkerConfig, type BuildWithProperties } from './docker-latent-worker.js';
export type { EngineConnection, DockerProvider } from './docker/connections.js';
export type { DockerWorkerStep, StepDetail } from './docker/steps.js';
export { REDACTED_TEXT } from './docker/redactor.js';
export {
  reapOrphans, type ReapOptions, type ReapResult, type ReapedContainer, type ReapedImage, type ReapedResource, type ReapFailure,
} from './reaper.js';
