import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PING_CONTENDERS } from './ping.js';
import {
  failuresOf, fmt, metricOf, ratio, spread, summarize, trialsOf,
  type Benchmark, type CaseSpec, type RunContext, type Session, type Table, type TrialRecord,
} from './harness.js';
import { verdict, type TargetRow } from './targets.js';

/**
 * Request overhead: `/_ping` against a stub that answers with dockerd's
 * exact bytes (so the client's cost is what is measured) and against a
 * real dockerd, sequentially and 16 at a time.
 */

const LABELS: Record<string, string> = {
  'berth-ping': 'berth `docker.ping()` (HEAD)',
  'berth-request': 'berth requester, `GET /_ping`',
  undici: 'undici `Pool`',
  dockerode: 'dockerode `ping()`',
  'node-http': 'node:http + keep-alive agent',
};

/** The stub server, compiled by scripts/bench.sh; it prints `listening`, then `conns N` per accepted connection. */
class Stub {
  private conns = 0;
  private constructor(private readonly child: ChildProcess, readonly socket: string) {}

  static async start(binary: string, socket: string): Promise<Stub> {
    const child = spawn(binary, [socket], { stdio: ['ignore', 'pipe', 'inherit'] });
    const stub = new Stub(child, socket);
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      child.stdout?.setEncoding('utf8').on('data', (s: string) => {
        buffered += s;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          if (line === 'listening') resolve();
          const m = /^conns (\d+)$/.exec(line);
          if (m) stub.conns = Number(m[1]);
        }
      });
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the ping stub exited (${code})`)));
    });
    return stub;
  }

  get accepted(): number {
    return this.conns;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}

function cases(target: string, socket: string, ctx: RunContext): CaseSpec[] {
  const sizes = ctx.quick ? { warmup: 200, requests: 500, batches: 3 } : { warmup: 1000, requests: 2000, batches: 6 };
  return [1, 16].map((concurrency) => ({
    name: `${target} ${concurrency === 1 ? 'seq' : `c${concurrency}`}`,
    params: { socket, concurrency, ...sizes },
    contenders: PING_CONTENDERS,
  }));
}

export const pingBenchmark: Benchmark = {
  name: 'ping',
  title: 'Request overhead: GET /_ping',
  wantsEngine: true,
  async prepare(ctx) {
    const binary = join(ctx.root, 'build/bench/ping-stub');
    const notes: string[] = [];
    let stub: Stub | undefined;
    const all: CaseSpec[] = [];
    if (existsSync(binary)) {
      stub = await Stub.start(binary, join(ctx.scratch, 'stub.sock'));
      all.push(...cases('stub', stub.socket, ctx));
    } else {
      notes.push('stub cases skipped: build/bench/ping-stub was not compiled (no C compiler?)');
    }
    if (ctx.engine) all.push(...cases('dockerd', ctx.engine.socket, ctx));
    else notes.push(`dockerd cases skipped: ${ctx.engineMissing ?? 'no engine'}`);
    const running = stub;
    const session: Session = {
      rounds: ctx.rounds ?? (ctx.quick ? 2 : 9),
      cases: all,
      notes,
      async around(spec) {
        if (!running || !spec.case.startsWith('stub')) return async () => ({});
        const before = running.accepted;
        return async () => ({ conns: running.accepted - before });
      },
      close: async () => { await running?.stop(); },
    };
    return session;
  },
  tables: pingTables,
};

/** Which batches a table reads: the first after the warm-up, or the median of the later ones. */
interface Phase {
  key: 'first' | 'settled';
  rate: string;
  cpu: string;
  title(target: string, requests: string): string;
}

const PHASES: readonly Phase[] = [
  {
    key: 'first',
    rate: 'reqPerS',
    cpu: 'cpuUsPerReq',
    title: (target, requests) => `Request overhead against ${target === 'stub' ? 'the stub (client cost isolated)' : 'dockerd'}: the first ${requests} requests after the warm-up`,
  },
  {
    key: 'settled',
    rate: 'settledReqPerS',
    cpu: 'settledCpuUsPerReq',
    title: (target, requests) => `Request overhead against ${target === 'stub' ? 'the stub' : 'dockerd'}, settled: median of the later batches of ${requests}`,
  },
];

function pingTables(records: readonly TrialRecord[], session: Session): Table[] {
  const tables: Table[] = [];
  const targets: TargetRow[] = [];
  for (const target of ['stub', 'dockerd']) {
    const seq = `${target} seq`;
    const c16 = `${target} c16`;
    if (!session.cases.some((c) => c.name === seq)) continue;
    const m = (c: string, who: string, metric: string): number | undefined => metricOf(records, c, who, metric)?.median;
    for (const phase of PHASES) {
      const notes: string[] = [];
      const first = phase.key === 'first';
      const rows = PING_CONTENDERS.map((who) => {
        const extra: string[] = [];
        if (first) {
          extra.push([seq, c16].map((c) => fmt(m(c, who, 'mainCpuUsPerReq'))).join(' / '));
          if (target === 'stub') {
            extra.push([seq, c16].map((c) => fmt(summarize(trialsOf(records, c, who).map((r) => Number(r.checks.conns)))?.max)).join(' / '));
          }
          for (const c of [seq, c16]) {
            const failed = failuresOf(records, c, who);
            if (failed) notes.push(`${LABELS[who] ?? who}, ${c}: ${failed}`);
          }
        }
        return [
          LABELS[who] ?? who,
          fmt(m(seq, who, phase.rate)), fmt(m(seq, who, phase.cpu)), fmt(m(c16, who, phase.rate)), fmt(m(c16, who, phase.cpu)),
          ratio(m(seq, who, phase.cpu), m(seq, 'undici', phase.cpu)),
          ratio(m(c16, who, phase.cpu), m(c16, 'undici', phase.cpu)),
          ratio(m(seq, who, phase.rate), m(seq, 'dockerode', phase.rate)),
          ratio(m(c16, who, phase.rate), m(c16, 'dockerode', phase.rate)),
          `${spread(metricOf(records, seq, who, phase.cpu))} / ${spread(metricOf(records, c16, who, phase.cpu))}`,
          ...extra,
        ];
      });
      if (first) {
        notes.push('main-thread CPU: the part of the CPU above that ran on the main thread (the rest is V8 compiling and collecting on its own threads)');
      }
      tables.push({
        title: phase.title(target, fmt(Number(session.cases.find((c) => c.name === seq)?.params.requests))),
        columns: [
          'contender', 'seq req/s', 'seq CPU µs/req', 'c16 req/s', 'c16 CPU µs/req',
          'seq CPU ÷ undici', 'c16 CPU ÷ undici', 'seq req/s ÷ dockerode', 'c16 req/s ÷ dockerode', 'spread of CPU/req (seq / c16)',
          ...(first ? ['main-thread CPU µs/req (seq / c16)'] : []),
          ...(first && target === 'stub' ? ['connections (seq / c16)'] : []),
        ],
        rows,
        notes,
      });
      for (const who of ['berth-ping', 'berth-request']) {
        for (const c of [seq, c16]) {
          const r = Number(ratio(m(c, who, phase.cpu), m(c, 'undici', phase.cpu)));
          targets.push(verdict(`${LABELS[who]}: CPU/req ÷ undici, ${c}, ${phase.key}`, '≤ 1.10', r, r <= 1.1));
        }
        const r = Number(ratio(m(seq, who, phase.rate), m(seq, 'dockerode', phase.rate)));
        targets.push(verdict(`${LABELS[who]}: req/s ÷ dockerode, ${seq}, ${phase.key}`, '≥ 1.80', r, r >= 1.8));
      }
    }
  }
  tables.push({ title: 'Request overhead: targets', columns: ['target', 'bar', 'measured (medians)', 'met'], rows: targets.map((t) => t.row) });
  return tables;
}
