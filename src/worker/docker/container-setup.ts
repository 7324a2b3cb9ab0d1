import {
  ConflictError, DockerApiError, NotFoundError, type ContainerInspectResponse, type Docker,
} from '../../engine/index.js';
import type { ContainerSpec } from '../container-spec.js';
import { LatentWorkerCannotSubstantiate } from '../errors.js';
import { isOwnedBy, ownedByFilter } from '../labels.js';
import { isGone } from './container-removal.js';

/**
 * Making a worker's container: the leftovers of earlier runs removed first
 * (found by label, never by name prefix: Docker's name filter matches
 * substrings, so Buildbot once removed another worker's container, #3800),
 * then create, recovering once from the two failures that have a cure —
 * the image vanished since it was checked (pulled again when `autopull`),
 * or a container of the same name exists (removed when its labels say it is
 * this worker's) — and start, where a container the host cannot run at all
 * is a permanent failure.
 */

/** Who the worker is, for ownership checks. */
export interface Owner {
  readonly workerName: string;
  readonly masterId: string;
}

/**
 * Removes every container of this worker on this master (forced, with its
 * anonymous volumes); one already gone or being removed counts as removed.
 * Returns the ids removed.
 */
export async function removeStaleContainers(docker: Docker, owner: Owner, signal: AbortSignal): Promise<string[]> {
  const found = await docker.containers.list({ all: true, filters: ownedByFilter(owner.masterId, owner.workerName), signal });
  const removed: string[] = [];
  for (const c of found) {
    // the engine filtered by label already; this guards against an engine that ignored the filter
    if (!isOwnedBy(c.Labels, owner.masterId, owner.workerName)) continue;
    try {
      await docker.containers.remove(c.Id, { force: true, volumes: true, signal });
    } catch (err) {
      if (!isGone(err) && !(err instanceof ConflictError)) throw err;
    }
    removed.push(c.Id);
  }
  return removed;
}

/** How a create went: the container, and what had to be cured first. */
export interface Created {
  readonly id: string;
  readonly recovered: 'pulled' | 'replaced' | undefined;
}

/**
 * Creates the container. A 404 (the image vanished) pulls it once with
 * `pullAgain` and retries, or is permanent when there is no way to pull; a
 * 409 (the name is taken) removes the holder when it is this worker's and
 * retries once, and is permanent when it is someone else's.
 */
export async function createContainer(docker: Docker, spec: ContainerSpec, owner: Owner, signal: AbortSignal,
  pullAgain: (() => Promise<void>) | undefined): Promise<Created> {
  const create = async (): Promise<string> => (await docker.containers.create(spec.body, {
    name: spec.name, signal, ...(spec.platform !== undefined ? { platform: spec.platform } : {}),
  })).Id;
  try {
    return { id: await create(), recovered: undefined };
  } catch (err) {
    if (err instanceof NotFoundError) {
      if (pullAgain === undefined) {
        throw new LatentWorkerCannotSubstantiate(owner.workerName,
          `image "${spec.body.Image}" not found on the engine when creating the container: ${err.engineMessage}`, { cause: err });
      }
      await pullAgain();
      return { id: await create(), recovered: 'pulled' };
    }
    if (err instanceof ConflictError) {
      await replaceNamesake(docker, spec.name, owner, signal, err);
      return { id: await create(), recovered: 'replaced' };
    }
    throw err;
  }
}

/** Removes the container holding `name` when its labels say it is this worker's; otherwise the conflict is permanent. */
async function replaceNamesake(docker: Docker, name: string, owner: Owner, signal: AbortSignal, conflict: ConflictError): Promise<void> {
  let holder: ContainerInspectResponse;
  try {
    holder = await docker.containers.inspect(name, { signal });
  } catch (err) {
    if (err instanceof NotFoundError) return; // gone meanwhile: the retry will tell
    throw err;
  }
  // an exact name (inspect by name is exact) and our labels: ours, left over
  if (!isOwnedBy(holder.Config.Labels, owner.masterId, owner.workerName)) {
    throw new LatentWorkerCannotSubstantiate(owner.workerName,
      `a container named "${name}" exists and is not worker "${owner.workerName}"'s (its labels say otherwise); remove or rename it`, { cause: conflict });
  }
  try {
    await docker.containers.remove(holder.Id, { force: true, volumes: true, signal });
  } catch (err) {
    if (!isGone(err)) throw err;
  }
}

/** Start failures no retry can cure: the host cannot run the image, or its command does not exist. */
const UNRUNNABLE = /operating system does not match|exec format error|executable file not found|unable to start container process: exec:|attempted to invoke a command that was not found/i;

/** Starts the container; a failure that no retry can cure is a {@link LatentWorkerCannotSubstantiate}. */
export async function startContainer(docker: Docker, id: string, image: string, workerName: string, signal: AbortSignal): Promise<void> {
  try {
    await docker.containers.start(id, { signal });
  } catch (err) {
    if (err instanceof DockerApiError && UNRUNNABLE.test(err.engineMessage)) {
      throw new LatentWorkerCannotSubstantiate(workerName, `image "${image}" cannot run on this engine: ${err.engineMessage}`, { cause: err });
    }
    throw err;
  }
}
