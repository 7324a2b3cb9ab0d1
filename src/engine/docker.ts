import { EventEmitter } from 'node:events';
import { arch, platform } from 'node:os';
import { CredentialStore } from './auth.js';
import { EngineContext } from './context.js';
import { Endpoint, processEnvironment, resolveEndpoint, type EndpointEnvironment, type EndpointOptions } from './endpoint.js';
import { Negotiator, type PingInfo } from './negotiate.js';
import { BERTH_VERSION } from './package-version.js';
import { Requester, type CallOptions } from './request.js';
import { ConfigsApi } from './resources/configs.js';
import { ContainersApi } from './resources/containers.js';
import { streamEvents, type EventsOptions } from './resources/events.js';
import { ExecApi } from './resources/exec.js';
import { ImagesApi } from './resources/images.js';
import { NetworksApi } from './resources/networks.js';
import { NodesApi } from './resources/nodes.js';
import { SecretsApi } from './resources/secrets.js';
import { ServicesApi } from './resources/services.js';
import { SwarmApi } from './resources/swarm.js';
import type { SshOptions } from './ssh/args.js';
import { SshSession } from './ssh/session.js';
import { SystemApi, type PingResult, type SystemDfOptions } from './resources/system.js';
import { TasksApi } from './resources/tasks.js';
import { VolumesApi } from './resources/volumes.js';
import { Transport, type TransportOptions } from './transport.js';
import type { LazyStream } from './streams/lazy.js';
import type { EventMessage } from './types/events.js';
import type { SystemDataUsage, SystemInfo, SystemVersion } from './types/system.js';

/** Options of a {@link Docker} client. Everything is optional: the environment fills the rest. */
export interface DockerOptions extends EndpointOptions, TransportOptions {
  /**
   * Pin the API version instead of negotiating it. Wins over
   * `DOCKER_API_VERSION`.
   */
  apiVersion?: string;
  /** Environment variables to resolve the endpoint from (default `process.env`). Pass `{}` to ignore the environment. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Default milliseconds to wait for an answer to a unary call (default 300 s). */
  timeout?: number;
  /**
   * The most bytes of a JSON or text result read into memory (default
   * 256 MiB); a bigger answer fails with a `DockerProtocolError` as soon as
   * it passes the bound. Streams are not bounded by it (their lines are, by
   * `maxLineBytes`; frame payload is handed on, never held).
   */
  maxResponseBytes?: number;
  /** Extra headers sent with every request. */
  headers?: Readonly<Record<string, string>>;
  /** User-Agent header (default `berth/<version> (node …)`). */
  userAgent?: string;
  /** For tests: the environment reader used for endpoint resolution. */
  environment?: EndpointEnvironment;
  /**
   * Registry credentials for pulls and pushes given no `auth` (default: the
   * docker config of the same environment — `DOCKER_CONFIG`, else
   * `~/.docker` — read once, on first use).
   */
  credentials?: CredentialStore;
  /**
   * How `ssh://` endpoints run the system ssh client: identity file, config
   * file, extra arguments, binary, channels per connection, idle time. ssh
   * runs with this process's environment (`SSH_AUTH_SOCK` for the agent) and,
   * unless `configFile` says otherwise, the user's ssh_config.
   */
  ssh?: SshOptions;
}

/** Events a {@link Docker} client emits. */
export interface DockerEvents {
  /** Something the user should know: plain TCP to a remote host, an ignored variable. */
  warning: [message: string];
}

/**
 * A client of one Docker-compatible engine. Create it, call it, `close()`
 * it. Every call takes an options object with `signal`.
 *
 * ```ts
 * const docker = Docker.fromEnv();
 * await docker.ping();
 * console.log(docker.apiVersion, docker.endpoint.describe());
 * await docker.close();
 * ```
 */
export class Docker extends EventEmitter<DockerEvents> {
  /** Where this client talks to, and why (`endpoint.describe()`). */
  readonly endpoint: Endpoint;
  /** `GET /_ping`, `/version`, `/info`, `/system/df`. */
  readonly system: SystemApi;
  /** Containers: create, start, stop, wait, logs, attach, exec, stats, inspect, list, remove, … */
  readonly containers: ContainersApi;
  /** Exec instances: create, start (hijacked), inspect, resize. For a whole command, `containers.exec`. */
  readonly exec: ExecApi;
  /** Networks: create, inspect, list, connect, disconnect, remove, prune. */
  readonly networks: NetworksApi;
  /** Volumes: create, inspect, list, remove, prune. */
  readonly volumes: VolumesApi;
  /** The swarm itself: init, join, leave, inspect, update, unlock key. */
  readonly swarm: SwarmApi;
  /** Swarm nodes: list, inspect, update (availability, labels, role), remove. */
  readonly nodes: NodesApi;
  /** Swarm services: create, inspect, list, update, remove. */
  readonly services: ServicesApi;
  /** Swarm tasks: list, inspect. */
  readonly tasks: TasksApi;
  /** Secrets: create, inspect, list, update, remove. */
  readonly secrets: SecretsApi;
  /** Swarm configs: create, inspect, list, update, remove. */
  readonly configs: ConfigsApi;
  /** Images: build, pull, push, import, load, save, inspect, exists, list, tag, remove, prune, history. */
  readonly images: ImagesApi;
  /** @internal */
  readonly requester: Requester;
  /** @internal */
  readonly negotiator: Negotiator;
  /** @internal */
  readonly transport: Transport;
  /** @internal */
  readonly context: EngineContext;
  /** @internal The shared ssh connections of an `ssh://` endpoint. */
  readonly sshSession: SshSession | undefined;

