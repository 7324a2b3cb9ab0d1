import { DEMUX_CONTENDERS } from './demux.js';
import {
  failuresOf, fmt, metricOf, ratio, rssOf, spread, trialsOf,
  type Benchmark, type CaseSpec, type Session, type Table, type TrialRecord,
} from './harness.js';
import { verdict, type TargetRow } from './targets.js';

/** In-process demultiplexing: throughput and peak RSS per workload and chunking. */

const MiB = 1 << 20;
const LABELS: Record<string, string> = {
  'berth-demux': 'berth `demux()`',
  'berth-streams': 'berth `demuxToStreams()`',
  'iterator-floor': 'minimal async iterator',
  ref: 'zero-copy reference',
  passthrough: 'pass-through',
  dockerode: 'dockerode `demuxStream`',
};
const BERTH = ['berth-demux', 'berth-streams'] as const;

interface Workload {
  workload: string;
  chunking: '64k' | 'frame' | '1m';
  bytes: number;
  /** dockerode's cost per 64 KiB chunk of small frames is quadratic in the frames it holds: it gets a shorter stream. */
  dockerodeBytes?: number;
  /** Contenders left out (dockerode on 1 MiB chunks of small frames would take minutes and gigabytes). */
  without?: readonly string[];
}

const WORKLOADS: readonly Workload[] = [
  { workload: 'mixed', chunking: '64k', bytes: 1024 * MiB },
  { workload: 'mixed', chunking: 'frame', bytes: 1024 * MiB },
  { workload: 'small', chunking: '64k', bytes: 64 * MiB, dockerodeBytes: 4 * MiB },
  { workload: 'small', chunking: 'frame', bytes: 64 * MiB },
  { workload: 'small', chunking: '1m', bytes: 64 * MiB, without: ['dockerode'] },
  { workload: 'tiny', chunking: '64k', bytes: 16 * MiB, dockerodeBytes: 4 * MiB },
  { workload: 'tiny', chunking: 'frame', bytes: 16 * MiB },
];

function caseName(w: Workload): string {
  return `${w.workload}, ${w.chunking === 'frame' ? 'frame per chunk' : `${w.chunking} chunks`}`;
}

function size(bytes: number): string {
  return bytes >= 1024 * MiB ? `${bytes / (1024 * MiB)} GiB` : `${bytes / MiB} MiB`;
}

export const demuxBenchmark: Benchmark = {
  name: 'demux',
  title: 'Demultiplexing in process',
  wantsEngine: false,
  async prepare(ctx) {
    const scale = ctx.quick ? 1 / 8 : 1;
    const cases: CaseSpec[] = WORKLOADS.map((w) => ({
      name: caseName(w),
      params: { workload: w.workload, chunking: w.chunking, bytes: w.bytes * scale },
      contenders: DEMUX_CONTENDERS.filter((c) => !w.without?.includes(c)),
      ...(w.dockerodeBytes !== undefined ? { overrides: { dockerode: { bytes: w.dockerodeBytes * scale } } } : {}),
    }));
    const notes = [
      'Wire MB/s (10^6 bytes, headers included) over the whole stream; a 4 MiB pattern of whole frames replayed as views, '
        + '20-byte and 32 KiB frames alternating (mixed), 20-byte (small) or 1-byte (tiny), stdout and stderr alternating.',
      'The minimal async iterator runs berth\'s frame decoder in a `data` handler and hands each piece out as a frame object, '
        + 'one per `next()`, read by the same loop as `demux()`: what the iterator protocol costs whoever implements it.',
      'berth\'s rows and the minimal async iterator load `berth/streams` (the stream parsers alone, not the HTTP client or the '
        + 'workers): the memory is the demultiplexer\'s; what the whole package adds is measured by the load benchmark.',
      `Stream lengths: ${WORKLOADS.map((w) => `${caseName(w)} ${size(w.bytes * scale)}${w.dockerodeBytes ? ` (dockerode ${size(w.dockerodeBytes * scale)})` : ''}`).join('; ')}.`,
    ];
    return { rounds: ctx.rounds ?? (ctx.quick ? 2 : 5), cases, notes, close: async () => undefined };
  },
  tables: demuxTables,
};

