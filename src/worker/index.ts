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
  render, renderAll, buildProperties, property, NO_PROPERTIES, isBuildProperties, defaultPropertiesOf, workerBuildProperties,
  type Renderable, type Rendered, type BuildProperties, type PropertyValue, type BuildPropertySource,
} from './renderable.js';
export { parseVolumeSpec, containerVolumes, type VolumeSpec, type VolumeKind, type ContainerVolumes } from './volumes.js';
export { parseMasterAddress, DEFAULT_MASTER_PORT, type MasterAddress } from './master-address.js';
export { generatePassword, PASSWORD_ALPHABET, PASSWORD_LENGTH } from './password.js';
export { containerName, builtImageName, serviceName, CONTAINER_NAME_RULE } from './naming.js';
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
export {
  EnginePool, isUnreachable, type EngineRequest, type EngineLease, type PoolEngineStatus, type PoolReapResult,
} from './engine-pool.js';
export type { EnginePoolOptions, PoolEngineOptions } from './pool/pool-options.js';
export type { EnginePoolEvent, EnginePoolEventBody, EnginePoolEvents } from './pool/pool-events.js';
export { place, type EngineLoad, type PlacementRequest, type Placement } from './pool/placement.js';
export { SwarmLatentWorker, type SwarmWorkerStep, type SwarmLatentWorkerConfig } from './swarm-latent-worker.js';
export {
  checkSwarmConfig, SWARM_UNSUPPORTED, type SwarmLatentWorkerOptions, type SwarmWorkerConfig, type SwarmResources, type PasswordDelivery,
} from './swarm/swarm-options.js';
export { serviceSpec, PASSWORD_FILE_NAME, PASSWORD_FILE_VARIABLE, type ServiceSpecInput } from './swarm/service-spec.js';
export { reapSwarmOrphans, type SwarmReapOptions, type SwarmSweep } from './swarm/swarm-objects.js';
export { FINAL_TASK_STATES, describeTask } from './swarm/task-watch.js';
