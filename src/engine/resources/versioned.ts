import { DockerApiError, DockerArgumentError, DockerProtocolError } from '../errors.js';
import { isObject } from '../json.js';
import type { CallOptions } from '../request.js';

/**
 * Updates of swarm objects (the swarm itself, nodes, services, secrets,
 * configs) replace the whole spec and name the version they were based on
 * (`?version=`); the engine refuses a stale version with "update out of
 * sequence". The helpers here turn that into read → change → write, retried
 * once when another writer got in between.
 */

/**
 * A change to a spec: the fields given replace the current ones and the
 * fields left out keep their value (a shallow merge), or a function from the
 * current spec (a copy) to the new one.
 */
export type SpecChange<S> = Partial<S> | ((current: S) => S);

/** Options of the `update` calls of swarm objects. */
export interface VersionedUpdateOptions extends CallOptions {
  /**
   * The `Version.Index` the change is based on. Given, the spec is sent as
   * is with this version — it must be a whole spec, as the engine replaces
   * it — with no read and no retry: a stale version fails. Left out, berth
   * reads the object, applies the change to its current spec, sends it with
   * the current version, and reads and retries once on a version conflict.
   */
  version?: number;
}

/** The current spec of an object and its version. */
export interface Versioned<S> {
  spec: S;
  version: number;
}

/** True for the engine's answer to a stale `version` (dockerd: 500 `rpc error: … update out of sequence`). */
export function isVersionConflict(err: unknown): boolean {
  return err instanceof DockerApiError && /update out of sequence/i.test(err.engineMessage);
}

/** The `Version.Index` of an object the engine sent. */
export function versionIndex(obj: { Version?: { Index?: number } }, what: string): number {
  const index = obj.Version?.Index;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) {
    throw new DockerProtocolError(`${what}: the engine sent no Version.Index`);
  }
  return index;
}

/**
 * Applies `change` with the version protocol described on
 * {@link VersionedUpdateOptions.version}: `read` fetches the current spec
 * and version, `write` sends a spec with a version.
 */
export async function updateVersioned<S extends object, R>(
  what: string,
  change: SpecChange<S>,
  version: number | undefined,
  read: () => Promise<Versioned<S>>,
  write: (spec: S, version: number) => Promise<R>,
): Promise<R> {
  if (version !== undefined) {
    if (!Number.isInteger(version) || version < 0) throw new DockerArgumentError(`${what}: version must be a non-negative integer`);
    if (typeof change === 'function') {
      throw new DockerArgumentError(`${what}: a change function needs the current spec; leave version out to have it read`);
    }
    return write(change as S, version);
  }
  const attempt = async (): Promise<R> => {
    const current = await read();
    return write(applyChange(what, change, current.spec), current.version);
  };
  try {
    return await attempt();
  } catch (err) {
    if (!isVersionConflict(err)) throw err;
    return attempt();
  }
}

/** The new spec: the function's result, or the fields given merged over a copy of the current spec. */
export function applyChange<S extends object>(what: string, change: SpecChange<S>, current: S): S {
  const copy = structuredClone(current);
  const next = typeof change === 'function' ? change(copy) : { ...copy, ...change };
  if (!isObject(next)) throw new DockerArgumentError(`${what}: the change must give a spec object`);
  return next;
}
