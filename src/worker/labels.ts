import { DockerConfigError } from '../engine/index.js';

/**
 * Labels on everything a worker creates (containers, built images,
 * volumes). They say who owns an object, so a master can find its orphans
 * after a crash by label, never by name.
 */

/** Marks an object as made by berth: `berth.managed=true`. */
export const LABEL_MANAGED = 'berth.managed';
/** The worker's name: `berth.worker=<name>`. */
export const LABEL_WORKER = 'berth.worker';
/** The master's id: `berth.master=<id>`. */
export const LABEL_MASTER = 'berth.master';
/** Label keys beginning with this are berth's own; user labels may not use them. */
export const RESERVED_LABEL_PREFIX = 'berth.';

/** The labels of an object owned by `workerName` on master `masterId`. */
export function ownerLabels(workerName: string, masterId: string): Record<string, string> {
  return { [LABEL_MANAGED]: 'true', [LABEL_WORKER]: workerName, [LABEL_MASTER]: masterId };
}

/**
 * User labels plus the owner labels. The owner labels cannot be overridden.
 * @throws DockerConfigError when a user label key is empty or uses the reserved `berth.` prefix
 */
export function workerLabels(workerName: string, masterId: string, userLabels: Readonly<Record<string, string>> = {}): Record<string, string> {
  for (const key of Object.keys(userLabels)) {
    if (key === '') throw new DockerConfigError('labels: a label key must not be empty');
    if (key.startsWith(RESERVED_LABEL_PREFIX)) {
      throw new DockerConfigError(`labels: "${key}" uses the prefix "${RESERVED_LABEL_PREFIX}", which berth keeps for its own labels`);
    }
  }
  return { ...userLabels, ...ownerLabels(workerName, masterId) };
}

/** A `filters` value for `GET /containers/json` (and images, volumes): label conditions, all of which must hold. */
export type LabelFilter = {
  readonly label: string[];
};

/**
 * The filter that finds what master `masterId` owns: every worker's objects,
 * or only `workerName`'s. This is how orphans are found after a master
 * crash; name prefixes are never used (Docker's name filter matches
 * substrings, which once removed another worker's container: Buildbot #3800).
 */
export function ownedByFilter(masterId: string, workerName?: string): LabelFilter {
  const label = [`${LABEL_MANAGED}=true`, `${LABEL_MASTER}=${masterId}`];
  if (workerName !== undefined) label.push(`${LABEL_WORKER}=${workerName}`);
  return { label };
}

/** True when `labels` (an object's `Labels`) say it is owned by `masterId` (and `workerName`, when given). */
export function isOwnedBy(labels: Readonly<Record<string, string>> | null | undefined, masterId: string, workerName?: string): boolean {
  if (!labels) return false;
  return labels[LABEL_MANAGED] === 'true' && labels[LABEL_MASTER] === masterId
    && (workerName === undefined || labels[LABEL_WORKER] === workerName);
}
