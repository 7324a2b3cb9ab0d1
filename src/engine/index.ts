/** The engine client's public surface: the only module `worker/` imports. */
export { Docker, type DockerOptions, type DockerEvents } from './docker.js';
export {
  Endpoint, resolveEndpoint, parseHost, processEnvironment, DEFAULT_SOCKET,
  type EndpointOptions, type EndpointSource, type EndpointEnvironment, type TlsOptions, type TlsSettings, type SshTarget,
} from './endpoint.js';
export * from './errors.js';
export type { SshOptions } from './ssh/args.js';
export { MIN_API_VERSION, MAX_API_VERSION, compareApiVersions, apiVersionAtLeast, parseApiVersion } from './version.js';
export type { PingInfo } from './negotiate.js';
export type { CallOptions } from './request.js';
export type { PingResult, SystemDfOptions } from './resources/system.js';
export {
  ContainersApi, decodePathStat,
  type ContainerListFilters, type ContainerCreateOptions, type ContainerListOptions, type ContainerStopOptions,
  type ContainerKillOptions, type ContainerRemoveOptions, type ContainerWaitOptions, type ContainerWaiter, type WaitCondition,
  type StateChangeResult, type ContainerUpdateRequest, type ContainerPathStat, type ArchiveOptions, type PutArchiveOptions,
} from './resources/containers.js';
export {
  NetworksApi,
  type NetworkListFilters, type NetworkListOptions, type NetworkInspectOptions, type NetworkPruneFilters, type NetworkPruneOptions,
} from './resources/networks.js';
export {
  VolumesApi,
  type VolumeListFilters, type VolumeListOptions, type VolumePruneFilters, type VolumePruneOptions, type VolumeRemoveOptions,
} from './resources/volumes.js';
export { SwarmApi, type SwarmLeaveOptions, type SwarmUpdateOptions } from './resources/swarm.js';
export { NodesApi, type NodeListFilters, type NodeListOptions, type NodeRemoveOptions } from './resources/nodes.js';
export {
  ServicesApi,
  type ServiceListFilters, type ServiceListOptions, type ServiceCreateOptions, type ServiceUpdateOptions,
  type ServiceInspectOptions, type ServiceAuthOption,
} from './resources/services.js';
export { TasksApi, type TaskListFilters, type TaskListOptions } from './resources/tasks.js';
export {
  SwarmDataApi,
  type SwarmDataListFilters, type SwarmDataListOptions, type SwarmDataSpec, type SwarmDataObject, type SwarmDataCreateResponse,
} from './resources/swarm-data.js';
export { SecretsApi } from './resources/secrets.js';
export { ConfigsApi } from './resources/configs.js';
export {
  isVersionConflict, type SpecChange, type VersionedUpdateOptions, type Versioned,
} from './resources/versioned.js';
export { ImagesApi, type ImageListFilters, type ImageListOptions, type ImageRemoveOptions, type ImageInspectOptions } from './resources/images.js';
export type { ImagePullOptions, ImagePullResult } from './resources/images/pull.js';
export type { ImagePushOptions, ImagePushResult } from './resources/images/push.js';
export type {
  ImageImportOptions, ImageImportResult, ImageLoadOptions, ImageLoadResult, TarSource,
} from './resources/images/load.js';
export {
  DEFAULT_MAX_OUTPUT_BYTES, MAX_LOG_LINE_CHARS, type ContainerLogsOptions, type ContainerLogsBufferOptions, type LogLine,
} from './resources/containers/logs.js';
export type { ContainerAttachOptions } from './resources/containers/attach.js';
export type { ContainerStatsOptions } from './resources/containers/stats.js';
export type {
  ContainerExecOptions, ContainerExecBufferOptions, ContainerExecResult, ContainerExecStreams,
} from './resources/containers/exec-run.js';
export { ExecApi, type ExecStartOptions, type ExecStartDetachedOptions } from './resources/exec.js';
export type { EventFilters, EventsOptions } from './resources/events.js';
export { unixTime, type TimeValue } from './time.js';
export { parseImageReference, authKeyFor, DOCKER_HUB, DOCKER_HUB_AUTH_KEY, type ImageReference } from './reference.js';
export {
  CredentialStore, RegistryAuth, encodeAuthHeader, authHeaderOf, registryAuthHeaders,
  type AuthConfig, type AuthOption, type CredentialHelperRunner, type CredentialStoreOptions,
} from './auth.js';
export { EngineContext } from './context.js';
export { filtersQuery, labelFilter, type Filters } from './filters.js';
export type * from './types/system.js';
export type * from './types/common.js';
export type * from './types/containers.js';
export type * from './types/images.js';
export type * from './types/networks.js';
export type * from './types/volumes.js';
export type * from './types/swarm.js';
export type * from './types/exec.js';
export type * from './types/events.js';
export * from './streams/index.js';
export { HijackedStream, type ResponseHead } from './streams/hijack.js';
export { LazyStream, type StreamOpener } from './streams/lazy.js';
export {
  ProgressOperation, type ProgressOperationOptions, type ProgressSummary,
} from './streams/operation.js';
export { AttachedStdio, STDIN_FAILED, OUTPUT_LIMIT, bufferFrames, type StdinSource, type StdioOutputOptions } from './streams/stdio.js';
export {
  packContext, dockerfileContext, BuildContextStream,
  type PackContextOptions, type DockerfileContextOptions, type BuildContextProgress,
} from './build/context.js';
export type { BuildContextSummary } from './build/context-source.js';
export { DEFAULT_BUILD_LOG_LINES, type ImageBuildOptions, type BuildAuth } from './build/build-options.js';
export {
  BuildEventDecoder, podmanExitCode,
  type BuildEvent, type BuildStepEvent, type BuildOutputEvent, type BuildStatusEvent, type BuildImageEvent, type BuildAuxEvent,
  type BuildEventDecoderOptions,
} from './build/build-events.js';
export { ImageBuild, type BuildResult } from './build/image-build.js';
export {
  DockerIgnore, parseDockerignore, type IgnorePattern, type IgnoreMatchState, type IgnoreWalkVerdict,
} from './build/dockerignore.js';
