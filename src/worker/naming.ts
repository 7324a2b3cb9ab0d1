import { createHash } from 'node:crypto';

/**
 * Names of what a worker creates on the engine. A name is stable (the same
 * worker on the same master always gets the same one, so a restarted
 * master finds and replaces its leftovers) and unique per worker and master
 * (two masters on one engine never collide). Names are for people and for
 * the engine's uniqueness check; berth finds its objects by label, never by
 * name prefix (Docker's name filter matches substrings: Buildbot #3800).
 */

/** The engine's rule for container names (`daemon/names`). */
export const CONTAINER_NAME_RULE = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** The longest readable worker part kept in a name; the hash keeps truncated names unique. */
const MAX_READABLE = 40;

/** The first `length` hex digits of sha256 of the parts (NUL-separated, so no two part lists collide). */
function shortHash(parts: readonly string[], length: number): string {
  const h = createHash('sha256');
  parts.forEach((p, i) => h.update(i === 0 ? p : `\u0000${p}`));
  return h.digest('hex').slice(0, length);
}

/** The worker name made safe for the engine: `_` and every other character outside `[A-Za-z0-9.-]` become `-`. */
function readable(workerName: string, lowerCase: boolean): string {
  const cased = lowerCase ? workerName.toLowerCase() : workerName;
  const safe = cased.replace(/[^A-Za-z0-9.-]/g, '-').replace(/-{2,}/g, '-').replace(/^[-.]+|[-.]+$/g, '');
  return safe.slice(0, MAX_READABLE).replace(/[-.]+$/, '') || 'worker';
}

/**
 * The container name of a worker: `berth-<worker>-<hash>`, where `<worker>`
 * is the worker name sanitised for the engine (`_`→`-`, as Buildbot does)
 * and `<hash>` is 12 hex digits of sha256 over the master id and the exact
 * worker name. Hashing the worker name too keeps names unique when
 * sanitising makes two worker names alike (`a_b` and `a-b`).
 */
export function containerName(workerName: string, masterId: string): string {
  return `berth-${readable(workerName, false)}-${shortHash([masterId, workerName], 12)}`;
}

/**
 * The image a worker built from its `dockerfile` is tagged with, when no
 * `image` is configured: `berth-<worker>-<hash>:latest`, lower-case (image
 * names must be), stable across master restarts (Buildbot's was derived from
 * an object id, changed on every restart and broke on upper-case names).
 */
export function builtImageName(workerName: string, masterId: string): string {
  return `berth-${readable(workerName, true)}-${shortHash([masterId, workerName], 12)}:latest`;
}

/** The longest readable worker part of a service name: secret names add a suffix, and both must stay within 64 characters. */
const MAX_SERVICE_READABLE = 32;

/**
 * The Swarm service name of a worker: `berth-<worker>-<hash>` like
 * {@link containerName}, but lower-case, with `-` for `.` (service names
 * are DNS labels) and a shorter readable part, so that
 * `<service>-<8 hex digits>` (the secret of one start) fits the swarm's 64.
 */
export function serviceName(workerName: string, masterId: string): string {
  const part = readable(workerName, true).replace(/\./g, '-').slice(0, MAX_SERVICE_READABLE).replace(/-+$/, '') || 'worker';
  return `berth-${part}-${shortHash([masterId, workerName], 12)}`;
}
