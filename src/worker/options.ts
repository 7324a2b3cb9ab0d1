import { hostname } from 'node:os';
import { Docker, RegistryAuth, type AuthOption, type HealthConfig, type NetworkingConfig, type TlsOptions } from '../engine/index.js';
import type { DockerProvider } from './docker/connections.js';
import { isPlainObject } from './compatibility.js';
import { ConfigProblems, describeType } from './config-problems.js';
import { MASTER_PROTOCOLS, type MasterProtocol } from './environment.js';
import { latentWorkerSettings, type LatentWorkerOptions, type LatentWorkerSettings } from './latent-worker-options.js';
import { parseMasterAddress } from './master-address.js';
import {
  apiVersionCheck, buildTargetCheck, commandCheck, dockerHostCheck, encodingCheck, envEntryCheck, hostConfigKeyCheck,
  HOST_CONFIG_CHECKS, hostnameCheck, imageCheck, isBoolean, isNonEmptyString, isString, labelKeyCheck, platformCheck,
  portCheck, protocolCheck, readinessCheck, stopSignalCheck, stopTimeoutCheck, tlsCheck, userCheck, volumeCheck,
  workingDirCheck, healthcheckCheck, isObject, type CONTEXT_ENCODINGS, type READINESS, type ValueCheck,
} from './option-checks.js';
import { generatePassword } from './password.js';
import { renderAll, type BuildProperties, type PropertyValue, type Renderable } from './renderable.js';
import { splitShellWords } from './shell-words.js';
import { containerVolumes } from './volumes.js';

/** The compression of a custom build context. */
export type ContextEncoding = typeof CONTEXT_ENCODINGS[number];

/**
 * How the worker knows the instance is ready. `'attached'`: the host calls
 * `attached()` when the worker inside connects (Buildbot's way). The others
 * let the Docker worker call it itself: `{ logLine }` when a line of the
 * container's output matches, `'healthy'` when its healthcheck passes,
 * `'running'` as soon as it runs.
 */
export type ReadinessStrategy = typeof READINESS[number] | { readonly logLine: RegExp };

/** A host-config value: JSON-like data, or a function of the build's properties giving one. */
export type HostConfigValue =
  | string | number | boolean | null | readonly unknown[] | { readonly [key: string]: unknown }
  | ((props: BuildProperties) => unknown);

/** Host-config fields by their Engine API names (`NetworkMode`, `Binds`, `Init`, …); each value may be renderable. */
export type HostConfigOptions = { readonly [key: string]: HostConfigValue };

/**
 * Options of a Docker latent worker: Buildbot's `DockerLatentWorker`
 * options (camelCase), plus what Buildbot lacks. Every option that shapes
 * the container or the engine connection may be a {@link Renderable},
 * rendered against the build's properties when the instance starts; the
 * options that govern the worker's lifecycle (name, password, timeouts,
 * `maxBuilds`, `properties`, `readiness`) are fixed at construction.
 */
