import type { ContainerCreateRequest, HostConfig } from '../engine/index.js';
import { environmentList, workerEnvironment, type MasterProtocol } from './environment.js';
import { workerLabels } from './labels.js';
import { parseMasterAddress } from './master-address.js';
import { containerName } from './naming.js';
import type { RenderedDockerOptions } from './options.js';
import { containerVolumes } from './volumes.js';

/**
 * The `POST /containers/create` request of a worker container, as a pure
 * function of the rendered options, in the engine client's own wire types.
 */

/** What creating the container takes: its name and platform (query parameters) and the body. */
export interface ContainerSpec {
  /** `?name=`: `berth-<worker>-<hash>`. */
  readonly name: string;
  /** `?platform=` (API ≥ 1.41), when configured. */
  readonly platform: string | undefined;
  readonly body: ContainerCreateRequest;
}

/** What the container is made from. */
export interface ContainerSpecInput {
  readonly workerName: string;
  readonly masterId: string;
  readonly password: string;
  readonly protocol: MasterProtocol;
  /** `masterPort`, when configured. */
  readonly masterPort: number | undefined;
  /** The image to run, as found, pulled or built (the rendered `image`, or the built image's name). */
  readonly image: string;
  readonly options: RenderedDockerOptions;
}

/**
 * The container of a worker:
 * - `Env`: the user's variables and the worker contract (`BUILDMASTER`, `BUILDMASTER_PORT`,
 *   `WORKERNAME`, `WORKERPASS`, `BUILDMASTER_PROTOCOL`);
 * - `Labels`: the user's plus `berth.managed`, `berth.worker`, `berth.master`;
 * - `HostConfig`: the user's `hostconfig` passed through, its `Binds` followed by the bind
 *   mounts of `volumes` (Buildbot replaced the user's `Binds`), `Init: true` unless set,
 *   `AutoRemove` from `autoRemove`;
 * - `Volumes`: anonymous volumes; `Cmd`, `Entrypoint`, `Hostname`, `User`, `WorkingDir`,
 *   `StopSignal`, `StopTimeout`, `Healthcheck`, `NetworkingConfig` when configured.
 * @throws VolumeSpecError for malformed volumes or two mounts on one path; DockerConfigError for reserved labels or variables
 */
export function containerSpec(input: ContainerSpecInput): ContainerSpec {
  const o = input.options;
  const userBinds = Array.isArray(o.hostconfig.Binds) ? (o.hostconfig.Binds as string[]) : [];
  // the user's host config is passed through as given: berth checks the keys it reads, the engine the rest
  const mounts = containerVolumes([...userBinds, ...o.volumes]);
  const hostConfig: HostConfig = { ...(o.hostconfig as HostConfig), Binds: mounts.binds };
  if (!('Init' in o.hostconfig)) hostConfig.Init = true;
  if (o.autoRemove !== undefined) hostConfig.AutoRemove = o.autoRemove;
  const master = parseMasterAddress(o.masterFQDN, input.masterPort);
  const env = workerEnvironment({ master, workerName: input.workerName, password: input.password, protocol: input.protocol }, o.env);
  const body: ContainerCreateRequest = {
    Image: input.image,
    Env: environmentList(env),
    Labels: workerLabels(input.workerName, input.masterId, o.labels),
    HostConfig: hostConfig,
  };
  if (o.command.length > 0) body.Cmd = [...o.command];
  if (o.entrypoint !== undefined) body.Entrypoint = [...o.entrypoint];
  if (o.hostname !== undefined) body.Hostname = o.hostname;
  if (o.user !== undefined) body.User = o.user;
  if (o.workingDir !== undefined) body.WorkingDir = o.workingDir;
  if (o.stopSignal !== undefined) body.StopSignal = o.stopSignal;
  if (o.stopTimeout !== undefined) body.StopTimeout = o.stopTimeout;
  if (Object.keys(mounts.volumes).length > 0) body.Volumes = mounts.volumes;
  if (o.healthcheck !== undefined) body.Healthcheck = o.healthcheck;
  if (o.networkingConfig !== undefined) body.NetworkingConfig = o.networkingConfig;
  return { name: containerName(input.workerName, input.masterId), platform: o.platform, body };
}
