import { ConfigProblems, describeType, secondsOption } from '../config-problems.js';
import { WorkerConfigError } from '../errors.js';
import { isPlainObject } from '../compatibility.js';
import { checkConfig, type DockerLatentWorkerOptions, type DockerWorkerConfig } from '../options.js';

/**
 * Options of a Swarm latent worker: the Docker worker's options that mean
 * the same for a service (the worker contract, image, command, env, labels,
 * user, the manager's connection…), and the service's own: network,
 * placement, resources, and how the password reaches the worker.
 */

/** The Docker worker options a service has no use for (building images, host config, bind mounts, pools). */
export const SWARM_UNSUPPORTED = [
  'dockerfile', 'customContext', 'encoding', 'buildargs', 'target', 'volumes', 'hostconfig', 'autopull', 'alwaysPull',
  'autoRemove', 'networkingConfig', 'platform', 'healthcheck', 'pool', 'requireLabels', 'reapAtFirstStart',
] as const;

/** How `WORKERPASS` reaches the worker. */
export type PasswordDelivery = 'secret' | 'env';

/** CPU and memory of a task: `nanoCPUs` (1e9 = one CPU) and `memoryBytes`. */
export interface SwarmResources {
  readonly nanoCPUs?: number;
  readonly memoryBytes?: number;
}

/** Options of a {@link SwarmLatentWorker}. */
export interface SwarmLatentWorkerOptions extends Omit<DockerLatentWorkerOptions, typeof SWARM_UNSUPPORTED[number]> {
  /** The image, resolved on the manager to its id (`sha256:…`) so that no node asks a registry for it. Required. */
  image: NonNullable<DockerLatentWorkerOptions['image']>;
  /**
   * The network of the task: `'host'` (default: the worker reaches the
   * master as the node's own host does), or the name of an overlay network.
   */
  network?: string;
  /** Placement constraints, e.g. `node.role==worker`, `node.labels.zone==a`, `node.hostname==build-3`. */
  constraints?: readonly string[];
  /** Placement preferences: spread descriptors, e.g. `node.labels.zone` (spread tasks evenly over its values). */
  preferences?: readonly string[];
  /** The most the task may use. */
  limits?: SwarmResources;
  /** What a node must have free for the task to be placed there. */
  reservations?: SwarmResources;
  /**
   * `'secret'` (default): `WORKERPASS` is a Swarm secret made for each
   * start, mounted at `/run/secrets/WORKERPASS`, and the container gets
   * `WORKERPASS_FILE=/run/secrets/WORKERPASS` instead of `WORKERPASS`
   * (the image's entrypoint reads the file). `'env'`: `WORKERPASS` in the
   * environment, as Buildbot's worker image expects (visible to anyone who
   * can inspect the service).
   */
  passwordDelivery?: PasswordDelivery;
  /** Seconds the task may take to reach `running` (placement, pull, start). Default 120. */
  taskStartTimeout?: number;
  /** Seconds between reads of the task's state while starting and stopping. Default 0.25. */
  taskPollInterval?: number;
}

/** The options as checked. */
export interface SwarmWorkerConfig {
  readonly docker: DockerWorkerConfig;
  readonly network: string;
  readonly constraints: readonly string[];
  readonly preferences: readonly string[];
  readonly limits: SwarmResources | undefined;
  readonly reservations: SwarmResources | undefined;
  readonly passwordDelivery: PasswordDelivery;
  readonly taskStartMs: number;
  readonly taskPollMs: number;
}

function stringList(problems: ConfigProblems, option: string, v: unknown): readonly string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x.trim() !== '')) {
    problems.add(option, `must be an array of non-empty strings, got ${describeType(v)}`);
    return [];
  }
  return [...v as string[]];
}

function resources(problems: ConfigProblems, option: string, v: unknown): SwarmResources | undefined {
  if (v === undefined) return undefined;
  if (!isPlainObject(v)) {
    problems.add(option, `must be an object, got ${describeType(v)}`);
    return undefined;
  }
  for (const [key, value] of Object.entries(v)) {
    if (key !== 'nanoCPUs' && key !== 'memoryBytes') problems.add(`${option}.${key}`, 'is not a resource (nanoCPUs, memoryBytes)');
    else if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) problems.add(`${option}.${key}`, 'must be a positive integer');
  }
  return { ...v } as SwarmResources;
}

/**
 * Checks Swarm worker options: the shared ones as a Docker worker's, the
 * service's own here; every problem is reported at once.
 * @throws WorkerConfigError listing every problem
 */
export function checkSwarmConfig(options: SwarmLatentWorkerOptions): SwarmWorkerConfig {
  const problems = new ConfigProblems();
  const record = options as unknown as Readonly<Record<string, unknown>>;
  for (const key of SWARM_UNSUPPORTED) {
    if (record[key] !== undefined) problems.add(key, 'is not an option of a Swarm worker (the service runs a given image on the nodes)');
  }
  if (options.readiness === 'healthy') problems.add('readiness', "'healthy' is not supported by a Swarm worker: use 'attached', 'running' or { logLine }");
  if (options.network !== undefined && (typeof options.network !== 'string' || options.network === '')) problems.add('network', 'must be a non-empty string');
  const constraints = stringList(problems, 'constraints', options.constraints);
  const preferences = stringList(problems, 'preferences', options.preferences);
  const limits = resources(problems, 'limits', options.limits);
  const reservations = resources(problems, 'reservations', options.reservations);
  const delivery = options.passwordDelivery ?? 'secret';
  if (delivery !== 'secret' && delivery !== 'env') problems.add('passwordDelivery', `must be 'secret' or 'env', got ${String(delivery)}`);
  const taskStartMs = secondsOption(problems, 'taskStartTimeout', options.taskStartTimeout, { default: 120 }) ?? 120_000;
  const taskPollMs = secondsOption(problems, 'taskPollInterval', options.taskPollInterval, { default: 0.25 }) ?? 250;
  if (taskPollMs === 0) problems.add('taskPollInterval', 'must be more than 0');
  let docker: DockerWorkerConfig | undefined;
  try {
    docker = checkConfig(options as DockerLatentWorkerOptions);
  } catch (err) {
    if (!(err instanceof WorkerConfigError)) throw err;
    for (const p of err.problems) problems.add(p.option, p.message);
  }
  problems.throwIfAny(String(options.name));
  return {
    docker: docker as DockerWorkerConfig, network: options.network ?? 'host', constraints, preferences, limits, reservations,
    passwordDelivery: delivery, taskStartMs, taskPollMs,
  };
}