export interface DockerLatentWorkerOptions extends LatentWorkerOptions {
  /** `buildWaitTimeout` as in {@link LatentWorkerOptions}, but default 0 (Buildbot's Docker default): stop after each last build. */
  buildWaitTimeout?: number;
  /** `WORKERPASS`. Absent or null: a random 20-character `[A-Za-z0-9]` password, generated once per worker object. */
  password?: string | null;
  /** Identifies this master in labels and names. Default `<hostname>:<cwd>` (Buildbot's master name). */
  masterId?: string;
  /** The engine: any `DOCKER_HOST` form. Default: resolved like the docker CLI (`DOCKER_HOST`, contexts, the default socket). */
  dockerHost?: Renderable<string>;
  /** TLS to the engine: true, false, or TLS options (`ca`, `cert`, `key`, `certPath`, `verify`, `servername`). Default: from the environment. */
  tls?: Renderable<boolean | TlsOptions>;
  /** Pins the Engine API version (e.g. `1.41`). Default: negotiated. */
  version?: Renderable<string>;
  /** The image to run. With `dockerfile`, the tag of the image built when it is missing. Either `image` or `dockerfile` is required. */
  image?: Renderable<string>;
  /** Dockerfile contents to build from when the image is missing; with `customContext`, a path on the master to a build-context archive. */
  dockerfile?: Renderable<string>;
  /** `dockerfile` is the path of a tar archive (compressed by `encoding`) sent as the whole build context. Default false. */
  customContext?: Renderable<boolean>;
  /** Compression of the custom context: `gzip` (default), `bzip2`, `xz` or `identity`. */
  encoding?: Renderable<ContextEncoding>;
  /** Build arguments (`ARG`), sent with every build (Buildbot sent them only with a custom context). */
  buildargs?: Renderable<Readonly<Record<string, Renderable<string>>>>;
  /** The stage of a multi-stage build to build (Buildbot crashed on this option). Default: the last stage. */
  target?: Renderable<string>;
  /** The container's command (`Cmd`): an array, or a string split like a shell does. Default: the image's. */
  command?: Renderable<string | ReadonlyArray<Renderable<string>>>;
  /** `docker -v` volume specifications, merged with `hostconfig.Binds` (never replacing them). Default none. */
  volumes?: Renderable<ReadonlyArray<Renderable<string>>>;
  /** Host-config fields by their Engine API names, passed through. `Init` defaults to true. */
  hostconfig?: Renderable<HostConfigOptions>;
  /** Pull the image when it is missing (and, with `alwaysPull`, even when present). Default false. */
  autopull?: Renderable<boolean>;
  /** With `autopull`, pull before every start; also refreshes the base image of every build. Default false. */
  alwaysPull?: Renderable<boolean>;
  /** The container's host name. Default: the engine's (the short container id). */
  hostname?: Renderable<string>;
  /**
   * Copy the container's output to `output` events (password redacted):
   * `true` until the worker is ready, `'always'` until the container stops.
   * Default false.
   */
  followStartupLogs?: boolean | 'always';
  /** `BUILDMASTER`: how the container reaches the master (`host`, `host:port`, `[v6]:port`, `tcp://host:port`). Default: this machine's host name. */
  masterFQDN?: Renderable<string>;
  /** `BUILDMASTER_PORT`, when `masterFQDN` has no port. Default 9989. */
  masterPort?: number;
  /** `BUILDMASTER_PROTOCOL`: `pb` (default) or `msgpack_experimental_v7`. */
  masterProtocol?: MasterProtocol;
  /** Properties added to every build on this worker, and visible to renderables. Default none. */
  properties?: Readonly<Record<string, PropertyValue>>;
  /** Extra container labels (keys starting with `berth.` are reserved). */
  labels?: Renderable<Readonly<Record<string, Renderable<string>>>>;
  /** Extra environment variables (the worker contract's variables are reserved). */
  env?: Renderable<Readonly<Record<string, Renderable<string>>>>;
  /** `user[:group]` the command runs as. Default: the image's. */
  user?: Renderable<string>;
  /** Absolute working directory. Default: the image's. */
  workingDir?: Renderable<string>;
  /** The entrypoint: an array, or a string taken as one word (as `docker run --entrypoint`). Default: the image's. */
  entrypoint?: Renderable<string | ReadonlyArray<Renderable<string>>>;
  /** `os[/arch[/variant]]` of the image and container, e.g. `linux/arm64`. Default: the engine's. */
  platform?: Renderable<string>;
  /** The signal that stops the container (`SIGTERM`, `TERM`, `15`). Default: the image's, else SIGTERM. */
  stopSignal?: Renderable<string>;
  /** Seconds between the stop signal and SIGKILL. Default: the engine's (10). */
  stopTimeout?: Renderable<number>;
  /** Let the engine remove the container when it exits (`HostConfig.AutoRemove`). Default false. */
  autoRemove?: Renderable<boolean>;
  /** How readiness is decided (see {@link ReadinessStrategy}). Default `'attached'`. */
  readiness?: ReadinessStrategy;
  /** The container's healthcheck (`Healthcheck`, Engine API names; durations in nanoseconds). Default: the image's. */
  healthcheck?: Renderable<HealthConfig>;
  /** Networks to connect the container to at creation (`NetworkingConfig`, passed through). Default: the engine's. */
  networkingConfig?: Renderable<NetworkingConfig>;
  /**
   * Credentials for pulling the image: an AuthConfig, a `RegistryAuth`, or
   * an encoded `{ header }`. Default: the docker config of the engine
   * client's environment (`config.json`, its credential helpers). Kept out
   * of every event, error and log line.
   */
  registryAuth?: AuthOption;
  /**
   * The engine client to use instead of one made from `dockerHost`, `tls`
   * and `version`: a `Docker`, or a function of the rendered connection
   * giving one (an engine pool). The worker never closes a given client.
   */
  docker?: DockerProvider;
  /**
   * Remove the orphans of this master on the engine (see `reapOrphans`)
   * before the worker's first start. Default false.
   */
  reapAtFirstStart?: boolean;
}

