import t from 'tap';
import { Docker } from '../../src/index.js';
import { engineOr } from '../helpers/engines.js';

/**
 * Load through one client on a real engine: 10,000 pings issued at once
 * all succeed (undici queues what the pool cannot carry at once; nothing
 * is dropped, refused or left open).
 */

const PINGS = 10_000;

function openSockets(): number {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter((h) => h !== null && typeof h === 'object' && h.constructor.name === 'Socket').length;
}

t.test(`${PINGS.toLocaleString('en')} concurrent pings through one client`, async (t) => {
  const engine = engineOr(t, 'dockerd-20.10');
  if (!engine) return;
  const before = openSockets();
  const docker = new Docker({ host: engine.host, env: {} });
  const results = await Promise.allSettled(Array.from({ length: PINGS }, () => docker.ping()));
  const failed = results.filter((r) => r.status === 'rejected');
  t.equal(failed.length, 0, failed.length > 0 ? `first failure: ${String((failed[0] as PromiseRejectedResult).reason)}` : 'every ping answered');
  t.ok(results.every((r) => r.status === 'fulfilled' && r.value.osType === 'linux'), 'each with the engine\'s answer');
  await docker.close();
  t.ok(openSockets() <= before, `no socket left open (${openSockets()} now, ${before} before)`);
});
