import { ConflictError, NotFoundError, type ContainerSummary, type Docker, type ImageSummary } from '../engine/index.js';
import { asError } from './errors.js';
import { isGone } from './docker/container-removal.js';
import { isLiveWorker } from './docker/live-workers.js';
import { LABEL_MASTER, LABEL_WORKER, isOwnedBy, ownedByFilter } from './labels.js';

/**
 * The reaper: after a master crashed, its workers' containers keep running
 * (or lie there exited) and its built images stay. A master that comes back
 * with the same `masterId` finds them **by label** (`berth.managed=true`,
 * `berth.master=<id>`) — never by name prefix, which once removed another
 * worker's container (Buildbot #3800) — and removes them, except those of
 * workers alive in this process (they clean up after themselves when they
 * start) and those the caller keeps.
 *
 * ```ts
 * const { containers, images } = await reapOrphans({ docker, masterId: 'ci-master-1' });
 * ```
 */

/** Options of {@link reapOrphans}. */
export interface ReapOptions {
  /** The engine to sweep. */
  readonly docker: Docker;
  /** The master whose orphans to remove (the workers' `masterId`). */
  readonly masterId: string;
  /** Workers (by name) whose containers and images stay, besides the live workers of this process. */
  readonly keep?: Iterable<string> | ((workerName: string) => boolean);
  readonly signal?: AbortSignal;
}

/** A container the reaper removed. */
export interface ReapedContainer {
  readonly id: string;
  /** Its name, without the leading `/`. */
  readonly name: string;
  readonly worker: string;
  /** Its state when found (`running`, `exited`, …). */
  readonly state: string;
}

/** An image the reaper removed: built by a worker of this master, used by no container. */
export interface ReapedImage {
  readonly id: string;
  readonly tags: readonly string[];
  readonly worker: string;
}

/** A volume or network the reaper removed: labelled as this master's (by a host, or by a worker's options). */
export interface ReapedResource {
  /** The volume's name, or the network's id. */
  readonly id: string;
  readonly name: string;
  readonly worker: string;
}

/** Something the reaper could not remove. */
export interface ReapFailure {
  readonly kind: 'container' | 'image' | 'volume' | 'network';
  readonly id: string;
  readonly error: Error;
}

/** What {@link reapOrphans} did. */
export interface ReapResult {
  readonly containers: readonly ReapedContainer[];
  readonly images: readonly ReapedImage[];
  readonly volumes: readonly ReapedResource[];
  readonly networks: readonly ReapedResource[];
  readonly failures: readonly ReapFailure[];
}

/**
 * Removes the orphans of master `masterId` on an engine: its containers
 * (forced, with their anonymous volumes), then the images its workers built
 * that no container uses any more, then volumes and networks labelled as
 * this master's (workers make none themselves; a host that labels its own
 * with `ownerLabels()` has them swept too). A failure to remove one object
 * is collected in `failures` and the sweep goes on; a failure to list rejects.
 */
