import t from 'tap';
import { readdirSync } from 'node:fs';
import { DockerLatentWorker, ManualClock, type BuildWithProperties } from '../../src/index.js';
import { ownedContainers, removeOwned } from '../helpers/docker-worker.js';
import { dockerFor, engineOr, type EngineName } from '../helpers/engines.js';

/**
 * Substantiate → insubstantiate cycles, eight workers at a time, each
 * worker making its own engine client from `dockerHost` (one per worker,
 * negotiated once, closed at shutdown): at the end no container of the
 * master is left (counted by label), the process holds no more file
 * descriptors than before, give or take a few, and its resident memory has
 * not grown with the cycles. A hundred cycles by default;
 * `BERTH_SOAK_CYCLES=1000` makes it the soak run on dockerd (as CI runs it);
 * podman, several times slower per cycle, stays at a hundred.
 * The descriptor and memory samples are printed as a table.
 */

const MASTER = 'berth-it:/cycles';
const SOAK_CYCLES = Number(process.env.BERTH_SOAK_CYCLES ?? 100);
if (!Number.isInteger(SOAK_CYCLES) || SOAK_CYCLES < 8) throw new Error(`BERTH_SOAK_CYCLES must be an integer >= 8, got ${process.env.BERTH_SOAK_CYCLES ?? ''}`);
const PARALLEL = 8;
/** Descriptors the process may hold more after the run than before (lazily opened internals, not one per cycle). */
const FD_SLACK = 6;
/**
 * Resident memory may grow this much from the first tenth of the run to its
 * end: warm-up (JIT, pools, the engine client's caches) is done by then, and
 * a leak of even a few kilobytes per cycle would pass it over a long soak.
 */
const RSS_SLACK_MB = 40;

const mb = (bytes: number): number => Math.round(bytes / 1024 / 102.4) / 10;

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

for (const name of ['dockerd-20.10', 'podman-4.3'] as const satisfies readonly EngineName[]) {
  const CYCLES = name === 'dockerd-20.10' ? SOAK_CYCLES : Math.min(SOAK_CYCLES, 100);
  t.test(`${CYCLES} cycles on ${name}, ${PARALLEL} workers at a time`, async (t) => {
    const engine = engineOr(t, name);
    if (!engine) return;
    const docker = dockerFor(t, engine);
    await removeOwned(docker, MASTER);
    t.teardown(() => removeOwned(docker, MASTER));
    const fdsBefore = openFds();
    // the run's own look at the engine: closed before descriptors are counted again
    const probe = dockerFor(t, engine);
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
    const samples: { cycles: number; fds: number; rssMb: number }[] = [{ cycles: 0, fds: fdsBefore, rssMb: mb(process.memoryUsage().rss) }];
    const every = Math.max(1, Math.round(CYCLES / 10));
    await Promise.all(workers.map(async (w) => {
      while (next < CYCLES) {
        next++;
        await w.substantiate();
        peak = Math.max(peak, (await ownedContainers(probe, MASTER)).length);
        await w.insubstantiate();
        done++;
        if (done % every === 0) samples.push({ cycles: done, fds: openFds(), rssMb: mb(process.memoryUsage().rss) });
      }
    }));
    t.equal(done, CYCLES, 'every cycle ran');
    t.ok(peak <= PARALLEL, `at most one container per worker at any time (peak ${peak})`);
    t.same(await ownedContainers(probe, MASTER), [], 'no container of the master is left (by label)');
    t.equal(connects.filter((reused) => !reused).length, PARALLEL, 'one client per worker, reused by its later starts');
    t.same(workers.flatMap((w) => w.pendingCleanups), [], 'no cleanup pending');
    await Promise.all(workers.map((w) => w.shutdown()));
    await probe.close();
    const fdsAfter = openFds();
    t.ok(fdsAfter <= fdsBefore + FD_SLACK, `no descriptor growth: ${fdsBefore} before, ${fdsAfter} after`);
    const warm = samples[1] ?? samples[0];
    const last = samples[samples.length - 1];
    t.ok(warm !== undefined && last !== undefined && last.rssMb - warm.rssMb <= RSS_SLACK_MB,
      `resident memory flat after warm-up: ${warm?.rssMb ?? '?'} MB at ${warm?.cycles ?? '?'} cycles, ${last?.rssMb ?? '?'} MB at ${last?.cycles ?? '?'}`);
    t.comment(`${name}, ${CYCLES} cycles, ${PARALLEL} at a time:\n| cycles | open fds | RSS (MB) |\n|---:|---:|---:|\n${samples.map((x) => `| ${x.cycles} | ${x.fds} | ${x.rssMb} |`).join('\n')}`);
  });
}