function demuxTables(records: readonly TrialRecord[], session: Session): Table[] {
  const speed: string[][] = [];
  const memory: string[][] = [];
  const notes: string[] = [];
  const targets: TargetRow[] = [];
  const mbps = (c: string, who: string): number | undefined => metricOf(records, c, who, 'MBps')?.median;
  for (const c of session.cases) {
    const cell = (who: string): string => {
      if (!c.contenders.includes(who)) return 'not run';
      const failed = failuresOf(records, c.name, who);
      if (failed) notes.push(`${LABELS[who]}, ${c.name}: ${failed}`);
      const s = metricOf(records, c.name, who, 'MBps');
      if (s === undefined) return failed && /RangeError/.test(failed) ? '**crash** (RangeError)' : '**failed**';
      const inexact = trialsOf(records, c.name, who).filter((r) => r.checks.exact !== true).length;
      if (inexact > 0) notes.push(`${LABELS[who]}, ${c.name}: ${inexact} trials delivered the wrong byte counts`);
      return `${fmt(s.median)} ${spread(s)}`;
    };
    speed.push([
      c.name, ...DEMUX_CONTENDERS.map(cell),
      ...BERTH.map((b) => ratio(mbps(c.name, b), mbps(c.name, 'ref'))),
      ratio(mbps(c.name, 'iterator-floor'), mbps(c.name, 'ref')),
      ratio(mbps(c.name, 'dockerode'), mbps(c.name, 'ref')),
    ]);
    const rss = (who: string): number | undefined => rssOf(records, c.name, who, false)?.median;
    memory.push([c.name, ...DEMUX_CONTENDERS.map((who) => (c.contenders.includes(who) ? fmt(rss(who)) : 'not run'))]);
    for (const b of BERTH) {
      const r = Number(ratio(mbps(c.name, b), mbps(c.name, 'ref')));
      targets.push(verdict(`${LABELS[b]} ÷ reference, ${c.name}`, '≥ 0.50', r, r >= 0.5));
    }
    for (const b of BERTH) {
      const over = (rss(b) ?? Number.NaN) - (rss('passthrough') ?? Number.NaN);
      targets.push(verdict(`${LABELS[b]} peak RSS − pass-through, ${c.name}`, '≤ 20 MB', over, over <= 20));
    }
  }
  for (const b of BERTH) {
    const all = records.filter((r) => r.contender === b);
    const bad = all.filter((r) => !r.ok || r.checks.exact !== true).length;
    targets.push(verdict(`${LABELS[b]} never throws, exact bytes, every chunking`, 'all trials', `${all.length - bad}/${all.length}`, bad === 0));
    const lin = Number(ratio(mbps('small, 1m chunks', b), mbps('small, 64k chunks', b)));
    targets.push(verdict(`${LABELS[b]} linear: MB/s with 1 MiB chunks ÷ with 64 KiB chunks (small frames)`, '≥ 0.80', lin, lin >= 0.8));
  }
  return [
    {
      title: 'Demultiplexing: wire MB/s (median and spread)',
      columns: ['case', ...DEMUX_CONTENDERS.map((c) => LABELS[c] ?? c), 'demux() ÷ ref', 'demuxToStreams() ÷ ref', 'minimal iterator ÷ ref', 'dockerode ÷ ref'],
      rows: speed,
      notes,
    },
    {
      title: 'Demultiplexing: peak RSS of the process, MB (median; crashed trials at the crash)',
      columns: ['case', ...DEMUX_CONTENDERS.map((c) => LABELS[c] ?? c)],
      rows: memory,
    },
    { title: 'Demultiplexing: targets', columns: ['target', 'bar', 'measured (medians)', 'met'], rows: targets.map((t) => t.row) },
  ];
}
