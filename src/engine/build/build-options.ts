import { Buffer } from 'node:buffer';
import type { Readable } from 'node:stream';
import { CredentialStore, RegistryAuth, encodeAuthHeader, type AuthConfig } from '../auth.js';
import { DockerArgumentError } from '../errors.js';
import { parseImageReference } from '../reference.js';
import type { CallOptions, Query } from '../request.js';
import type { BuildEvent } from './build-events.js';

/**
 * The options of `POST /build` as berth takes them (camelCase), their
 * checks before anything is sent, and their explicit mapping to the query
 * and the `X-Registry-Config` header.
 */

/** Lines of output a build's result (`log`) and errors (`transcript`) keep by default. */
export const DEFAULT_BUILD_LOG_LINES = 100;

/** Registry credentials for the `FROM` images of a build, by registry (`X-Registry-Config`). */
export type BuildAuth = Readonly<Record<string, AuthConfig | RegistryAuth>> | CredentialStore;

/** Options of `docker.images.build()` (`POST /build`, classic builder). */
export interface ImageBuildOptions extends CallOptions {
  /**
   * What to build from:
   * - a directory path: packed like `docker build <dir>` does it
   *   (`.dockerignore` honoured, the Dockerfile and `.dockerignore` always
   *   sent), every file checked readable before the upload starts;
   * - a tar archive as a `Readable` (plain, gzip, bzip2 or xz: the engine
   *   detects the compression), sent as it is; berth destroys it when the
   *   build fails or is aborted;
   * - absent, with {@link dockerfileContent}: a context holding only that Dockerfile.
   */
  context?: string | Readable | undefined;
  /**
   * The Dockerfile: for a directory, a path relative to it or absolute —
   * one outside the directory is added to the context under a generated
   * name, as the docker CLI does; for a tar archive, its path inside the
   * archive. Default `Dockerfile`.
   */
  dockerfile?: string | undefined;
  /**
   * The Dockerfile's text. Alone, the context is just this Dockerfile. With
   * a directory, it is used instead of the directory's own Dockerfile (as
   * `docker build -f - <dir>` does): it is added under a generated name, and
   * any `Dockerfile` in the directory is sent as an ordinary file. Not with
   * {@link dockerfile}, nor with a tar archive.
   */
  dockerfileContent?: string | Buffer | undefined;
  /** Names for the image (`name[:tag]`), each sent as a `t` parameter. */
  tag?: string | readonly string[] | undefined;
  /** `ARG` values (`buildargs`); `null` declares the argument without a value. */
  buildArgs?: Readonly<Record<string, string | null>> | undefined;
  /** The stage to build in a multi-stage Dockerfile (`target`). */
  target?: string | undefined;
  /** Labels to set on the image (`labels`). */
  labels?: Readonly<Record<string, string>> | undefined;
  /** Pull newer versions of the `FROM` images even when present (`pull`). */
  pull?: boolean | undefined;
  /** Do not use the build cache (`nocache`). */
  noCache?: boolean | undefined;
  /** `os[/arch[/variant]]` to build for (`platform`). */
  platform?: string | undefined;
  /** Network mode of `RUN` steps: `bridge`, `host`, `none`, `container:<name>` or a network (`networkmode`). */
  networkMode?: string | undefined;
  /** `host:ip` entries added to `/etc/hosts` of `RUN` steps (`extrahosts`, repeated). */
  extraHosts?: readonly string[] | undefined;
  /** Size of `/dev/shm` of `RUN` steps, in bytes (`shmsize`). */
  shmSize?: number | undefined;
  /** Images to use as cache sources (`cachefrom`). */
  cacheFrom?: readonly string[] | undefined;
  /** Remove intermediate containers after a successful build (`rm`; default true, as the CLI). */
  rm?: boolean | undefined;
  /** Always remove intermediate containers, even after a failure (`forcerm`; default false, as the CLI). */
  forceRm?: boolean | undefined;
  /** Suppress the output; the engine reports only the image id (`q`). */
  quiet?: boolean | undefined;
  /**
   * Registry credentials for pulling `FROM` images, sent as
   * `X-Registry-Config`: a map from registry (`https://index.docker.io/v1/`
   * for Docker Hub, `host[:port]` otherwise) to credentials, or a
   * `CredentialStore` whose every entry is sent. Without it an empty map is
   * sent (as the docker CLI and Go client do): pulls are anonymous.
   */
  auth?: BuildAuth | undefined;
  /** Called with every event as it is read (keep it cheap; an exception fails the build). */
  onProgress?: ((event: BuildEvent) => void) | undefined;
  /** How many lines of output `log` and a failure's `transcript` keep (default 100). */
  logLines?: number | undefined;
}

/** The query of `POST /build` for these options; `dockerfile` is the name inside the context. */
export function buildQuery(options: ImageBuildOptions, dockerfile: string | undefined): Query {
  return {
    dockerfile,
    t: tagsOf(options.tag),
    buildargs: options.buildArgs,
    target: options.target,
    labels: options.labels,
    pull: options.pull === true ? true : undefined,
    nocache: options.noCache === true ? true : undefined,
    platform: options.platform,
    networkmode: options.networkMode,
    extrahosts: options.extraHosts,
    shmsize: options.shmSize,
    cachefrom: options.cacheFrom === undefined ? undefined : JSON.stringify(options.cacheFrom),
    rm: options.rm ?? true,
    forcerm: options.forceRm === true ? true : undefined,
    q: options.quiet === true ? true : undefined,
    // the classic builder: BuildKit (version=2) reports progress only as protobuf traces
    version: '1',
  };
}

