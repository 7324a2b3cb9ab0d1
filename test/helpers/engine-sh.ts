import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * Private engines a test starts itself (beyond the shared ones of
 * scripts/test-engines.sh): `scripts/engine.sh start|stop|image …`, and a
 * free port for a swarm's listen address.
 */

const run = promisify(execFile);
const ENGINE_SH = fileURLToPath(new URL('../../../scripts/engine.sh', import.meta.url));

/** Runs scripts/engine.sh with `args` (3 minutes at most); resolves with its trimmed stdout. */
export async function engineSh(...args: string[]): Promise<string> {
  const { stdout } = await run(ENGINE_SH, args, { timeout: 180_000 });
  return stdout.trim();
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** True when the host has a network interface named `name`. */
export async function interfaceExists(name: string): Promise<boolean> {
  return run('ip', ['link', 'show', name]).then(() => true, () => false);
}
