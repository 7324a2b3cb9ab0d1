import { failuresOf, fmt, metricOf, ratio, spread, type Benchmark, type Table, type TrialRecord } from './harness.js';
import { LOAD_CONTENDERS } from './load.js';
import { verdict } from './targets.js';

/** Module load: each import in its own fresh process, interleaved. */

const LABELS: Record<string, string> = {
  berth: "berth `import('berth')` (dist/)",
  'berth-streams': "berth `import('berth/streams')` (dist/)",
  dockerode: "dockerode `require('dockerode')`",
  undici: "undici `import('undici')`",
  'node-http': "`import('node:http')`",
};

export const loadBenchmark: Benchmark = {
  name: 'load',
  title: 'Module load time',
  wantsEngine: false,
  async prepare(ctx) {
    return {
      rounds: ctx.rounds ?? (ctx.quick ? 5 : 15),
      cases: [{ name: 'import', params: {}, contenders: LOAD_CONTENDERS }],
      notes: ['One fresh process per import; time and RSS are taken around the import alone (process start-up excluded).'],
      close: async () => undefined,
    };
  },
  tables: loadTables,
};

function loadTables(records: readonly TrialRecord[]): Table[] {
  const ms = (who: string): number | undefined => metricOf(records, 'import', who, 'importMs')?.median;
  const rss = (who: string): number | undefined => metricOf(records, 'import', who, 'rssDeltaMB')?.median;
  const notes: string[] = [];
  const rows = LOAD_CONTENDERS.map((who) => {
    const failed = failuresOf(records, 'import', who);
    if (failed) notes.push(`${LABELS[who]}: ${failed}`);
    return [
      LABELS[who] ?? who, fmt(ms(who)), spread(metricOf(records, 'import', who, 'importMs')), fmt(rss(who)),
      ratio(ms(who), ms('dockerode')), ratio(rss(who), rss('dockerode')),
    ];
  });
  const r = Number(ratio(ms('berth'), ms('dockerode')));
  return [
    {
      title: 'Module load: median ms and RSS growth',
      columns: ['contender', 'import ms', 'spread', 'RSS +MB', 'ms ÷ dockerode', 'RSS ÷ dockerode'],
      rows,
      notes,
    },
    {
      title: 'Module load: targets',
      columns: ['target', 'bar', 'measured (medians)', 'met'],
      rows: [verdict('berth import time ÷ dockerode', '≤ 0.80', r, r <= 0.8).row],
    },
  ];
}
