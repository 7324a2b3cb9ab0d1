import type { StreamName } from '../engine/index.js';
import { delay } from './clock.js';
import type { InstanceCheck } from './crash-check.js';
import { containerSpec } from './container-spec.js';
import { EngineClients, type EngineConnection } from './docker/connections.js';
import { CleanupQueue } from './docker/cleanup-queue.js';
import { removeContainer, type ContainerRecord } from './docker/container-removal.js';
import { createContainer, removeStaleContainers, startContainer } from './docker/container-setup.js';
import { waitHealthy } from './docker/health.js';
import { provideImage, pullVanishedImage, type ImageEnvironment, type ImagePlan } from './docker/image-provision.js';
import { checkContainer, short } from './docker/instance-check.js';
import { registerLiveWorker } from './docker/live-workers.js';
import { Redactor } from './docker/redactor.js';
import { StartupLogs } from './docker/startup-logs.js';
import { timed, type DockerWorkerStep, type StepDetail } from './docker/steps.js';
import { LatentWorkerError, LatentWorkerAttachRefusedError, asError } from './errors.js';
import type { InstanceInfo } from './events.js';
import { LatentWorker } from './latent-worker.js';
import { ownerLabels } from './labels.js';
import { builtImageName } from './naming.js';
import { checkConfig, renderDockerOptions, type DockerLatentWorkerOptions, type DockerWorkerConfig, type RenderedDockerOptions } from './options.js';
import { reapOrphans } from './reaper.js';
import { buildProperties, type BuildProperties, type PropertyValue } from './renderable.js';
import { isPlainObject } from './compatibility.js';
import { secretsOf } from './docker/secrets.js';

/** How long a crash report waits for the rest of a stopped container's output, in milliseconds. */
const DRAIN_MS = 5000;

/** What a build may carry for rendering: its properties (Buildbot's build properties). */
export interface BuildWithProperties {
  readonly properties?: Readonly<Record<string, PropertyValue>> | BuildProperties;
}

/** Options of a {@link DockerLatentWorker}: the Docker options, and how to read a build's properties. */
export interface DockerLatentWorkerConfig<Build> extends DockerLatentWorkerOptions {
  /**
   * The properties of a build, for rendering the options. Default: the
   * build's `properties` member, when it has one. The worker's `properties`
   * and `workername` come first; the build's win.
   */
  propertiesOf?: (build: Build) => Readonly<Record<string, PropertyValue>> | BuildProperties | undefined;
}

/** The container of the current start: kept from its creation until it is gone. */
interface Instance {
  readonly record: ContainerRecord;
  logs: StartupLogs | undefined;
  startedAt: number | undefined;
  ready: boolean;
}

/**
 * A latent worker whose instance is a container on a Docker engine
 * (dockerd or podman): Buildbot's `DockerLatentWorker`, on berth's engine
 * client. Every start makes a fresh container — leftovers removed by label,
 * the image checked, built or pulled, the container created with the
 * worker contract (`BUILDMASTER`, `BUILDMASTER_PORT`, `WORKERNAME`,
 * `WORKERPASS`, `BUILDMASTER_PROTOCOL`) and owner labels, its output
 * attached and its exit awaited before it starts — and every stop removes
 * it with its volumes, retrying until it is gone. Each step is reported with
 * its duration; no secret is ever in an event, an error or a log line.
 *
 * ```ts
 * const worker = new DockerLatentWorker({ name: 'w1', image: 'buildbot/buildbot-worker', masterFQDN: 'ci.example:9989' });
 * await worker.substantiate(build);   // resolves when the worker inside connected: the host calls worker.attached()
 * ```
 */
export class DockerLatentWorker<Build = BuildWithProperties> extends LatentWorker<Build> {
  /** The master this worker belongs to (labels, names). */
  readonly masterId: string;
  private readonly cfg: DockerWorkerConfig;
  private readonly propertiesOf: (build: Build) => Readonly<Record<string, PropertyValue>> | BuildProperties | undefined;
  private readonly clients: EngineClients;
  private readonly redactor: Redactor;
  private readonly cleanups: CleanupQueue;
  private readonly renderings = new WeakMap<object, Promise<RenderedDockerOptions>>();
  private readonly leave: () => void;
  private current: Instance | undefined;
  private reaped = false;
  private closing: Promise<void> | undefined;