/** The options as `checkConfig` leaves them: checked, lifecycle settings resolved, renderables kept for each start. */
export interface DockerWorkerConfig {
  readonly settings: LatentWorkerSettings;
  readonly options: DockerLatentWorkerOptions;
  readonly password: string;
  readonly passwordGenerated: boolean;
  readonly masterId: string;
  readonly masterPort: number | undefined;
  readonly masterProtocol: MasterProtocol;
  readonly followStartupLogs: boolean | 'always';
  readonly properties: Readonly<Record<string, PropertyValue>>;
  /** With a `logLine` RegExp rebuilt without the `g` and `y` flags (stateful `test()`). */
  readonly readiness: ReadinessStrategy;
  /** The `masterFQDN` used when none is configured (this machine's host name). */
  readonly defaultMasterFQDN: string;
  readonly registryAuth: AuthOption | undefined;
  readonly docker: DockerProvider | undefined;
  readonly reapAtFirstStart: boolean;
}

/** The renderable options, rendered for one build and checked. */
export interface RenderedDockerOptions {
  readonly dockerHost: string | undefined;
  readonly tls: boolean | TlsOptions | undefined;
  readonly version: string | undefined;
  readonly image: string | undefined;
  readonly dockerfile: string | undefined;
  readonly customContext: boolean;
  readonly encoding: ContextEncoding;
  readonly buildargs: Readonly<Record<string, string>>;
  readonly target: string | undefined;
  /** Empty: the image's command. */
  readonly command: readonly string[];
  readonly volumes: readonly string[];
  readonly hostconfig: Readonly<Record<string, unknown>>;
  readonly autopull: boolean;
  readonly alwaysPull: boolean;
  readonly hostname: string | undefined;
  readonly masterFQDN: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly env: Readonly<Record<string, string>>;
  readonly user: string | undefined;
  readonly workingDir: string | undefined;
  readonly entrypoint: readonly string[] | undefined;
  readonly platform: string | undefined;
  readonly stopSignal: string | undefined;
  readonly stopTimeout: number | undefined;
  readonly autoRemove: boolean | undefined;
  readonly healthcheck: HealthConfig | undefined;
  readonly networkingConfig: NetworkingConfig | undefined;
}

type RenderedKey = keyof RenderedDockerOptions;

/** The shape of a renderable option, for checking: one value, a list, a record, or a command. */
type Shape =
  | { readonly kind: 'value'; readonly check: ValueCheck }
  | { readonly kind: 'list'; readonly item: ValueCheck }
  | { readonly kind: 'record'; readonly item: ValueCheck; readonly key?: ValueCheck }
  | { readonly kind: 'command' };