/** The tags as a list. */
export function tagsOf(tag: string | readonly string[] | undefined): string[] {
  if (tag === undefined) return [];
  return typeof tag === 'string' ? [tag] : [...tag];
}

/**
 * Checks the options before anything is sent: a {@link DockerArgumentError}
 * names the first problem.
 */
export function checkBuildOptions(options: ImageBuildOptions): void {
  if (options === null || typeof options !== 'object') throw new DockerArgumentError('build: options must be an object');
  const { context, dockerfile, dockerfileContent } = options;
  if (context === undefined && dockerfileContent === undefined) {
    throw new DockerArgumentError('build: give a context (a directory or a tar stream), dockerfileContent, or both');
  }
  if (context !== undefined && typeof context !== 'string' && !isReadable(context)) {
    throw new DockerArgumentError('build: context must be a directory path or a Readable tar stream');
  }
  if (typeof context === 'string' && context.trim() === '') throw new DockerArgumentError('build: context must not be an empty path');
  if (dockerfileContent !== undefined) {
    if (typeof dockerfileContent !== 'string' && !Buffer.isBuffer(dockerfileContent)) {
      throw new DockerArgumentError('build: dockerfileContent must be a string or a Buffer');
    }
    if (dockerfile !== undefined) throw new DockerArgumentError('build: give either dockerfile (a path) or dockerfileContent (the Dockerfile itself), not both');
    if (context !== undefined && typeof context !== 'string') {
      throw new DockerArgumentError('build: dockerfileContent cannot be added to a tar stream context; put the Dockerfile in the archive and name it with dockerfile');
    }
  }
  if (dockerfile !== undefined && (typeof dockerfile !== 'string' || dockerfile.trim() === '' || /[\u0000-\u001f]/.test(dockerfile))) {
    throw new DockerArgumentError('build: dockerfile must be a non-empty path without control characters');
  }
  for (const tag of tagsOf(options.tag)) {
    const ref = parseImageReference(tag);
    if (ref.digest !== undefined) throw new DockerArgumentError(`build: cannot tag an image with a digest reference "${tag}"`);
  }
  stringRecord(options.buildArgs, 'buildArgs', true);
  stringRecord(options.labels, 'labels', false);
  for (const [name, value] of [['target', options.target], ['platform', options.platform], ['networkMode', options.networkMode]] as const) {
    if (value !== undefined && (typeof value !== 'string' || value === '' || /[\u0000-\u001f]/.test(value))) {
      throw new DockerArgumentError(`build: ${name} must be a non-empty string`);
    }
  }
  stringList(options.extraHosts, 'extraHosts', /^[^\s:=]+[:=]\S+$/, 'host:ip');
  stringList(options.cacheFrom, 'cacheFrom', /^\S+$/, 'an image reference');
  if (options.shmSize !== undefined && !(Number.isSafeInteger(options.shmSize) && options.shmSize > 0)) {
    throw new DockerArgumentError(`build: shmSize must be a positive whole number of bytes, got ${String(options.shmSize)}`);
  }
  if (options.logLines !== undefined && !(Number.isSafeInteger(options.logLines) && options.logLines >= 0)) {
    throw new DockerArgumentError(`build: logLines must be a whole number ≥ 0, got ${String(options.logLines)}`);
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new DockerArgumentError('build: onProgress must be a function');
  const auth = options.auth;
  if (auth !== undefined && !(auth instanceof CredentialStore) && (auth === null || typeof auth !== 'object' || Array.isArray(auth))) {
    throw new DockerArgumentError('build: auth must be a map of registry to credentials, or a CredentialStore');
  }
}

/** The `X-Registry-Config` value: padded base64url of `{ "<registry>": AuthConfig }` (`{}` when there are none). */
export async function registryConfigHeader(auth: BuildAuth | undefined): Promise<string> {
  if (auth === undefined) return encodeAuthHeader({});
  if (auth instanceof CredentialStore) return encodeAuthHeader(await auth.all());
  const configs: Record<string, AuthConfig> = {};
  for (const [registry, credentials] of Object.entries(auth)) {
    if (registry === '') throw new DockerArgumentError('build: auth has an entry with an empty registry');
    configs[registry] = credentials instanceof RegistryAuth ? credentials.config() : { ...credentials };
  }
  return encodeAuthHeader(configs);
}

function isReadable(value: unknown): value is Readable {
  return value !== null && typeof value === 'object' && typeof (value as Readable).pipe === 'function'
    && typeof (value as Readable).on === 'function' && Symbol.asyncIterator in value;
}

function stringRecord(value: unknown, name: string, nullable: boolean): void {
  if (value === undefined) return;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new DockerArgumentError(`build: ${name} must be an object of strings`);
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (key === '') throw new DockerArgumentError(`build: ${name} has an empty name`);
    if (!(typeof v === 'string' || (nullable && v === null))) {
      throw new DockerArgumentError(`build: ${name}.${key} must be a string${nullable ? ' or null' : ''}`);
    }
  }
}

function stringList(value: unknown, name: string, shape: RegExp, what: string): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) throw new DockerArgumentError(`build: ${name} must be an array of strings`);
  for (const v of value as unknown[]) {
    if (typeof v !== 'string' || !shape.test(v)) throw new DockerArgumentError(`build: ${name} entries must be ${what}, got ${JSON.stringify(v)}`);
  }
}
