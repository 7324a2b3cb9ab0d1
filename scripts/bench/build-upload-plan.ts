import { randomFillSync } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { failuresOf, fmt, ratio, spread, summarize, trialsOf, type Benchmark, type CaseSpec, type Summary, type Table, type TrialRecord } from './harness.js';
import { BUILD_UPLOAD_CONTENDERS } from './build-upload.js';
import { verdict, type TargetRow } from './targets.js';

/**
 * The build upload: a generated directory built by berth, dockerode (two
 * forms) and the docker CLI with the classic builder, on the runner's
 * private dockerd, side by side. The Dockerfile is `FROM busybox:test` and a
 * LABEL, so a trial is the upload and the engine unpacking the context. The
 * contexts are written once into the scratch directory and removed at the
 * end.
 */

const BIG_FILE = 256 << 10;
const TINY_BYTES = 100;
const TINY_DIRS = 100;

interface Shape {
  name: string;
  big: number;
  tiny: number;
}

const FULL: readonly Shape[] = [
  { name: '0.5 GB', big: 2000, tiny: 20_000 },
  { name: '2 GB', big: 8000, tiny: 20_000 },
];
const QUICK: readonly Shape[] = [
  { name: '50 MB', big: 200, tiny: 2000 },
  { name: '100 MB', big: 400, tiny: 2000 },
];

const CONTENDER_LABELS: Record<string, string> = {
  'berth': 'berth `images.build({ context })`',
  'berth-liftoff': 'berth, V8 `--liftoff-only` (diagnosis)',
  'undici-floor': 'undici, the same bytes from one reused buffer (floor)',
  'dockerode-tarfs': 'dockerode `buildImage(tarfs.pack(dir))`',
  'dockerode-context': 'dockerode `buildImage({ context, src })` (gzip)',
  'cli': '`docker build` (CLI 28, classic builder)',
};

/** Writes `big` × 256 KiB files of distinct random bytes and `tiny` files of 100 bytes in 100 folders. */
function writeContext(dir: string, shape: Shape): number {
  mkdirSync(join(dir, 'big'), { recursive: true });
  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox:test\nLABEL berth.bench=build-upload\n');
  const random = randomFillSync(Buffer.alloc(4 << 20));
  for (let i = 0; i < shape.big; i++) {
    const at = (i * 4099) % (random.length - BIG_FILE);
    writeFileSync(join(dir, 'big', `${i}.bin`), random.subarray(at, at + BIG_FILE));
  }
  for (let d = 0; d < TINY_DIRS; d++) {
    mkdirSync(join(dir, `tiny-${d}`));
    for (let f = 0; f < shape.tiny / TINY_DIRS; f++) writeFileSync(join(dir, `tiny-${d}`, `${f}.txt`), random.subarray(f, f + TINY_BYTES));
  }
  return shape.big * BIG_FILE + shape.tiny * TINY_BYTES;
}