const value = (check: ValueCheck): Shape => ({ kind: 'value', check });
const COMMAND: Shape = { kind: 'command' };

const hostConfigValueCheck: ValueCheck = (v, path) => {
  const key = path.slice(path.indexOf('.') + 1);
  const problem = HOST_CONFIG_CHECKS[key]?.(v, path);
  if (problem !== undefined || key !== 'Binds' || !Array.isArray(v)) return problem;
  const bad = v.map((item) => (typeof item === 'function' ? undefined : volumeCheck(item, path))).find((p) => p !== undefined);
  return bad;
};

/** Every renderable option and how to check it. */
const SHAPES: { readonly [K in RenderedKey]: Shape } = {
  dockerHost: value(dockerHostCheck), tls: value(tlsCheck), version: value(apiVersionCheck), image: value(imageCheck),
  dockerfile: value(isNonEmptyString), customContext: value(isBoolean), encoding: value(encodingCheck),
  buildargs: { kind: 'record', item: isString }, target: value(buildTargetCheck), command: COMMAND,
  volumes: { kind: 'list', item: volumeCheck }, hostconfig: { kind: 'record', item: hostConfigValueCheck, key: hostConfigKeyCheck },
  autopull: value(isBoolean), alwaysPull: value(isBoolean), hostname: value(hostnameCheck), masterFQDN: value(isNonEmptyString),
  labels: { kind: 'record', item: isString, key: labelKeyCheck }, env: { kind: 'record', item: envEntryCheck },
  user: value(userCheck), workingDir: value(workingDirCheck), entrypoint: COMMAND, platform: value(platformCheck),
  stopSignal: value(stopSignalCheck), stopTimeout: value(stopTimeoutCheck), autoRemove: value(isBoolean),
  healthcheck: value(healthcheckCheck), networkingConfig: value(isObject),
};
const RENDERED_KEYS = Object.keys(SHAPES) as RenderedKey[];

/** Checks one option against its shape. Renderable parts (functions) are skipped: they are checked once rendered. */
function checkShape(problems: ConfigProblems, option: string, v: unknown, shape: Shape): void {
  if (v === undefined || typeof v === 'function') return;
  const report = (path: string, problem: string | undefined): void => {
    if (problem !== undefined) problems.add(path, problem);
  };
  switch (shape.kind) {
    case 'value':
      report(option, shape.check(v, option));
      return;
    case 'command':
      report(option, commandCheck(v, option));
      if (Array.isArray(v)) v.forEach((item, i) => { if (typeof item !== 'function') report(`${option}[${i}]`, isString(item, option)); });
      return;
    case 'list':
      if (!Array.isArray(v)) return report(option, `must be an array, got ${describeType(v)}`);
      v.forEach((item, i) => { if (typeof item !== 'function') report(`${option}[${i}]`, shape.item(item, `${option}[${i}]`)); });
      return;
    case 'record':
      if (!isPlainObject(v)) return report(option, `must be an object, got ${describeType(v)}`);
      for (const [key, item] of Object.entries(v)) {
        const path = `${option}.${key}`;
        report(path, shape.key?.(item, path));
        if (item !== undefined && typeof item !== 'function') report(path, shape.item(item, path));
      }
  }
}

