import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { NotFoundError, type Docker, type SwarmInitRequest } from '../../src/index.js';

/**
 * One swarm at a time on this machine. Swarm mode creates `docker_gwbridge`
 * — a host-global interface name, taking a 172.x/16 — when a task needs it,
 * and gossip binds ADVERTISE_IP:7946, so two swarms (two engines in swarm
 * mode on 127.0.0.1) cannot coexist. Every test that initialises a swarm
 * (the swarm scenarios when recorded or run live, the two-node test) holds
 * this lock from before `init` to after `leave`: a directory, atomic to
 * create, holding the holder's pid; a lock whose holder is dead is taken
 * over. Tests run in parallel processes, so they queue on it.
 *
 * A holder releases the lock only once its engine's docker_gwbridge is gone,
 * and a new holder refuses to start while the interface exists: a second
 * engine would silently share it, and stopping either would pull it from
 * under the other.
 */
const LOCK = '/tmp/berth-swarm.lock';
const GWBRIDGE = '/sys/class/net/docker_gwbridge';

let held = false;

function holderAlive(): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(`${LOCK}/pid`, 'utf8'));
  } catch {
    // being created right now, or its creator died before writing the pid
    try { return Date.now() - statSync(LOCK).mtimeMs < 10_000; } catch { return false; }
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the machine-wide swarm lock, waiting (up to `timeoutMs`) for another holder to finish. */
export async function acquireSwarmLock(timeoutMs = 600_000): Promise<void> {
  if (held) throw new Error('this process already holds the swarm lock: a swarm test did not release it');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(`${LOCK}/pid`, String(process.pid));
      held = true;
      if (existsSync(GWBRIDGE)) {
        releaseSwarmLock();
        throw new Error('docker_gwbridge exists on this host (a leftover, or a swarm outside these tests): a test swarm would share it; remove it first');
      }
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (!holderAlive()) {
      rmSync(LOCK, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for the swarm lock ${LOCK} (held by pid ${readFileSync(`${LOCK}/pid`, 'utf8')})`);
    await delay(200);
  }
}

/** Releases the swarm lock if this process holds it. */
export function releaseSwarmLock(): void {
  if (!held) return;
  held = false;
  rmSync(LOCK, { recursive: true, force: true });
}

/**
 * Waits (up to 10 s) until this node's ingress sandbox is up. Swarm init
 * sets it up in the background, on docker_gwbridge; a leave that races it
 * leaves it half-removed on dockerd 20.10 ("timeout while waiting for
 * ingress network removal"), with docker_gwbridge stuck in use until the
 * engine restarts.
 */
export async function waitForIngress(docker: Docker): Promise<boolean> {
  const { met } = await pollUntil(
    () => docker.networks.inspect('ingress').then((n) => n.Containers ?? {}, () => ({})),
    (containers) => 'ingress-sbox' in containers, 100, 100,
  );
  return met;
}

/**
 * Waits (up to 5 s) until the node object stops changing: a node update
 * (availability, labels) makes the managers update the node again, and a
 * leave racing that leaves dockerd 20.10's ingress network half-removed,
 * like a leave racing the ingress setup (reproduced: about one leave in
 * three right after a pause → active round trip). Stable means the same
 * `Version.Index` on three reads 100 ms apart.
 */
export async function waitForNodeToSettle(docker: Docker, nodeId: string): Promise<boolean> {
  let last = -1;
  let same = 0;
  const { met } = await pollUntil(
    async () => {
      const index = await docker.nodes.inspect(nodeId).then((n) => n.Version.Index, () => -1);
      same = index === last ? same + 1 : 0;
      last = index;
      return same;
    },
    (n) => n >= 2, 50, 100,
  );
  return met;
}

/**
 * Leaves any swarm (force) — once the ingress sandbox is up and the node
 * has settled, see {@link waitForIngress} and {@link waitForNodeToSettle} —
 * and removes the `docker_gwbridge` network (and
 * so its host interface) the engine made. Resolves with whether the engine
 * is rid of docker_gwbridge.
 */
export async function leaveSwarm(docker: Docker): Promise<boolean> {
  const info = await docker.info().catch(() => undefined);
  if (info?.Swarm?.LocalNodeState === 'active') {
    await waitForIngress(docker);
    if (info.Swarm.NodeID) await waitForNodeToSettle(docker, info.Swarm.NodeID);
  }
  await docker.swarm.leave({ force: true }).catch(() => undefined);
  // the ingress sandbox's endpoint on docker_gwbridge may still be going
  // away (403 "active endpoints"): retry until the network is gone
  const { met } = await pollUntil(
    () => docker.networks.remove('docker_gwbridge').then(() => true, (err: unknown) => err instanceof NotFoundError),
    (gone) => gone, 150, 100,
  );
  return met;
}

/** The settings of the single-node swarms of the scenarios (fixed: they are part of the recorded request). */
export const SCENARIO_SWARM: Readonly<SwarmInitRequest> = {
  ListenAddr: '127.0.0.1:24377',
  AdvertiseAddr: '127.0.0.1:24377',
  DataPathPort: 24789,
  DefaultAddrPool: ['10.214.0.0/16'],
  SubnetSize: 24,
};

/**
 * Takes the lock, leaves leftovers, and (unless `init: false`) initialises
 * a single-node swarm and waits for its ingress sandbox. Releases the lock
 * if it fails.
 */
export async function enterSwarm(docker: Docker, options: { init?: boolean } = {}): Promise<void> {
  await acquireSwarmLock();
  try {
    if (!await leaveSwarm(docker)) throw new Error('the engine holds a docker_gwbridge it cannot remove');
    if (options.init !== false) {
      await docker.swarm.init({ ...SCENARIO_SWARM });
      if (!await waitForIngress(docker)) throw new Error('the swarm\'s ingress sandbox did not come up');
    }
  } catch (err) {
    await leaveSwarm(docker);
    releaseSwarmLock();
    throw err;
  }
}

/** Leaves the swarm, removes `docker_gwbridge`, releases the lock; fails when docker_gwbridge stays behind. */
export async function exitSwarm(docker: Docker): Promise<void> {
  try {
    if (!await leaveSwarm(docker)) throw new Error('docker_gwbridge is still in use after leaving the swarm (see the engine log)');
  } finally {
    releaseSwarmLock();
  }
}

/**
 * Polls `probe` (an engine read) until `done` says yes: at most `attempts`
 * reads, `intervalMs` apart. Returns the last value read and whether it met
 * the condition.
 */
export async function pollUntil<T>(probe: () => Promise<T>, done: (value: T) => boolean, attempts = 300, intervalMs = 100): Promise<{ value: T; met: boolean }> {
  let value = await probe();
  for (let i = 1; i < attempts && !done(value); i++) {
    await delay(intervalMs);
    value = await probe();
  }
  return { value, met: done(value) };
}
