/**
 * The Docker latent workers alive in this process, by master and name: the
 * reaper leaves their containers and images alone (a live worker removes
 * its own leftovers when it starts, and may be creating a container right
 * now). A worker registers when it is made and leaves at `shutdown()`.
 */

const live = new Map<string, number>();

function key(masterId: string, workerName: string): string {
  return `${masterId}\u0000${workerName}`;
}

/** Registers a live worker; returns the function that unregisters it (once). */
export function registerLiveWorker(masterId: string, workerName: string): () => void {
  const k = key(masterId, workerName);
  live.set(k, (live.get(k) ?? 0) + 1);
  let done = false;
  return () => {
    if (done) return;
    done = true;
    const n = (live.get(k) ?? 1) - 1;
    if (n > 0) live.set(k, n);
    else live.delete(k);
  };
}

/** True when a worker named `workerName` of master `masterId` is alive in this process. */
export function isLiveWorker(masterId: string, workerName: string): boolean {
  return live.has(key(masterId, workerName));
}