  /** @throws WorkerConfigError listing every invalid option */
  constructor(options: DockerLatentWorkerConfig<Build>) {
    const cfg = checkConfig(options);
    super(options, cfg.settings);
    this.cfg = cfg;
    this.masterId = cfg.masterId;
    this.propertiesOf = options.propertiesOf ?? defaultPropertiesOf;
    this.clients = new EngineClients(cfg.docker);
    this.redactor = new Redactor(secretsOf(cfg.password, cfg.registryAuth));
    this.cleanups = new CleanupQueue(this.clock,
      (record) => removeContainer(record, { clock: this.clock, report: this.step, fast: true, retryDelaysMs: [] }),
      () => undefined);
    this.leave = registerLiveWorker(cfg.masterId, this.name);
  }

  /** The container of the running (or starting) instance. */
  get container(): { readonly id: string; readonly name: string } | undefined {
    const r = this.current?.record;
    return r === undefined ? undefined : { id: r.id, name: r.name };
  }

  /**
   * `WORKERPASS`: what the worker inside presents when it connects (the
   * configured password, or the one generated for this worker object). The
   * host's authentication compares with it; it is never in an event.
   */
  get password(): string {
    return this.cfg.password;
  }

  /** Containers that could not be removed yet: retried with backoff, and at `shutdown()`. */
  get pendingCleanups(): ReadonlyArray<{ readonly id: string; readonly name: string }> {
    return this.cleanups.records.map((r) => ({ id: r.id, name: r.name }));
  }

  /** The worker inside connected (see {@link LatentWorker.attached}); ends the startup logs (unless followed `'always'`) and reports `ready`. */
  override attached(): void {
    super.attached();
    const inst = this.current;
    if (inst === undefined || inst.ready) return;
    inst.ready = true;
    // the output is still read (for the crash report ring) only while it is followed
    if (this.cfg.followStartupLogs !== 'always') inst.logs?.close();
    // from the start request: a quick worker may connect before the engine answered the start
    this.step('ready', this.clock.now() - (inst.startedAt ?? this.clock.now()), { readiness: readinessName(this.cfg) });
  }

  /** Stops the instance for good, retries pending cleanups once more, closes the engine clients it made. */
  override shutdown(): Promise<void> {
    this.closing ??= this.close();
    return this.closing;
  }

  protected override renderCompatibilityKey(build: Build | undefined): Promise<RenderedDockerOptions> {
    return this.renderFor(build);
  }

  protected async startInstance(build: Build | undefined, signal: AbortSignal): Promise<InstanceInfo> {
    try {
      return await this.start(build, signal);
    } catch (err) {
      throw this.redactor.error(asError(err));
    }
  }

  protected async stopInstance(fast: boolean): Promise<void> {
    const inst = this.current;
    if (inst === undefined) return;
    // followed 'always': the last words of the stopping container too
    if (this.cfg.followStartupLogs !== 'always') inst.logs?.close();
    try {
      await removeContainer(inst.record, { clock: this.clock, report: this.step, fast });
    } catch (err) {
      // never forgotten: the queue retries until the container is gone (Buildbot leaked it: PR #5308)
      this.cleanups.add(inst.record);
      throw this.redactor.error(new LatentWorkerError(this.name,
        `container ${short(inst.record.id)} of worker "${this.name}" could not be removed (${asError(err).message}); it is kept and retried`,
        'ERR_WORKER_CLEANUP_PENDING', { cause: err }));
    } finally {
      inst.logs?.close();
      if (this.current === inst) this.current = undefined;
    }
  }

  protected override async checkInstance(): Promise<InstanceCheck> {
    const inst = this.current;
    if (inst === undefined) return { ok: false, reason: 'no container was made' };
    return checkContainer({
      docker: inst.record.docker, id: inst.record.id, redactor: this.redactor, lines: () => inst.logs?.lines() ?? [],
      drained: () => this.drained(inst),
    });
  }

