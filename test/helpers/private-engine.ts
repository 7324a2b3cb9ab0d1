import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';

/**
 * Engines a test starts for itself (it kills one, or makes it a swarm
 * node), through `scripts/engine.sh` in a short directory of the test's own,
 * and stops by pid through the same script.
 */

const run = promisify(execFile);
const ENGINE_SH = fileURLToPath(new URL('../../../scripts/engine.sh', import.meta.url));

/** Runs `scripts/engine.sh` with `args`; resolves with its trimmed stdout. */
export async function engineSh(...args: string[]): Promise<string> {
  const { stdout } = await run(ENGINE_SH, args, { timeout: 180_000 });
  return stdout.trim();
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The pid of the dockerd that `scripts/engine.sh start dockerd DIR` started in `dir`. */
export function dockerdPid(dir: string): number {
  const pid = Number(readFileSync(`${dir}/pid`, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no dockerd pid in ${dir}/pid`);
  return pid;
}

/** Whether a process with this pid exists (a zombie, dead but not yet reaped, still does). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Kills a process with SIGKILL and resolves once it is gone, reaped too
 * (bounded: 10 s): until then its pid still answers, and the engine script
 * would take the engine for running.
 */
export async function killHard(pid: number): Promise<void> {
  process.kill(pid, 'SIGKILL');
  for (let i = 0; alive(pid); i++) {
    if (i >= 1000) throw new Error(`pid ${pid} still runs 10 s after SIGKILL`);
    await delay(10);
  }
}

/** True when the host has a network interface named `name`. */
export async function interfaceExists(name: string): Promise<boolean> {
  return run('ip', ['link', 'show', name]).then(() => true, () => false);
}
