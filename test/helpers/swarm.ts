import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
 */
const LOCK = '/tmp/berth-swarm.lock';

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
 * Leaves any swarm (force) and removes the `docker_gwbridge` network (and so
 * its host interface) this engine may have made. Never throws: for setup
 * and cleanup.
 */
export async function leaveSwarm(docker: Docker): Promise<void> {
  await docker.swarm.leave({ force: true }).catch(() => undefined);
  // the ingress sandbox's endpoint on docker_gwbridge may still be going
  // away (403 "active endpoints"): retry until the network is gone
  await pollUntil(
    () => docker.networks.remove('docker_gwbridge').then(() => true, (err: unknown) => err instanceof NotFoundError),
    (gone) => gone, 50, 100,
  ).catch(() => undefined);
}

/** The settings of the single-node swarms of the scenarios (fixed: they are part of the recorded request). */
export const SCENARIO_SWARM: Readonly<SwarmInitRequest> = {
  ListenAddr: '127.0.0.1:24377',
  AdvertiseAddr: '127.0.0.1:24377',
  DataPathPort: 24789,
  DefaultAddrPool: ['10.214.0.0/16'],
  SubnetSize: 24,
};

/** Takes the lock, leaves leftovers, and (unless `init: false`) initialises a single-node swarm. Releases the lock if it fails. */
export async function enterSwarm(docker: Docker, options: { init?: boolean } = {}): Promise<void> {
  await acquireSwarmLock();
  try {
    await leaveSwarm(docker);
    if (options.init !== false) await docker.swarm.init({ ...SCENARIO_SWARM });
  } catch (err) {
    await leaveSwarm(docker);
    releaseSwarmLock();
    throw err;
  }
}

/** Leaves the swarm, removes `docker_gwbridge`, releases the lock. */
export async function exitSwarm(docker: Docker): Promise<void> {
  try {
    await leaveSwarm(docker);
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