  private readonly step = (step: DockerWorkerStep, durationMs: number, detail?: StepDetail): void => {
    this.reportStep(step, durationMs, detail);
  };

  private async start(build: Build | undefined, signal: AbortSignal): Promise<InstanceInfo> {
    const { clock, step: report } = this;
    const o = await timed(clock, report, 'render', () => this.renderFor(build));
    // the next start for this build renders afresh
    if (typeof build === 'object' && build !== null) this.renderings.delete(build);
    const connection: EngineConnection = { dockerHost: o.dockerHost, tls: o.tls, version: o.version };
    const { docker } = await timed(clock, report, 'connect', async () => {
      const client = this.clients.get(connection);
      // once per client: later starts reuse the version (and the kept-alive connections)
      if (client.docker.apiVersion === undefined) await client.docker.negotiate({ signal });
      return client;
    }, (c) => ({ endpoint: c.docker.endpoint.url, apiVersion: c.docker.apiVersion ?? '', reused: !c.fresh }));
    await this.reapOnce(docker, signal);
    const owner = { workerName: this.name, masterId: this.masterId };
    const stale = await timed(clock, report, 'stale-cleanup', () => removeStaleContainers(docker, owner, signal), (ids) => ({ removed: ids.length }));
    for (const id of stale) this.cleanups.forget(id);
    const image = o.image ?? builtImageName(this.name, this.masterId);
    const plan = this.imagePlan(o, image);
    const env: ImageEnvironment = {
      docker, workerName: this.name, clock, signal, redactor: this.redactor, report, registryAuth: this.cfg.registryAuth,
      progress: (step, line) => this.reportProgress(step, line),
    };
    await provideImage(plan, env);
    const spec = containerSpec({
      workerName: this.name, masterId: this.masterId, password: this.cfg.password, protocol: this.cfg.masterProtocol,
      masterPort: this.cfg.masterPort, image, options: o,
    });
    const created = await timed(clock, report, 'create', () => createContainer(docker, spec, owner, signal,
      o.autopull ? () => pullVanishedImage(plan, env) : undefined), (c) => ({ id: short(c.id), ...(c.recovered ? { recovered: c.recovered } : {}) }));
    const inst: Instance = {
      record: { id: created.id, name: spec.name, docker, waiter: undefined, builtImage: o.image === undefined ? image : undefined, stopTimeout: o.stopTimeout },
      logs: undefined, startedAt: undefined, ready: false,
    };
    this.current = inst;
    inst.logs = await timed(clock, report, 'attach', () => StartupLogs.attach(docker, created.id, {
      redactor: this.redactor, signal, onLine: (stream, line) => this.onStartupLine(inst, stream, line),
    }));
    // registered before the start, so no exit is missed (the `docker run` order)
    inst.record.waiter = await docker.containers.waiter(created.id, { condition: o.autoRemove === true ? 'removed' : 'next-exit' });
    inst.record.waiter.result.then(() => { if (this.current === inst && !inst.ready) this.checkInstanceSoon(); }, () => undefined);
    inst.startedAt = clock.now();
    await timed(clock, report, 'start', () => startContainer(docker, created.id, image, this.name, signal));
    await this.readiness(inst, signal);
    return { id: created.id, description: `${image} on ${docker.endpoint.url}` };
  }

  /** Resolves when the startup output of a stopped container was read to its end, or after {@link DRAIN_MS}. */
  private async drained(inst: Instance): Promise<void> {
    const logs = inst.logs;
    if (logs === undefined) return;
    const bound = new AbortController();
    await Promise.race([logs.ended, delay(this.clock, DRAIN_MS, bound.signal)]);
    bound.abort();
  }

  /** Readiness the worker decides itself: `running` at once, `healthy` once the healthcheck passes. */
  private async readiness(inst: Instance, signal: AbortSignal): Promise<void> {
    const readiness = this.cfg.readiness;
    if (readiness === 'healthy') {
      await waitHealthy({
        docker: inst.record.docker, id: inst.record.id, workerName: this.name, clock: this.clock, signal,
        redactor: this.redactor, lines: () => inst.logs?.lines() ?? [], drained: () => this.drained(inst),
      });
    }
    if (readiness === 'healthy' || readiness === 'running') this.attachFor(inst);
  }

