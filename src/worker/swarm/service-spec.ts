import { DockerConfigError, type ServiceSpec, type TaskSpec } from '../../engine/index.js';
import type { ContainerSpecInput } from '../container-spec.js';
import { environmentList, workerEnvironment } from '../environment.js';
import { workerLabels } from '../labels.js';
import { parseMasterAddress } from '../master-address.js';
import type { SwarmResources, SwarmWorkerConfig } from './swarm-options.js';

/**
 * The `POST /services/create` request of a worker, as a pure function of
 * the rendered options: one replica that is never restarted (a worker that
 * exits is a crash for the master to see, not something for the swarm to
 * hide), the worker contract in its environment, the owner labels on the
 * service and its containers, and the password as a secret file (or in the
 * environment, when asked).
 */

/** Where the password file is mounted in the container (`/run/secrets/<name>`). */
export const PASSWORD_FILE_NAME = 'WORKERPASS';
/** The variable that tells the image where the password file is. */
export const PASSWORD_FILE_VARIABLE = 'WORKERPASS_FILE';

/** What the service is made from: what a worker container is made from (the image by id), and the service's own options. */
export interface ServiceSpecInput extends ContainerSpecInput,
  Pick<SwarmWorkerConfig, 'network' | 'constraints' | 'preferences' | 'limits' | 'reservations' | 'passwordDelivery'> {
  /** The service's name. */
  readonly name: string;
  /** With `passwordDelivery: 'secret'`: the secret made for this start. */
  readonly secret: { readonly id: string; readonly name: string } | undefined;
}

function resources(r: SwarmResources | undefined): { NanoCPUs?: number; MemoryBytes?: number } | undefined {
  if (r === undefined) return undefined;
  return { ...(r.nanoCPUs !== undefined ? { NanoCPUs: r.nanoCPUs } : {}), ...(r.memoryBytes !== undefined ? { MemoryBytes: r.memoryBytes } : {}) };
}

/**
 * The service of one start.
 * - `ContainerSpec.Command` is the entrypoint and `Args` the command (a
 *   service's `Command` replaces the image's ENTRYPOINT, `Args` its CMD).
 * - `Env`: the user's variables and the contract; with a secret,
 *   `WORKERPASS_FILE=/run/secrets/WORKERPASS` instead of `WORKERPASS`.
 * @throws DockerConfigError for reserved labels or variables
 */
export function serviceSpec(input: ServiceSpecInput): ServiceSpec {
  const o = input.options;
  if (PASSWORD_FILE_VARIABLE in o.env) throw new DockerConfigError(`env: ${PASSWORD_FILE_VARIABLE} is set by the worker itself`);
  const master = parseMasterAddress(o.masterFQDN, input.masterPort);
  const contract = workerEnvironment({ master, workerName: input.workerName, password: input.password, protocol: input.protocol }, o.env);
  const labels = workerLabels(input.workerName, input.masterId, o.labels);
  const container: NonNullable<TaskSpec['ContainerSpec']> = { Image: input.image, Labels: labels, Init: true };
  if (input.passwordDelivery === 'secret') {
    if (input.secret === undefined) throw new DockerConfigError('the password secret of the start is missing');
    delete contract.WORKERPASS;
    contract[PASSWORD_FILE_VARIABLE] = `/run/secrets/${PASSWORD_FILE_NAME}`;
    // readable by the worker's user, whoever it is (the image's USER): the file exists only inside this container
    container.Secrets = [{ SecretID: input.secret.id, SecretName: input.secret.name, File: { Name: PASSWORD_FILE_NAME, UID: '0', GID: '0', Mode: 0o444 } }];
  }
  container.Env = environmentList(contract);
  if (o.entrypoint !== undefined) container.Command = [...o.entrypoint];
  if (o.command.length > 0) container.Args = [...o.command];
  if (o.hostname !== undefined) container.Hostname = o.hostname;
  if (o.user !== undefined) container.User = o.user;
  if (o.workingDir !== undefined) container.Dir = o.workingDir;
  if (o.stopSignal !== undefined) container.StopSignal = o.stopSignal;
  if (o.stopTimeout !== undefined) container.StopGracePeriod = o.stopTimeout * 1e9;
  const template: TaskSpec = {
    ContainerSpec: container,
    RestartPolicy: { Condition: 'none' },
    Networks: [{ Target: input.network }],
  };
  if (input.constraints.length > 0 || input.preferences.length > 0) {
    template.Placement = {
      ...(input.constraints.length > 0 ? { Constraints: [...input.constraints] } : {}),
      ...(input.preferences.length > 0 ? { Preferences: input.preferences.map((d) => ({ Spread: { SpreadDescriptor: d } })) } : {}),
    };
  }
  const limits = resources(input.limits);
  const reservations = resources(input.reservations);
  if (limits !== undefined || reservations !== undefined) {
    template.Resources = { ...(limits !== undefined ? { Limits: limits } : {}), ...(reservations !== undefined ? { Reservations: reservations } : {}) };
  }
  return { Name: input.name, Labels: labels, TaskTemplate: template, Mode: { Replicated: { Replicas: 1 } } };
}