/** Checks that involve several options, on whatever is known (literal) now. */
function crossCheck(problems: ConfigProblems, o: Readonly<Record<string, unknown>>, masterPort: number | undefined): void {
  const given = (v: unknown): boolean => v !== undefined && v !== '';
  if (!given(o.image) && !given(o.dockerfile)) problems.add('image', 'give an image, a dockerfile, or both');
  if (o.customContext === true && !given(o.dockerfile)) problems.add('customContext', 'needs dockerfile: the path of the context archive');
  const hostconfig = isPlainObject(o.hostconfig) ? o.hostconfig : {};
  const autoRemove = hostconfig.AutoRemove;
  if (typeof o.autoRemove === 'boolean' && typeof autoRemove === 'boolean' && o.autoRemove !== autoRemove) {
    problems.add('autoRemove', `contradicts hostconfig.AutoRemove (${String(autoRemove)}); set it once`);
  }
  const binds = Array.isArray(hostconfig.Binds) ? hostconfig.Binds : [];
  const volumes = Array.isArray(o.volumes) ? o.volumes : [];
  const all = [...binds, ...volumes];
  if (all.every((v): v is string => typeof v === 'string')) problems.attempt('volumes', () => containerVolumes(all));
  if (typeof o.masterFQDN === 'string') problems.attempt('masterFQDN', () => parseMasterAddress(o.masterFQDN as string, masterPort));
}

/** `<hostname>:<cwd>`, Buildbot's master name. */
export function defaultMasterId(): string {
  return `${hostname()}:${process.cwd()}`;
}

/**
 * Checks Docker worker options at construction (Buildbot's `checkConfig`):
 * every literal value, and the relations between them; renderable values are
 * checked when rendered. Applies the defaults and generates the password
 * when none is given.
 * @throws WorkerConfigError listing every problem found
 */
export function checkConfig(options: DockerLatentWorkerOptions): DockerWorkerConfig {
  const problems = new ConfigProblems();
  const settings = latentWorkerSettings(options, problems, { buildWaitTimeout: 0 });
  const record = options as unknown as Readonly<Record<string, unknown>>;
  for (const key of RENDERED_KEYS) checkShape(problems, key, record[key], SHAPES[key]);
  const { password, masterId, masterPort, masterProtocol, followStartupLogs, properties, readiness } = options;
  if (password !== undefined && password !== null && (typeof password !== 'string' || password === '')) {
    problems.add('password', 'must be a non-empty string, or null to generate one');
  }
  const masterIdProblem = masterId === undefined ? undefined : isNonEmptyString(masterId, 'masterId');
  if (masterIdProblem !== undefined) problems.add('masterId', masterIdProblem);
  const portProblem = masterPort === undefined ? undefined : portCheck(masterPort, 'masterPort');
  if (portProblem !== undefined) problems.add('masterPort', portProblem);
  const protocolProblem = masterProtocol === undefined ? undefined : protocolCheck(masterProtocol, 'masterProtocol');
  if (protocolProblem !== undefined) problems.add('masterProtocol', protocolProblem);
  if (followStartupLogs !== undefined && typeof followStartupLogs !== 'boolean' && followStartupLogs !== 'always') {
    problems.add('followStartupLogs', `must be true, false or 'always', got ${describeType(followStartupLogs)}`);
  }
  if (properties !== undefined && !isPlainObject(properties)) problems.add('properties', `must be an object, got ${describeType(properties)}`);
  const readinessProblem = readiness === undefined ? undefined : readinessCheck(readiness, 'readiness');
  if (readinessProblem !== undefined) problems.add('readiness', readinessProblem);
  checkEngineOptions(problems, options);
  crossCheck(problems, record, portProblem === undefined ? masterPort : undefined);
  problems.throwIfAny(String(options.name));
  const logLine = typeof readiness === 'object' ? readiness.logLine : undefined;
  return {
    settings,
    options,
    password: typeof password === 'string' ? password : generatePassword(),
    passwordGenerated: typeof password !== 'string',
    masterId: masterId ?? defaultMasterId(),
    masterPort,
    masterProtocol: masterProtocol ?? (MASTER_PROTOCOLS[0] as MasterProtocol),
    followStartupLogs: followStartupLogs ?? false,
    properties: { ...properties },
    readiness: logLine ? { logLine: new RegExp(logLine.source, logLine.flags.replace(/[gy]/g, '')) } : readiness ?? 'attached',
    defaultMasterFQDN: hostname(),
    registryAuth: options.registryAuth,
    docker: options.docker,
    reapAtFirstStart: options.reapAtFirstStart ?? false,
  };
}

