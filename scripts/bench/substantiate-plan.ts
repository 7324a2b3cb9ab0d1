import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Docker } from '../../src/index.js';
import { freePort } from '../../test/helpers/private-engine.js';
import { acquireSwarmLock, leaveSwarm, pollUntil, releaseSwarmLock } from '../../test/helpers/swarm.js';
import { failuresOf, fmt, metricOf, ratio, spread, type Benchmark, type CaseSpec, type Table, type TrialRecord } from './harness.js';
import { SUBSTANTIATE_CONTENDERS } from './substantiate.js';

/**
 * Worker substantiation at scale: N = 1, 8, 32 workers started at once on
 * one engine, on a pool of two engines, and on a two-node swarm, against as
 * many `docker run -d` on the same engine(s). The benchmark starts its own
 * two private dockerds (scripts/engine.sh) with the same image, by the same
 * id, on both, makes them a swarm (the manager on 127.0.0.1, the other node
 * on 127.0.0.2, under the machine-wide swarm lock), and stops them at the
 * end.
 */

const run = promisify(execFile);
const MODES = ['engine', 'pool', 'swarm'] as const;
const MODE_LABELS: Record<string, string> = {
  engine: 'one engine: `DockerLatentWorker`',
  pool: 'pool of two engines: `EnginePool`',
  swarm: 'two-node swarm: `SwarmLatentWorker`',
};

export const substantiateBenchmark: Benchmark = {
  name: 'substantiate',
  title: 'Worker substantiation: N workers at once, against `docker run -d`',
  wantsEngine: false,
  async prepare(ctx) {
    const engineSh = async (...args: string[]): Promise<string> =>
      (await run(join(ctx.root, 'scripts/engine.sh'), args, { timeout: 180_000 })).stdout.trim();
    const dirs = ['a', 'b'].map((n) => join(ctx.scratch, n));
    await acquireSwarmLock();
    const clients: Docker[] = [];
    const close = async (): Promise<void> => {
      await Promise.all(clients.map((c) => c.close()));
      await Promise.all(dirs.map((d) => engineSh('stop', d).catch((err: unknown) => ctx.log(`stopping ${d}: ${String(err)}`))));
      releaseSwarmLock();
    };
    try {
      ctx.log('substantiate: starting two private dockerds, one image on both, a two-node swarm');
      await Promise.all(dirs.map((d) => engineSh('start', 'dockerd', d)));
      const [a, b] = dirs.map((d) => new Docker({ host: `unix://${d}/docker.sock`, env: {} })) as [Docker, Docker];
      clients.push(a, b);
      const image = await engineSh('image', `${dirs[0] as string}/docker.sock`);
      await b.images.load(await a.images.save('busybox:test'));
      const port = await freePort();
      const managerId = await a.swarm.init({ ListenAddr: `127.0.0.1:${port}`, AdvertiseAddr: `127.0.0.1:${port}` });
      const token = (await a.swarm.inspect()).JoinTokens?.Worker ?? '';
      await b.swarm.join({ ListenAddr: `127.0.0.2:${port}`, AdvertiseAddr: `127.0.0.2:${port}`, RemoteAddrs: [`127.0.0.1:${port}`], JoinToken: token });
      const ready = await pollUntil(() => a.nodes.list(), (ns) => ns.length === 2 && ns.every((n) => n.Status?.State === 'ready'));
      if (!ready.met) throw new Error('the second node did not join the swarm');
      const sockets = dirs.map((d) => `${d}/docker.sock`).join(',');
      const sizes = ctx.quick ? [1, 8] : [1, 8, 32];
      const cases: CaseSpec[] = MODES.flatMap((mode) => sizes.map((workers) => ({
        name: `${mode} N=${workers}`, params: { mode, workers, sockets, image: 'busybox:test' }, contenders: SUBSTANTIATE_CONTENDERS,
      })));
      return {
        rounds: ctx.rounds ?? (ctx.quick ? 1 : 3),
        cases,
        notes: [
          `Two private dockerds ${(await a.version()).Version} (\`--bridge=none\`); the swarm's manager is the first (node ${managerId.slice(0, 12)}).`,
          `Image busybox:test (${image.slice(7, 19)}); workers run \`sleep 300\` with readiness \`running\`, containers \`--init\`, network none (swarm: host).`,
          'Timed: from the first start request until every worker (or `docker run -d`) reported its container running; removal is not timed.',
          '`docker run -d` is the docker CLI 28, one process per container, all at once; on the pool and the swarm they alternate between the two engines.',
        ],
        close,
      };
    } catch (err) {
      for (const c of clients) await leaveSwarm(c).catch(() => undefined);
      await close();
      throw err;
    }
  },
  tables: substantiateTables,
};

function substantiateTables(records: readonly TrialRecord[], session: { cases: readonly CaseSpec[] }): Table[] {
  const m = (c: string, who: string, metric: string): number | undefined => metricOf(records, c, who, metric)?.median;
  const notes: string[] = [];
  const rows = session.cases.map((c) => {
    for (const who of SUBSTANTIATE_CONTENDERS) {
      const failed = failuresOf(records, c.name, who);
      if (failed) notes.push(`${c.name}, ${who}: ${failed}`);
    }
    const mode = String(c.params.mode);
    return [
      MODE_LABELS[mode] ?? mode, String(c.params.workers),
      fmt(m(c.name, 'berth', 'wallS')), fmt(m(c.name, 'docker-run', 'wallS')), ratio(m(c.name, 'berth', 'wallS'), m(c.name, 'docker-run', 'wallS')),
      fmt(m(c.name, 'berth', 'cpuS')),
      `${spread(metricOf(records, c.name, 'berth', 'wallS'))} / ${spread(metricOf(records, c.name, 'docker-run', 'wallS'))}`,
    ];
  });
  return [{
    title: 'Substantiation: seconds until N workers run',
    columns: ['where', 'N', 'berth s', '`docker run -d` s', 'berth ÷ docker run', 'berth CPU s', 'spread (berth / docker run)'],
    rows,
    notes,
  }];
}
