/** The engine client's public surface: the only module `worker/` imports. */
export { Docker, type DockerOptions, type DockerEvents } from './docker.js';
export {
  Endpoint, resolveEndpoint, parseHost, processEnvironment, DEFAULT_SOCKET,
  type EndpointOptions, type EndpointSource, type EndpointEnvironment, type TlsOptions, type TlsSettings, type SshTarget,
} from './endpoint.js';
export * from './errors.js';
export { MIN_API_VERSION, MAX_API_VERSION, compareApiVersions, apiVersionAtLeast, parseApiVersion } from './version.js';
export type { PingInfo } from './negotiate.js';
export type { CallOptions } from './request.js';
export type { PingResult, SystemDfOptions } from './resources/system.js';
export type * from './types/system.js';
export {
  packContext, dockerfileContext, BuildContextStream,
  type PackContextOptions, type DockerfileContextOptions, type BuildContextProgress,
} from './build/context.js';
export type { BuildContextSummary } from './build/context-source.js';
export {
  DockerIgnore, parseDockerignore, type IgnorePattern, type IgnoreMatchState, type IgnoreWalkVerdict,
} from './build/dockerignore.js';