/** The options about the engine itself: a given client, registry credentials, the reaper. */
function checkEngineOptions(problems: ConfigProblems, options: DockerLatentWorkerOptions): void {
  const { docker, registryAuth, reapAtFirstStart } = options;
  if (docker !== undefined && !(docker instanceof Docker) && typeof docker !== 'function') {
    problems.add('docker', `must be a Docker client or a function giving one, got ${describeType(docker)}`);
  }
  if (docker instanceof Docker) {
    const set = (['dockerHost', 'tls', 'version'] as const).filter((k) => options[k] !== undefined);
    if (set.length > 0) problems.add('docker', `a given client has its own connection: leave out ${set.join(', ')}`);
  }
  if (registryAuth !== undefined && !(registryAuth instanceof RegistryAuth) && !isPlainObject(registryAuth)) {
    problems.add('registryAuth', `must be credentials, a RegistryAuth or { header }, got ${describeType(registryAuth)}`);
  }
  if (reapAtFirstStart !== undefined && typeof reapAtFirstStart !== 'boolean') problems.add('reapAtFirstStart', isBoolean(reapAtFirstStart, '') ?? '');
}

/** A string-or-list option as a list: a command string is split like a shell; an entrypoint string is one word. */
function asWords(v: unknown, split: boolean): string[] | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return split ? splitShellWords(v) : [v];
  return (v as readonly string[]).slice();
}

/**
 * Renders every renderable option for a build (deeply: list items, record
 * values, host-config values) and checks the result.
 * @throws RenderError when a renderable throws; WorkerConfigError when a rendered value is invalid
 */
export async function renderDockerOptions(config: DockerWorkerConfig, props: BuildProperties): Promise<RenderedDockerOptions> {
  const source = config.options as unknown as Readonly<Record<string, unknown>>;
  const rendered: Record<string, unknown> = {};
  await Promise.all(RENDERED_KEYS.map(async (key) => {
    rendered[key] = await renderAll(source[key], props, key);
  }));
  const problems = new ConfigProblems();
  for (const key of RENDERED_KEYS) checkShape(problems, key, rendered[key], SHAPES[key]);
  crossCheck(problems, rendered, config.masterPort);
  problems.throwIfAny(config.settings.name);
  const r = rendered as Partial<Record<RenderedKey, unknown>>;
  const text = (v: unknown): string | undefined => (v === '' ? undefined : v as string | undefined);
  return {
    dockerHost: text(r.dockerHost), tls: r.tls as boolean | TlsOptions | undefined, version: text(r.version),
    image: text(r.image), dockerfile: text(r.dockerfile), customContext: r.customContext === true,
    encoding: (r.encoding ?? 'gzip') as ContextEncoding, buildargs: (r.buildargs ?? {}) as Record<string, string>,
    target: text(r.target), command: asWords(r.command, true) ?? [], volumes: (r.volumes ?? []) as string[],
    hostconfig: (r.hostconfig ?? {}) as Record<string, unknown>, autopull: r.autopull === true, alwaysPull: r.alwaysPull === true,
    hostname: text(r.hostname), masterFQDN: text(r.masterFQDN) ?? config.defaultMasterFQDN,
    labels: (r.labels ?? {}) as Record<string, string>, env: (r.env ?? {}) as Record<string, string>,
    user: text(r.user), workingDir: text(r.workingDir), entrypoint: asWords(r.entrypoint, false), platform: text(r.platform),
    stopSignal: text(r.stopSignal), stopTimeout: r.stopTimeout as number | undefined, autoRemove: r.autoRemove as boolean | undefined,
    healthcheck: r.healthcheck as HealthConfig | undefined, networkingConfig: r.networkingConfig as NetworkingConfig | undefined,
  };
}
