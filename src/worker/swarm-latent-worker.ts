import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { bufferFrames, isNotFound, type Docker, type StreamName, type Task } from '../engine/index.js';
import type { InstanceCheck } from './crash-check.js';
import { EngineClients } from './docker/connections.js';
import { registerLiveWorker } from './docker/live-workers.js';
import { Redactor } from './docker/redactor.js';
import { secretsOf } from './docker/secrets.js';
import { StartupLogs } from './docker/startup-logs.js';
import { timed, type StepDetail } from './docker/steps.js';
import { LatentWorkerCannotSubstantiate, LatentWorkerError, asError } from './errors.js';
import { attachIfStarting, onStartupLine } from './docker/startup-readiness.js';
import type { InstanceInfo } from './events.js';
import { LatentWorker } from './latent-worker.js';
import { ownerLabels } from './labels.js';
import { serviceName } from './naming.js';
import { renderDockerOptions, type RenderedDockerOptions } from './options.js';
import { defaultPropertiesOf, workerBuildProperties, type BuildPropertySource } from './renderable.js';
import { serviceSpec } from './swarm/service-spec.js';
import { checkSwarmConfig, type SwarmLatentWorkerOptions, type SwarmWorkerConfig } from './swarm/swarm-options.js';
import { removeOwnedSwarmObjects, removeSecret, removeService } from './swarm/swarm-objects.js';
import { describeTask, waitForRunningTask } from './swarm/task-watch.js';

/** The steps a Swarm worker reports (as `step` events), each with its duration. */
export type SwarmWorkerStep =
  | 'render' | 'connect'
  /** Services and secrets of this worker left by an earlier run, removed (by label). */
  | 'stale-cleanup'
  /** The image resolved to its id on the manager. */
  | 'image-check'
  /** The password secret of this start made. */
  | 'secret-create'
  /** The service made. */
  | 'service-create'
  /** Until the service's task runs. */
  | 'task'
  /** From the task running until the worker inside counted as ready. */
  | 'ready'
  /** The service removed, and its task and container gone. */
  | 'service-remove'
  /** The password secret removed. */
  | 'secret-remove';

const SHA256_ID = /^sha256:[0-9a-f]{64}$/;

/** Options of a {@link SwarmLatentWorker}: the service's options, and how to read a build's properties. */
export interface SwarmLatentWorkerConfig<Build> extends SwarmLatentWorkerOptions {
  /**
   * The properties of a build, for rendering the options. Default: the
   * build's `properties` member, when it has one. The worker's `properties`
   * and `workername` come first; the build's win.
   */
  propertiesOf?: (build: Build) => BuildPropertySource | undefined;
}

/** The service of the running (or starting) instance. */
interface Instance {
  readonly docker: Docker;
  serviceId: string | undefined;
  readonly name: string;
  secretId: string | undefined;
  task: Task | undefined;
  logs: StartupLogs | undefined;
  runningAt: number | undefined;
  ready: boolean;
  /** How long the task has to stop before it is killed (its stop timeout; the engine's default is 10 s). */
  readonly graceMs: number;
}

/**
 * A latent worker whose instance is a one-replica Swarm service, made
 * through a manager: Buildbot's `DockerLatentWorker` for a swarm, with the
 * same worker contract and owner labels (on the service and its container),
 * the image given to the nodes by id, the password in a Swarm secret made
 * for each start (mounted as `/run/secrets/WORKERPASS`, named by
 * `WORKERPASS_FILE`), and the startup output read from the service's logs.
 * A start resolves once the task runs (and, by default, the worker inside
 * attached); a stop removes the service, waits until its task is gone (the
 * manager drops it once the node reported the container stopped) and, on the
 * manager's own engine, its container, then removes the secret. On other
 * nodes the node's agent removes the stopped container right after.
 *
 * ```ts
 * const worker = new SwarmLatentWorker({ name: 'w1', image: 'my/worker:1', dockerHost: 'tcp://manager:2376',
 *   masterFQDN: 'ci.example:9989', constraints: ['node.labels.ci==yes'] });
 * ```
 */
export class SwarmLatentWorker<Build = unknown> extends LatentWorker<Build> {
  /** The master this worker belongs to (labels, names). */
  readonly masterId: string;
  private readonly cfg: SwarmWorkerConfig;
  private readonly propertiesOf: (build: Build) => BuildPropertySource | undefined;
  private readonly clients: EngineClients;
  private readonly redactor: Redactor;
  private readonly leave: () => void;
  private current: Instance | undefined;
  private closing: Promise<void> | undefined;

  /** @throws WorkerConfigError listing every invalid option */
  constructor(options: SwarmLatentWorkerConfig<Build>) {
    const cfg = checkSwarmConfig(options);
    super(options, cfg.docker.settings);
    this.cfg = cfg;
    this.propertiesOf = options.propertiesOf ?? defaultPropertiesOf;
    this.masterId = cfg.docker.masterId;
    this.clients = new EngineClients(cfg.docker.docker);
    this.redactor = new Redactor(secretsOf(cfg.docker.password, cfg.docker.registryAuth));
    this.leave = registerLiveWorker(this.masterId, this.name);
  }