export const buildUploadBenchmark: Benchmark = {
  name: 'build-upload',
  title: 'Build upload: `POST /build` of a directory, against the docker CLI',
  wantsEngine: true,
  async prepare(ctx) {
    const close = async (): Promise<void> => undefined;
    if (ctx.engine === undefined) {
      return { rounds: 0, cases: [], notes: [`Skipped: no engine (${ctx.engineMissing ?? 'none started'}).`], close };
    }
    const shapes = ctx.quick ? QUICK : FULL;
    const dirs: string[] = [];
    const cases: CaseSpec[] = [];
    const sizes: string[] = [];
    for (const [i, shape] of shapes.entries()) {
      const dir = join(ctx.scratch, `build-context-${i}`);
      dirs.push(dir);
      const started = performance.now();
      const bytes = writeContext(dir, shape);
      ctx.log(`build-upload: wrote the ${shape.name} context (${shape.big + shape.tiny + 1} files) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      sizes.push(`${shape.name}: ${shape.big.toLocaleString('en-US')} × 256 KiB + ${shape.tiny.toLocaleString('en-US')} × 100 B in ${TINY_DIRS} folders`
        + ` (${(shape.big + shape.tiny + 1).toLocaleString('en-US')} files, ${(bytes / 1e6).toFixed(0)} MB)`);
      // dockerode's gzipping form takes minutes at 2 GB (its CPU grows with the size): measured on the small context only
      const contenders = i === 0 ? BUILD_UPLOAD_CONTENDERS : BUILD_UPLOAD_CONTENDERS.filter((c) => c !== 'dockerode-context');
      cases.push({ name: shape.name, params: { dir, socket: ctx.engine.socket, bytes }, contenders });
    }
    return {
      rounds: ctx.rounds ?? (ctx.quick ? 2 : 3),
      cases,
      notes: [
        `Engine: ${ctx.engine.name} ${ctx.engine.version} on a unix socket; \`FROM busybox:test\` and a LABEL, so a trial is the upload and the engine unpacking the files.`,
        `Contexts: ${sizes.join('; ')}.`,
        'Wall, CPU (user + sys) and peak RSS are those of the client process, start-up included: the trial process under GNU time for the Node clients, the docker CLI under its own GNU time.',
        'dockerode\'s gzipping `{ context, src }` form runs on the first context only (its CPU grows with the size: minutes at 2 GB).',
        '`berth-liftoff` is berth in a process whose WebAssembly is compiled by Liftoff only (`v8.setFlagsFromString(\'--liftoff-only\')` before undici loads): not a contender, it shows what V8 recompiling undici\'s HTTP parser (llhttp) with TurboFan costs.',
        '`undici-floor` is raw undici sending a tar of the same size (the Dockerfile and one file of the context\'s byte count) from one reused 256 KiB buffer: no directory walk, no tar library, no buffer per file. Not a contender: the least peak RSS an undici-based client of this upload has in Node 20. Its wall and CPU do not compare: the engine unpacks one file, not thousands.',
      ],
      close: async () => {
        for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  tables: buildUploadTables,
};

interface Usage {
  wall: Summary | undefined;
  cpu: Summary | undefined;
  rss: Summary | undefined;
}

/** Whole-process usage of one contender's trials: GNU time's, or for the CLI, its own process's under its own GNU time. */
function usageOf(records: readonly TrialRecord[], caseName: string, contender: string): Usage {
  const trials = trialsOf(records, caseName, contender);
  const pick = (metric: string, fromProcess: (p: NonNullable<TrialRecord['process']>) => number): Summary | undefined =>
    summarize(trials.map((r) => (contender === 'cli' ? r.metrics[metric] ?? NaN : r.process !== undefined ? fromProcess(r.process) : NaN)));
  return { wall: pick('wallS', (p) => p.wallS), cpu: pick('cpuS', (p) => p.cpuS), rss: pick('rssMB', (p) => p.maxRssMB) };
}

function buildUploadTables(records: readonly TrialRecord[], session: { cases: readonly CaseSpec[] }): Table[] {
  const tables: Table[] = [];
  const notes: string[] = [];
  const berthRss: Array<number | undefined> = [];
  const targets: TargetRow[] = [];
  for (const c of session.cases) {
    const cli = usageOf(records, c.name, 'cli');
    const rows = c.contenders.map((who) => {
      const failed = failuresOf(records, c.name, who);
      if (failed) notes.push(`${c.name}, ${who}: ${failed}`);
      const u = usageOf(records, c.name, who);
      return [
        CONTENDER_LABELS[who] ?? who, fmt(u.wall?.median), spread(u.wall), fmt(u.cpu?.median), fmt(u.rss?.median), fmt(u.rss?.max),
        ratio(u.wall?.median, cli.wall?.median), ratio(u.cpu?.median, cli.cpu?.median),
      ];
    });
    tables.push({
      title: `Build upload, ${c.name}: the client process (medians)`,
      columns: ['contender', 'wall s', 'wall spread', 'CPU s', 'peak RSS MB', 'peak RSS MB, max', 'wall ÷ CLI', 'CPU ÷ CLI'],
      rows,
    });
    const berth = usageOf(records, c.name, 'berth');
    berthRss.push(berth.rss?.max);
    const wall = (berth.wall?.median ?? NaN) / (cli.wall?.median ?? NaN);
    const cpu = (berth.cpu?.median ?? NaN) / (cli.cpu?.median ?? NaN);
    const rss = berth.rss?.max ?? NaN;
    targets.push(
      verdict(`berth peak RSS (highest trial), ${c.name}`, '< 100 MB', rss, rss < 100),
      verdict(`berth wall ÷ CLI, ${c.name} (spread ${spread(berth.wall)} / ${spread(cli.wall)})`, '≤ 1.05', wall, wall <= 1.05),
      verdict(`berth client CPU ÷ CLI, ${c.name}`, '≤ 2.00', cpu, cpu <= 2),
    );
  }
  const [first, last] = [berthRss[0], berthRss[berthRss.length - 1]];
  if (session.cases.length > 1) {
    const growth = (last ?? NaN) - (first ?? NaN);
    targets.push(verdict(`berth peak RSS, ${session.cases[session.cases.length - 1]?.name ?? ''} − ${session.cases[0]?.name ?? ''}`, '≤ 5 MB', growth, growth <= 5));
  }
  tables.push({ title: 'Build upload: targets', columns: ['target', 'bar', 'measured', 'met'], rows: targets.map((r) => r.row), notes });
  return tables;
}
