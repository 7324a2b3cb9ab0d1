import { isNotFound, type Docker } from '../../engine/index.js';
import { systemClock, type Clock } from '../clock.js';
import { asError } from '../errors.js';
import { isLiveWorker } from '../docker/live-workers.js';
import { LABEL_WORKER, isOwnedBy, ownedByFilter } from '../labels.js';
import { waitForServiceGone, type ServiceRef } from './task-watch.js';

/**
 * The Swarm objects of workers — services and password secrets — found by
 * their owner labels and removed: a service, then (once its tasks and
 * containers are gone, as a secret in use cannot be removed) the secrets.
 */

/** How long a removal waits for a service's tasks and containers to go beyond its stop grace period, in milliseconds. */
export const SERVICE_GONE_MS = 60_000;

/**
 * Removes a service (404: already gone) and waits until its tasks and its
 * containers on this engine are gone: up to {@link SERVICE_GONE_MS} past
 * the grace period its tasks have to stop (`graceMs`).
 */
export async function removeService(docker: Docker, service: ServiceRef, clock: Clock, pollMs: number, graceMs = 0): Promise<void> {
  await docker.services.remove(service.id).catch((err: unknown) => {
    if (!isNotFound(err)) throw err;
  });
  const timeoutMs = graceMs + SERVICE_GONE_MS;
  if (!await waitForServiceGone(docker, service, clock, pollMs, timeoutMs)) {
    throw new Error(`the tasks of service ${service.name} were still there ${timeoutMs / 1000} s after its removal`);
  }
}

/** Removes a secret; 404 is success. */
export async function removeSecret(docker: Docker, secretId: string): Promise<void> {
  await docker.secrets.remove(secretId).catch((err: unknown) => {
    if (!isNotFound(err)) throw err;
  });
}

/** What {@link removeOwnedSwarmObjects} removed, and what it could not. */
export interface SwarmSweep {
  readonly services: ReadonlyArray<{ readonly id: string; readonly name: string; readonly worker: string }>;
  readonly secrets: ReadonlyArray<{ readonly id: string; readonly name: string; readonly worker: string }>;
  readonly failures: ReadonlyArray<{ readonly kind: 'service' | 'secret'; readonly id: string; readonly error: Error }>;
}

/**
 * Removes the services and secrets of master `masterId` (of worker
 * `workerName` only, when given) that `keep` does not keep: every service
 * first, waiting for its tasks, then the secrets. A failure is collected and
 * the sweep goes on; a failure to list rejects.
 */
export async function removeOwnedSwarmObjects(docker: Docker, options: {
  masterId: string; workerName?: string; keep?: (worker: string) => boolean; clock: Clock; pollMs: number;
}): Promise<SwarmSweep> {
  const filters = ownedByFilter(options.masterId, options.workerName);
  const keep = options.keep ?? (() => false);
  const ownerOf = (labels: Readonly<Record<string, string>> | null | undefined): string | undefined =>
    isOwnedBy(labels, options.masterId, options.workerName) ? labels?.[LABEL_WORKER] ?? '' : undefined;
  const services: Array<SwarmSweep['services'][number]> = [];
  const secrets: Array<SwarmSweep['secrets'][number]> = [];
  const failures: Array<SwarmSweep['failures'][number]> = [];
  for (const s of await docker.services.list({ filters })) {
    const worker = ownerOf(s.Spec?.Labels);
    if (worker === undefined || keep(worker)) continue;
    try {
      const grace = s.Spec?.TaskTemplate?.ContainerSpec?.StopGracePeriod;
      await removeService(docker, { id: s.ID, name: s.Spec?.Name ?? '' }, options.clock, options.pollMs, grace === undefined ? 10_000 : grace / 1e6);
      services.push({ id: s.ID, name: s.Spec?.Name ?? '', worker });
    } catch (err) {
      failures.push({ kind: 'service', id: s.ID, error: asError(err) });
    }
  }
  for (const s of await docker.secrets.list({ filters })) {
    const worker = ownerOf(s.Spec.Labels);
    if (worker === undefined || keep(worker)) continue;
    try {
      await removeSecret(docker, s.ID);
      secrets.push({ id: s.ID, name: s.Spec.Name ?? '', worker });
    } catch (err) {
      failures.push({ kind: 'secret', id: s.ID, error: asError(err) });
    }
  }
  return { services, secrets, failures };
}

/** Options of {@link reapSwarmOrphans}. */
export interface SwarmReapOptions {
  /** A manager of the swarm. */
  readonly docker: Docker;
  readonly masterId: string;
  /** Workers (by name) whose services and secrets stay, besides the live workers of this process. */
  readonly keep?: Iterable<string> | ((workerName: string) => boolean);
  /** The clock the waits for removed services run on. Default: the system clock. */
  readonly clock?: Clock;
}

/**
 * The reaper for Swarm workers: after a master crashed, its workers'
 * services (and their tasks) and password secrets stay in the swarm; this
 * removes them by label (`berth.managed`, `berth.master`), except those of
 * workers alive in this process and those `keep` keeps.
 */
export async function reapSwarmOrphans(options: SwarmReapOptions): Promise<SwarmSweep> {
  const names = typeof options.keep === 'function' ? undefined : new Set(options.keep ?? []);
  const keepFn = typeof options.keep === 'function' ? options.keep : (w: string) => names?.has(w) ?? false;
  return removeOwnedSwarmObjects(options.docker, {
    masterId: options.masterId, clock: options.clock ?? systemClock, pollMs: 250,
    keep: (w) => isLiveWorker(options.masterId, w) || keepFn(w),
  });
}