  /** The service of the running (or starting) instance, and its task once it runs. */
  get service(): { readonly id: string; readonly name: string; readonly taskId: string | undefined; readonly nodeId: string | undefined } | undefined {
    const c = this.current;
    if (c?.serviceId === undefined) return undefined;
    return { id: c.serviceId, name: c.name, taskId: c.task?.ID, nodeId: c.task?.NodeID };
  }

  /** The worker inside connected: ends the startup logs and reports `ready`. */
  override attached(): void {
    super.attached();
    const inst = this.current;
    if (inst === undefined || inst.ready) return;
    inst.ready = true;
    // followed 'always': the output goes on being reported until the stop
    if (this.cfg.docker.followStartupLogs !== 'always') inst.logs?.close();
    this.step('ready', this.clock.now() - (inst.runningAt ?? this.clock.now()));
  }

  /** Stops the instance for good and closes the engine clients it made. */
  override shutdown(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await super.shutdown();
      } finally {
        this.leave();
        await this.clients.close();
      }
    })();
    return this.closing;
  }

  /** Builds whose renderings of the options differ cannot share a service. */
  protected override renderCompatibilityKey(build: Build | undefined): Promise<RenderedDockerOptions> {
    return this.render(build);
  }

  protected async startInstance(build: Build | undefined, signal: AbortSignal): Promise<InstanceInfo> {
    try {
      return await this.start(build, signal);
    } catch (err) {
      throw this.redactor.error(asError(err));
    }
  }

  protected async stopInstance(): Promise<void> {
    const inst = this.current;
    if (inst === undefined) return;
    // followed 'always': the last words of the stopping task too (the logs end with the service)
    if (this.cfg.docker.followStartupLogs !== 'always') inst.logs?.close();
    const { clock, step } = this;
    try {
      const serviceId = inst.serviceId;
      if (serviceId !== undefined) {
        await timed(clock, step, 'service-remove', () => removeService(inst.docker, { id: serviceId, name: inst.name }, clock, this.cfg.taskPollMs, inst.graceMs));
        inst.serviceId = undefined;
      }
      const secretId = inst.secretId;
      if (secretId !== undefined) {
        await timed(clock, step, 'secret-remove', () => removeSecret(inst.docker, secretId));
        inst.secretId = undefined;
      }
    } catch (err) {
      // the next start of this worker, and the reaper, find what is left by label
      throw this.redactor.error(new LatentWorkerError(this.name,
        `service ${inst.name} of worker "${this.name}" could not be removed (${asError(err).message}); the next start removes it`,
        'ERR_WORKER_CLEANUP_PENDING', { cause: err }));
    } finally {
      inst.logs?.close();
      if (this.current === inst) this.current = undefined;
    }
  }

  protected override async checkInstance(): Promise<InstanceCheck> {
    const inst = this.current;
    if (inst?.task === undefined) return { ok: true };
    let task: Task;
    try {
      task = await inst.docker.tasks.inspect(inst.task.ID);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      return { ok: false, reason: `its task ${inst.task.ID.slice(0, 12)} is gone${this.lastLines(inst)}` };
    }
    if (task.Status.State === 'running' && task.DesiredState === 'running') return { ok: true };
    if (task.Status.State === 'running') return { ok: false, reason: `its task is being shut down (desired state ${task.DesiredState})${this.lastLines(inst)}` };
    return { ok: false, reason: `its task left running: ${describeTask(task)}${this.lastLines(inst)}` };
  }

  private readonly step = (step: SwarmWorkerStep, durationMs: number, detail?: StepDetail): void => {
    this.reportStep(step, durationMs, detail);
  };

  private lastLines(inst: Instance): string {
    const lines = inst.logs?.lines() ?? [];
    return lines.length === 0 ? '' : `; last output:\n${lines.slice(-20).join('\n')}`;
  }

  private async start(build: Build | undefined, signal: AbortSignal): Promise<InstanceInfo> {
    const { clock, step } = this;
    const o = await timed(clock, step, 'render', () => this.render(build));
    const { docker } = await timed(clock, step, 'connect', async () => {
      const client = this.clients.get({ dockerHost: o.dockerHost, tls: o.tls, version: o.version });
      if (client.docker.apiVersion === undefined) await client.docker.negotiate({ signal });
      return client;
    }, (c) => ({ endpoint: c.docker.endpoint.url, apiVersion: c.docker.apiVersion ?? '', reused: !c.fresh }));
    await timed(clock, step, 'stale-cleanup', () => removeOwnedSwarmObjects(docker, {
      masterId: this.masterId, workerName: this.name, clock, pollMs: this.cfg.taskPollMs,
    }), (r) => ({ services: r.services.length, secrets: r.secrets.length, failures: r.failures.length }));
    const image = await timed(clock, step, 'image-check', () => this.imageId(docker, o.image ?? '', signal), (id) => ({ id: id.slice(7, 19) }));
    const name = serviceName(this.name, this.masterId);
    const inst: Instance = {
      docker, serviceId: undefined, name, secretId: undefined, task: undefined, logs: undefined, runningAt: undefined, ready: false,
      graceMs: (o.stopTimeout ?? 10) * 1000,
    };
    this.current = inst;
    let secret: { id: string; name: string } | undefined;
    if (this.cfg.passwordDelivery === 'secret') {
      const secretName = `${name}-${randomBytes(4).toString('hex')}`;
      secret = await timed(clock, step, 'secret-create', async () => ({
        id: (await docker.secrets.create({
          Name: secretName, Labels: ownerLabels(this.name, this.masterId), Data: Buffer.from(this.cfg.docker.password).toString('base64'),
        }, { signal })).ID,
        name: secretName,
      }));
      inst.secretId = secret.id;
    }
    const spec = serviceSpec({
      name, workerName: this.name, masterId: this.masterId, password: this.cfg.docker.password, protocol: this.cfg.docker.masterProtocol,
      masterPort: this.cfg.docker.masterPort, image, options: o, ...this.cfg, secret,
    });
    const created = await timed(clock, step, 'service-create', () => docker.services.create(spec, { signal }), (r) => ({ id: r.ID.slice(0, 12) }));
    inst.serviceId = created.ID;
    const task = await timed(clock, step, 'task', () => waitForRunningTask({
      docker, serviceId: created.ID, workerName: this.name, clock, pollMs: this.cfg.taskPollMs, timeoutMs: this.cfg.taskStartMs, signal,
      onChange: (d) => this.reportProgress('task', d), lastOutput: () => this.serviceOutput(docker, created.ID),
    }), (x) => ({ task: x.ID.slice(0, 12), node: (x.NodeID ?? '').slice(0, 12) }));
    inst.task = task;
    inst.runningAt = clock.now();
    inst.logs = StartupLogs.follow(docker.services.logs(created.ID, { follow: true, stdout: true, stderr: true, signal }), {
      redactor: this.redactor, onLine: (stream, line) => this.onStartupLine(inst, stream, line),
    });
    if (this.cfg.docker.readiness === 'running') this.attachFor(inst);
    return { id: created.ID, description: `service ${name} (task ${task.ID.slice(0, 12)} on node ${(task.NodeID ?? '').slice(0, 12)}) via ${docker.endpoint.url}` };
  }

  /** The last lines a service wrote (its task ended before the logs were followed), redacted, as the tail of a message. */
  private async serviceOutput(docker: Docker, serviceId: string): Promise<string> {
    const { stdout, stderr } = await bufferFrames(docker.services.logs(serviceId, { tail: 20 }), 1024 * 1024, 'the last output of a service');
    const lines = `${stdout.toString('utf8')}${stderr.toString('utf8')}`.split('\n').filter((l) => l !== '');
    return lines.length === 0 ? '' : `; last output:\n${this.redactor.text(lines.join('\n'))}`;
  }

  /** The image by id: as given when it is one, else resolved on the manager. */
  private async imageId(docker: Docker, image: string, signal: AbortSignal): Promise<string> {
    if (SHA256_ID.test(image)) return image;
    try {
      return (await docker.images.inspect(image, { signal })).Id;
    } catch (err) {
      if (!isNotFound(err)) throw err;
      throw new LatentWorkerCannotSubstantiate(this.name,
        `worker "${this.name}": image "${image}" is not on the swarm manager (${docker.endpoint.url}); a Swarm worker runs its image by id, `
        + 'so that no node asks a registry for it: load the image on the manager and on every node that may run the worker (docker load), or give its id (sha256:…)',
        { cause: err });
    }
  }

  /** A line of the service's output: reported while following, and matched against a `logLine` readiness. */
  private onStartupLine(inst: Instance, stream: StreamName, line: string): void {
    onStartupLine({
      followStartupLogs: this.cfg.docker.followStartupLogs, readiness: this.cfg.docker.readiness,
      output: (s, l) => this.reportOutput(s, l), ready: () => this.attachFor(inst),
    }, inst.ready, stream, line);
  }

  /** Counts the worker of `inst` as attached, unless that instance is no longer the one starting. */
  private attachFor(inst: Instance): void {
    if (this.current === inst && !inst.ready) attachIfStarting(this);
  }

  private render(build: Build | undefined): Promise<RenderedDockerOptions> {
    const own = build === undefined ? undefined : this.propertiesOf(build);
    return renderDockerOptions(this.cfg.docker, workerBuildProperties(this.cfg.docker.properties, this.name, own));
  }
}