export async function reapOrphans(options: ReapOptions): Promise<ReapResult> {
  const { docker, masterId } = options;
  const call = options.signal ? { signal: options.signal } : {};
  const kept = keeper(masterId, options.keep);
  const filters = ownedByFilter(masterId);
  const containers: ReapedContainer[] = [];
  const failures: ReapFailure[] = [];
  const found = await docker.containers.list({ all: true, filters, ...call });
  for (const c of found) {
    const worker = ownerOf(c.Labels, masterId);
    if (worker === undefined || kept(worker)) continue;
    try {
      await docker.containers.remove(c.Id, { force: true, volumes: true, ...call });
      containers.push({ id: c.Id, name: (c.Names[0] ?? '').replace(/^\//, ''), worker, state: c.State });
    } catch (err) {
      if (!isGone(err)) failures.push({ kind: 'container', id: c.Id, error: asError(err) });
    }
  }
  const images = await reapImages(docker, masterId, kept, failures, call);
  const volumes = await reapResources(owned((await docker.volumes.list({ filters: masterFilter(masterId), ...call })).Volumes
    .map((v) => ({ id: v.Name, name: v.Name, labels: v.Labels })), masterId, kept), 'volume', (id) => docker.volumes.remove(id, call), failures);
  const networks = await reapResources(owned((await docker.networks.list({ filters: masterFilter(masterId), ...call }))
    .map((n) => ({ id: n.Id, name: n.Name, labels: n.Labels })), masterId, kept), 'network', (id) => docker.networks.remove(id, call), failures);
  return { containers, images, volumes, networks, failures };
}

/**
 * One label on the engine's side: podman 4.3 lists no image for two label
 * filters; the other owner labels are checked by the reaper.
 */
function masterFilter(masterId: string): { label: string[] } {
  return { label: [`${LABEL_MASTER}=${masterId}`] };
}

/** The objects of master `masterId` that no kept worker owns, with their owner. */
function owned(found: ReadonlyArray<{ id: string; name: string; labels: Readonly<Record<string, string>> | null | undefined }>,
  masterId: string, kept: (worker: string) => boolean): ReapedResource[] {
  return found.flatMap((f) => {
    const worker = ownerOf(f.labels, masterId);
    return worker === undefined || kept(worker) ? [] : [{ id: f.id, name: f.name, worker }];
  });
}

async function reapResources(found: readonly ReapedResource[], kind: 'volume' | 'network', remove: (id: string) => Promise<void>,
  failures: ReapFailure[]): Promise<ReapedResource[]> {
  const reaped: ReapedResource[] = [];
  for (const r of found) {
    try {
      await remove(r.id);
      reaped.push(r);
    } catch (err) {
      if (!(err instanceof NotFoundError)) failures.push({ kind, id: r.id, error: asError(err) });
    }
  }
  return reaped;
}

async function reapImages(docker: Docker, masterId: string, kept: (worker: string) => boolean, failures: ReapFailure[],
  call: { signal?: AbortSignal }): Promise<ReapedImage[]> {
  const built = await docker.images.list({ filters: masterFilter(masterId), ...call });
  const candidates = built
    .map((image) => ({ image, worker: ownerOf(image.Labels, masterId), tags: (image.RepoTags ?? []).filter((t) => t !== '<none>:<none>') }))
    .filter((c): c is { image: ImageSummary; worker: string; tags: string[] } => c.worker !== undefined && !kept(c.worker))
    // tagged images first: removing one takes its untagged intermediate layers along (podman labels those too)
    .sort((a, b) => Number(b.tags.length > 0) - Number(a.tags.length > 0));
  if (candidates.length === 0) return [];
  const used = new Set((await docker.containers.list({ all: true, ...call })).map((c: ContainerSummary) => c.ImageID));
  const reaped: ReapedImage[] = [];
  for (const { image, worker, tags } of candidates) {
    if (used.has(image.Id)) continue;
    try {
      // by tag: the last one removes the image; never forced (podman's force removes the containers too)
      for (const tag of tags) await docker.images.remove(tag, call);
      if (tags.length === 0) await docker.images.remove(image.Id, call);
      reaped.push({ id: image.Id, tags, worker });
    } catch (err) {
      if (err instanceof NotFoundError) continue;
      // an untagged layer that another image still builds on is not an orphan of its own
      if (tags.length === 0 && err instanceof ConflictError && /dependent child/i.test(err.engineMessage)) continue;
      failures.push({ kind: 'image', id: image.Id, error: asError(err) });
    }
  }
  return reaped;
}

/** The worker owning an object of master `masterId`, from its labels; undefined when it is not this master's. */
function ownerOf(labels: Readonly<Record<string, string>> | null | undefined, masterId: string): string | undefined {
  if (!isOwnedBy(labels, masterId)) return undefined;
  return labels?.[LABEL_WORKER] ?? '';
}

function keeper(masterId: string, keep: ReapOptions['keep']): (worker: string) => boolean {
  const keepFn = typeof keep === 'function' ? keep : (() => {
    const names = new Set(keep ?? []);
    return (worker: string) => names.has(worker);
  })();
  return (worker) => isLiveWorker(masterId, worker) || keepFn(worker);
}