  constructor(options: DockerOptions = {}) {
    super();
    const environment = options.environment ?? processEnvironment(options.env ?? process.env);
    this.endpoint = resolveEndpoint(options, environment);
    const envVersion = environment.env.DOCKER_API_VERSION;
    const pin = options.apiVersion !== undefined
      ? { version: options.apiVersion, by: 'the apiVersion option' }
      : envVersion !== undefined && envVersion !== '' ? { version: envVersion, by: 'DOCKER_API_VERSION' } : undefined;
    this.negotiator = new Negotiator(pin);
    const ssh = this.endpoint.protocol === 'ssh' && this.endpoint.ssh !== undefined
      ? new SshSession(this.endpoint.ssh, options.ssh, { endpoint: this.endpoint.url, connectTimeout: options.connectTimeout })
      : undefined;
    this.sshSession = ssh;
    this.transport = new Transport(this.endpoint, options, ssh !== undefined ? (signal) => ssh.dial(signal) : undefined);
    this.requester = new Requester(this.transport, this.negotiator, {
      timeout: options.timeout,
      maxResponseBytes: options.maxResponseBytes,
      userAgent: options.userAgent ?? `berth/${BERTH_VERSION} (node ${process.version}; ${platform()}/${arch()})`,
      headers: options.headers,
    });
    this.negotiator.attach(this.requester);
    this.system = new SystemApi(this.requester, this.negotiator);
    this.context = new EngineContext(this.requester, this.negotiator, options.credentials ?? new CredentialStore({ environment }));
    const ctx = this.context;
    this.containers = new ContainersApi(ctx);
    this.exec = new ExecApi(ctx);
    this.networks = new NetworksApi(ctx);
    this.volumes = new VolumesApi(ctx);
    this.swarm = new SwarmApi(ctx);
    this.nodes = new NodesApi(ctx);
    this.services = new ServicesApi(ctx);
    this.tasks = new TasksApi(ctx);
    this.secrets = new SecretsApi(ctx);
    this.configs = new ConfigsApi(ctx);
    this.images = new ImagesApi(ctx);
    if (this.endpoint.protocol === 'tcp' && !this.endpoint.tls && !this.endpoint.isLoopback) {
      // emitted after construction so listeners attached right away see it
      queueMicrotask(() => this.warn(`talking plain HTTP (no TLS) to ${this.endpoint.url}: anyone on the network path can read and control this engine`));
    }
  }

  /** A client configured from the environment: DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH, DOCKER_API_VERSION, DOCKER_CONTEXT, config.json. */
  static fromEnv(options: Omit<DockerOptions, 'host' | 'socketPath'> = {}): Docker {
    return new Docker(options);
  }

  /** The API version in use: pinned, or negotiated by the first call; undefined before that. */
  get apiVersion(): string | undefined {
    return this.negotiator.current;
  }

  /** What the last `/_ping` said (osType, experimental, builderVersion, swarm); undefined before the first ping. */
  get pingInfo(): PingInfo | undefined {
    return this.negotiator.ping;
  }

  /** Negotiates the API version now (it otherwise happens on the first call). `HEAD /_ping`. */
  negotiate(options: CallOptions = {}): Promise<string> {
    return this.negotiator.negotiate(options.signal);
  }

  /** `HEAD /_ping` (GET fallback): is the engine there, and which API version is used. */
  ping(options: CallOptions = {}): Promise<PingResult> {
    return this.system.ping(options);
  }

  /** `GET /version` */
  version(options: CallOptions = {}): Promise<SystemVersion> {
    return this.system.version(options);
  }

  /** `GET /info` */
  info(options: CallOptions = {}): Promise<SystemInfo> {
    return this.system.info(options);
  }

  /**
   * `GET /events` — what happens on the engine, as typed messages, opened on
   * the first `next()`:
   *
   * ```ts
   * for await (const e of docker.events({ filters: { label: ['berth.worker'] }, signal })) console.log(e.Action);
   * ```
   *
   * The stream ends by itself once `until` is reached (a past `until` with a
   * `since` replays that window and ends). Otherwise it runs until `break`,
   * which ends it quietly, or `signal`, which ends it with a
   * `DockerAbortError` like every other stream. Its connection has no body
   * timeout.
   */
  events(options: EventsOptions = {}): LazyStream<EventMessage> {
    return streamEvents(this.context, options);
  }

  /** `GET /system/df` */
  df(options: SystemDfOptions = {}): Promise<SystemDataUsage> {
    return this.system.df(options);
  }

  /** Closes connections: idle keep-alive sockets, long streams and hijacked sockets (and, over ssh, the shared ssh connections). */
  async close(): Promise<void> {
    try {
      await this.transport.close();
    } finally {
      await this.sshSession?.close();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private warn(message: string): void {
    if (this.listenerCount('warning') > 0) this.emit('warning', message);
    else process.emitWarning(message, { code: 'BERTH_PLAIN_TCP' });
  }
}
