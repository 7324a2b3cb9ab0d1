import {
  failuresOf, fmt, metricOf, ratio, rssOf, spread, trialsOf,
  type Benchmark, type CaseSpec, type Session, type Table, type TrialRecord,
} from './harness.js';
import { JSON_CONTENDERS, MULTIBYTE_TEXT, jsonPattern } from './json-lines.js';
import { verdict, type TargetRow } from './targets.js';

/** JSON progress lines: lines/s, peak RSS against stream length, and multi-byte text across chunk boundaries. */

const LABELS: Record<string, string> = {
  'berth-json-lines': 'berth `jsonLines()`',
  'berth-progress': 'berth `progress()`',
  split2: 'split2 + `JSON.parse`',
  dockerode: 'dockerode `followProgress`',
};
const BERTH = ['berth-json-lines', 'berth-progress'] as const;
/**
 * RSS growth between the two longest streams (3M and 6M lines) that still
 * reads as "constant". The shorter streams are not the baseline: V8 grows
 * its young generation over the first few million lines whatever the
 * parser (the less a parser allocates a line, the later), so memory that
 * does not grow with the stream shows as flat only from there on.
 */
const FLAT_MB = 10;

export const jsonBenchmark: Benchmark = {
  name: 'json-lines',
  title: 'JSON progress lines',
  wantsEngine: false,
  async prepare(ctx) {
    const sizes = ctx.quick ? [20_000, 200_000, 600_000, 1_200_000] : [100_000, 1_000_000, 3_000_000, 6_000_000];
    const longest = sizes[sizes.length - 1];
    // followProgress keeps every message: on the longest stream it would take gigabytes to say what the shorter ones say
    const cases: CaseSpec[] = sizes.map((lines) => ({
      name: label(lines),
      params: { lines },
      contenders: lines === longest ? JSON_CONTENDERS.filter((c) => c !== 'dockerode') : JSON_CONTENDERS,
    }));
    const { pattern, splitChars, multibyteLines } = jsonPattern();
    const perLine = pattern.length / 5000;
    const notes = [
      `A pull/build-like progress stream, ${perLine.toFixed(0)} bytes a line on average, in 64 KiB chunks; one line in eight is `
        + `\`{"stream":${JSON.stringify(MULTIBYTE_TEXT)}}\` (2-, 3- and 4-byte UTF-8), and every other chunk boundary is moved inside `
        + `a multi-byte character: ${splitChars} split characters per 5,000 lines (${multibyteLines} multi-byte lines).`,
      'berth\'s rows load `berth/streams` (the stream parsers alone); the whole package is measured by the load benchmark.',
    ];
    return { rounds: ctx.rounds ?? (ctx.quick ? 2 : 3), cases, notes, close: async () => undefined };
  },
  tables: jsonTables,
};

function label(lines: number): string {
  return lines >= 1_000_000 ? `${lines / 1_000_000}M lines` : `${lines / 1000}k lines`;
}

function jsonTables(records: readonly TrialRecord[], session: Session): Table[] {
  const sizes = session.cases.map((c) => c.name);
  const [mid, long] = sizes.slice(-2) as [string, string];
  const klps = (c: string, who: string): number | undefined => {
    const v = metricOf(records, c, who, 'linesPerS')?.median;
    return v === undefined ? undefined : v / 1000;
  };
  const rss = (c: string, who: string): number | undefined => rssOf(records, c, who)?.median;
  const growth = (who: string, from: string, to: string): number => (rss(to, who) ?? Number.NaN) - (rss(from, who) ?? Number.NaN);
  const notes: string[] = [];
  const intactness = (who: string): string => {
    const trials = sizes.flatMap((c) => trialsOf(records, c, who));
    const corrupt = trials.reduce((n, r) => n + Number(r.checks.corrupt), 0);
    const intact = trials.reduce((n, r) => n + Number(r.checks.intact), 0);
    const expected = trials.reduce((n, r) => n + Number(r.checks.multibyteLines), 0);
    const incomplete = trials.filter((r) => r.checks.complete !== true).length;
    if (incomplete > 0) notes.push(`${LABELS[who]}: ${incomplete} trials did not deliver every line`);
    return corrupt === 0 && intact === expected ? `intact (${fmt(intact)})` : `**${fmt(corrupt)} of ${fmt(expected)} corrupted**`;
  };
  const speedRows = JSON_CONTENDERS.map((who) => {
    for (const c of sizes) {
      const failed = failuresOf(records, c, who);
      if (failed) notes.push(`${LABELS[who]}, ${c}: ${failed}`);
    }
    return [
      LABELS[who] ?? who,
      ...sizes.map((c) => `${fmt(klps(c, who))} ${spread(metricOf(records, c, who, 'linesPerS'))}`),
      ...sizes.map((c) => ratio(klps(c, who), klps(c, 'split2'))),
      intactness(who),
    ];
  });
  const memoryRows = JSON_CONTENDERS.map((who) => [
    LABELS[who] ?? who, ...sizes.map((c) => fmt(rss(c, who))), fmt(growth(who, sizes[0] as string, mid)), fmt(growth(who, mid, long)),
  ]);
  const targets: TargetRow[] = [];
  for (const b of BERTH) {
    for (const c of sizes) {
      const r = Number(ratio(klps(c, b), klps(c, 'split2')));
      targets.push(verdict(`${LABELS[b]} lines/s ÷ split2, ${c}`, '≥ 1.00', r, r >= 1));
    }
    const g = growth(b, mid, long);
    targets.push(verdict(`${LABELS[b]} peak RSS, ${long} − ${mid}`, `≤ ${FLAT_MB} MB`, g, g <= FLAT_MB));
    const trials = records.filter((r) => r.contender === b);
    const bad = trials.filter((r) => !r.ok || Number(r.checks.corrupt) !== 0 || r.checks.complete !== true).length;
    targets.push(verdict(`${LABELS[b]} multi-byte characters intact, every line delivered`, 'all trials', `${trials.length - bad}/${trials.length}`, bad === 0));
  }
  return [
    {
      title: 'JSON lines: k lines/s (median and spread)',
      columns: ['contender', ...sizes.map((c) => `${c}: k lines/s`), ...sizes.map((c) => `÷ split2, ${c}`), 'multi-byte text'],
      rows: speedRows,
      notes,
    },
    {
      title: 'JSON lines: peak RSS of the process, MB (median)',
      columns: ['contender', ...sizes, `growth ${sizes[0] as string} → ${mid}`, `growth ${mid} → ${long}`],
      rows: memoryRows,
    },
    { title: 'JSON lines: targets', columns: ['target', 'bar', 'measured (medians)', 'met'], rows: targets.map((t) => t.row) },
  ];
}
