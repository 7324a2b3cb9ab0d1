import t from 'tap';
import { readdirSync } from 'node:fs';
import { DockerLatentWorker, ManualClock, type BuildWithProperties } from '../../src/index.js';
import { ownedContainers, removeOwned } from '../helpers/docker-worker.js';
import { dockerFor, engineOr, type EngineName } from '../helpers/engines.js';

/**
 * A hundred substantiate → insubstantiate cycles, eight workers at a time,
 * each worker making its own engine client from `dockerHost` (one per
 * worker, negotiated once, closed at shutdown): at the end no container of
 * the master is left (counted by label) and the process holds no more file
 * descriptors than before, give or take a few.
 */

const MASTER = 'berth-it:/cycles';
const CYCLES = 100;
const PARALLEL = 8;
/** Descriptors the process may hold more after the run than before (lazily opened internals, not one per cycle). */
const FD_SLACK = 6;

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

for (const name of ['dockerd-20.10', 'podman-4.3'] as const satisfies readonly EngineName[]) {
  t.test(`${CYCLES} cycles on ${name}, ${PARALLEL} workers at a time`, async (t) => {
    const engine = engineOr(t, name);
    if (!engine) return;
    const docker = dockerFor(t, engine);
    await removeOwned(docker, MASTER);
    t.teardown(() => removeOwned(docker, MASTER));
    const fdsBefore = openFds();
    const clock = new ManualClock();
    const workers = Array.from({ length: PARALLEL }, (_, i) => new DockerLatentWorker<BuildWithProperties>({
      name: `cycle_${i}`, masterId: MASTER, dockerHost: engine.host, image: engine.image, readiness: 'running',
      command: ['sleep', '600'], hostconfig: { NetworkMode: 'none' }, clock,
    }));
    t.teardown(() => Promise.all(workers.map((w) => w.shutdown())));
    const connects: boolean[] = [];
    for (const w of workers) w.on('event', (e) => { if (e.type === 'step' && e.step === 'connect') connects.push(e.detail?.reused === true); });
    let next = 0;
    let done = 0;
    let peak = 0;
    await Promise.all(workers.map(async (w) => {
      while (next < CYCLES) {
        next++;
        await w.substantiate();
        peak = Math.max(peak, (await ownedContainers(docker, MASTER)).length);
        await w.insubstantiate();
        done++;
      }
    }));
    t.equal(done, CYCLES, 'every cycle ran');
    t.ok(peak <= PARALLEL, `at most one container per worker at any time (peak ${peak})`);
    t.same(await ownedContainers(docker, MASTER), [], 'no container of the master is left (by label)');
    t.equal(connects.filter((reused) => !reused).length, PARALLEL, 'one client per worker, reused by its later starts');
    t.same(workers.flatMap((w) => w.pendingCleanups), [], 'no cleanup pending');
    await Promise.all(workers.map((w) => w.shutdown()));
    const fdsAfter = openFds();
    t.ok(fdsAfter <= fdsBefore + FD_SLACK, `no descriptor growth: ${fdsBefore} before, ${fdsAfter} after`);
  });
}
