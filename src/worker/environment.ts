import { DockerConfigError } from '../engine/index.js';
import type { MasterAddress } from './master-address.js';

/**
 * The environment of a worker container: the contract of Buildbot's worker
 * images (`buildbot/buildbot-worker`, whose `buildbot.tac` reads these
 * variables), plus the user's variables.
 *
 * | variable | value |
 * |---|---|
 * | `BUILDMASTER` | the master's host (`masterFQDN`) |
 * | `BUILDMASTER_PORT` | the master's worker port (`masterPort`, the port in `masterFQDN`, or 9989) |
 * | `WORKERNAME` | the worker's name |
 * | `WORKERPASS` | the worker's password |
 * | `BUILDMASTER_PROTOCOL` | `pb` (default) or `msgpack_experimental_v7` |
 *
 * `WORKER_ENVIRONMENT_BLACKLIST`: the official image deletes, before any
 * build step runs, every variable matching one of the space-separated
 * shell-style patterns it holds (default `WORKERPASS`), so the password does
 * not reach build steps. An image that does not do this (a hand-written
 * Dockerfile, Buildbot #4179) leaks `WORKERPASS` to every step; the value
 * is also visible to anyone who can `docker inspect` the container. Set
 * `WORKER_ENVIRONMENT_BLACKLIST` in `env` to strip more (e.g.
 * `WORKERPASS AWS_*`), and keep `WORKERPASS` in the list.
 */

/** How the worker talks to the master. */
export type MasterProtocol = 'pb' | 'msgpack_experimental_v7';

/** The protocols Buildbot's worker image understands. */
export const MASTER_PROTOCOLS: readonly MasterProtocol[] = ['pb', 'msgpack_experimental_v7'];

/** The variables the worker contract sets; user `env` may not set them. */
export const CONTRACT_VARIABLES = ['BUILDMASTER', 'BUILDMASTER_PORT', 'WORKERNAME', 'WORKERPASS', 'BUILDMASTER_PROTOCOL'] as const;

/** What the contract variables are made from. */
export interface WorkerIdentity {
  readonly master: MasterAddress;
  readonly workerName: string;
  readonly password: string;
  readonly protocol: MasterProtocol;
}

/**
 * Checks user variables: names non-empty, without `=` or NUL, not a
 * contract variable; values without NUL.
 * @throws DockerConfigError naming the variable
 */
export function checkUserEnvironment(env: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(env)) {
    if (name === '' || name.includes('=') || name.includes('\u0000')) {
      throw new DockerConfigError(`env: "${name}" is not a variable name (it must be non-empty, without "=" or NUL)`);
    }
    if ((CONTRACT_VARIABLES as readonly string[]).includes(name)) {
      throw new DockerConfigError(`env: ${name} is set by the worker itself (use the matching option instead)`);
    }
    if (typeof value !== 'string') throw new DockerConfigError(`env: ${name} must be a string, got ${typeof value}`);
    if (value.includes('\u0000')) throw new DockerConfigError(`env: ${name} contains a NUL character`);
  }
}

/** The container's variables: the user's, then the contract's. */
export function workerEnvironment(identity: WorkerIdentity, userEnv: Readonly<Record<string, string>> = {}): Record<string, string> {
  checkUserEnvironment(userEnv);
  return {
    ...userEnv,
    BUILDMASTER: identity.master.host,
    BUILDMASTER_PORT: String(identity.master.port),
    WORKERNAME: identity.workerName,
    WORKERPASS: identity.password,
    BUILDMASTER_PROTOCOL: identity.protocol,
  };
}

/** Variables as the engine takes them: `["NAME=value", …]`. */
export function environmentList(env: Readonly<Record<string, string>>): string[] {
  return Object.entries(env).map(([name, value]) => `${name}=${value}`);
}