  /** A line of the container's output: reported while following, and matched against a `logLine` readiness. */
  private onStartupLine(inst: Instance, stream: StreamName, line: string): void {
    const follow = this.cfg.followStartupLogs;
    if (follow === 'always' || (follow && !inst.ready)) this.reportOutput(stream === 'stderr' ? 'stderr' : 'stdout', line);
    const readiness = this.cfg.readiness;
    if (!inst.ready && typeof readiness === 'object' && readiness.logLine.test(line)) this.attachFor(inst);
  }

  /** Counts the worker of `inst` as attached, unless that instance is no longer the one starting. */
  private attachFor(inst: Instance): void {
    if (this.current !== inst || inst.ready || this.state !== 'SUBSTANTIATING_STARTING') return;
    try {
      this.attached();
    } catch (err) {
      if (!(err instanceof LatentWorkerAttachRefusedError)) throw err;
    }
  }

  private async reapOnce(docker: Parameters<typeof reapOrphans>[0]['docker'], signal: AbortSignal): Promise<void> {
    if (!this.cfg.reapAtFirstStart || this.reaped) return;
    this.reaped = true;
    // a sweep that fails does not fail the start: the step reports it, and the start's own cleanup follows
    await timed(this.clock, this.step, 'reap', () => reapOrphans({ docker, masterId: this.masterId, signal }),
      (r) => ({
        containers: r.containers.length, images: r.images.length, volumes: r.volumes.length, networks: r.networks.length, failures: r.failures.length,
      })).catch(() => undefined);
  }

  private imagePlan(o: RenderedDockerOptions, image: string): ImagePlan {
    return {
      image, autopull: o.autopull, alwaysPull: o.alwaysPull, platform: o.platform,
      build: o.dockerfile === undefined ? undefined : {
        image, dockerfile: o.dockerfile, customContext: o.customContext, encoding: o.encoding, buildargs: o.buildargs,
        target: o.target, pull: o.alwaysPull, platform: o.platform, labels: ownerLabels(this.name, this.masterId),
      },
    };
  }

  /**
   * The options rendered for `build`: once per start of a build object, so
   * the rendering the start uses is the one compatibility compares with
   * (it is made when the start is asked for, and dropped once the start took it).
   */
  private renderFor(build: Build | undefined): Promise<RenderedDockerOptions> {
    const key = typeof build === 'object' && build !== null ? build : undefined;
    const known = key === undefined ? undefined : this.renderings.get(key);
    if (known !== undefined) return known;
    const rendering = renderDockerOptions(this.cfg, this.propertiesFor(build));
    if (key !== undefined) {
      this.renderings.set(key, rendering);
      rendering.catch(() => this.renderings.delete(key));
    }
    return rendering;
  }

  private propertiesFor(build: Build | undefined): BuildProperties {
    const own = build === undefined ? undefined : this.propertiesOf(build);
    const values = own === undefined ? undefined : isBuildProperties(own) ? own.values : own;
    return buildProperties(this.cfg.properties, { workername: this.name }, values);
  }

  private async close(): Promise<void> {
    try {
      await super.shutdown();
      await this.cleanups.retryNow();
    } finally {
      this.cleanups.dispose();
      this.leave();
      await this.clients.close();
    }
  }
}

function defaultPropertiesOf(build: unknown): Readonly<Record<string, PropertyValue>> | BuildProperties | undefined {
  if (typeof build !== 'object' || build === null || !('properties' in build)) return undefined;
  const p: unknown = build.properties;
  if (isBuildProperties(p)) return p;
  return isPlainObject(p) ? p as Record<string, PropertyValue> : undefined;
}

function isBuildProperties(value: unknown): value is BuildProperties {
  return typeof value === 'object' && value !== null
    && typeof (value as Partial<BuildProperties>).getProperty === 'function'
    && typeof (value as Partial<BuildProperties>).hasProperty === 'function';
}

function readinessName(cfg: DockerWorkerConfig): string {
  return typeof cfg.readiness === 'object' ? 'logLine' : cfg.readiness;
}
