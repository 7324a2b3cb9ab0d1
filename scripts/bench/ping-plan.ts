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

/** The steady-state case: long enough that compiling and warming up no longer weigh (stub only). */
const STEADY = 'stub seq, steady';

function cases(target: string, socket: string, ctx: RunContext): CaseSpec[] {
  const sizes = ctx.quick ? { warmup: 200, requests: 500 } : { warmup: 1000, requests: 2000 };
  const all: CaseSpec[] = [1, 16].map((concurrency) => ({
    name: `${target} ${concurrency === 1 ? 'seq' : `c${concurrency}`}`,
    params: { socket, concurrency, ...sizes },
    contenders: PING_CONTENDERS,
  }));
  if (target === 'stub') {
    const steady = ctx.quick ? { warmup: 1000, requests: 4000 } : { warmup: 5000, requests: 20_000 };
    all.push({ name: STEADY, params: { socket, concurrency: 1, ...steady }, contenders: PING_CONTENDERS });
  }
  return all;
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

function pingTables(records: readonly TrialRecord[], session: Session): Table[] {
  const tables: Table[] = [];
  const targets: TargetRow[] = [];
  for (const target of ['stub', 'dockerd']) {
    const seq = `${target} seq`;
    const c16 = `${target} c16`;
    if (!session.cases.some((c) => c.name === seq)) continue;
    const m = (c: string, who: string, metric: string): number | undefined => metricOf(records, c, who, metric)?.median;
    const notes: string[] = [];
    const rows = PING_CONTENDERS.map((who) => {
      const conns = target === 'stub'
        ? [seq, c16].map((c) => summarize(trialsOf(records, c, who).map((r) => Number(r.checks.conns)))?.max).map((x) => fmt(x)).join(' / ')
        : undefined;
      for (const c of [seq, c16]) {
        const failed = failuresOf(records, c, who);
        if (failed) notes.push(`${LABELS[who] ?? who}, ${c}: ${failed}`);
      }
      return [
        LABELS[who] ?? who,
        fmt(m(seq, who, 'reqPerS')), fmt(m(seq, who, 'cpuUsPerReq')), fmt(m(c16, who, 'reqPerS')), fmt(m(c16, who, 'cpuUsPerReq')),
        ratio(m(seq, who, 'cpuUsPerReq'), m(seq, 'undici', 'cpuUsPerReq')),
        ratio(m(c16, who, 'cpuUsPerReq'), m(c16, 'undici', 'cpuUsPerReq')),
        ratio(m(seq, who, 'reqPerS'), m(seq, 'dockerode', 'reqPerS')),
        ratio(m(c16, who, 'reqPerS'), m(c16, 'dockerode', 'reqPerS')),
        `${spread(metricOf(records, seq, who, 'cpuUsPerReq'))} / ${spread(metricOf(records, c16, who, 'cpuUsPerReq'))}`,
        ...(conns !== undefined ? [conns] : []),
      ];
    });
    tables.push({
      title: target === 'stub' ? 'Request overhead against the stub (client cost isolated)' : 'Request overhead against dockerd',
      columns: [
        'contender', 'seq req/s', 'seq CPU µs/req', 'c16 req/s', 'c16 CPU µs/req',
        'seq CPU ÷ undici', 'c16 CPU ÷ undici', 'seq req/s ÷ dockerode', 'c16 req/s ÷ dockerode', 'spread of CPU/req (seq / c16)',
        ...(target === 'stub' ? ['connections (seq / c16)'] : []),
      ],
      rows,
      notes,
    });
    for (const who of ['berth-ping', 'berth-request']) {
      for (const c of [seq, c16]) {
        const r = Number(ratio(m(c, who, 'cpuUsPerReq'), m(c, 'undici', 'cpuUsPerReq')));
        targets.push(verdict(`${LABELS[who]}: CPU/req ÷ undici, ${c}`, '≤ 1.10', r, r <= 1.1));
      }
      const r = Number(ratio(m(seq, who, 'reqPerS'), m(seq, 'dockerode', 'reqPerS')));
      targets.push(verdict(`${LABELS[who]}: req/s ÷ dockerode, ${seq}`, '≥ 1.80', r, r >= 1.8));
    }
  }
  if (session.cases.some((c) => c.name === STEADY)) {
    const m = (who: string, metric: string): number | undefined => metricOf(records, STEADY, who, metric)?.median;
    const steady = session.cases.find((c) => c.name === STEADY);
    tables.push({
      title: `Request overhead in steady state (stub, sequential, ${fmt(Number(steady?.params.requests))} requests after ${fmt(Number(steady?.params.warmup))})`,
      columns: ['contender', 'req/s', 'CPU µs/req', 'CPU ÷ undici', 'req/s ÷ dockerode', 'spread of CPU/req'],
      rows: PING_CONTENDERS.map((who) => [
        LABELS[who] ?? who, fmt(m(who, 'reqPerS')), fmt(m(who, 'cpuUsPerReq')),
        ratio(m(who, 'cpuUsPerReq'), m('undici', 'cpuUsPerReq')), ratio(m(who, 'reqPerS'), m('dockerode', 'reqPerS')),
        spread(metricOf(records, STEADY, who, 'cpuUsPerReq')),
      ]),
    });
    for (const who of ['berth-ping', 'berth-request']) {
      const cpu = Number(ratio(m(who, 'cpuUsPerReq'), m('undici', 'cpuUsPerReq')));
      targets.push(verdict(`${LABELS[who]}: CPU/req ÷ undici, ${STEADY}`, '≤ 1.10', cpu, cpu <= 1.1));
      const rate = Number(ratio(m(who, 'reqPerS'), m('dockerode', 'reqPerS')));
      targets.push(verdict(`${LABELS[who]}: req/s ÷ dockerode, ${STEADY}`, '≥ 1.80', rate, rate >= 1.8));
    }
  }
  tables.push({ title: 'Request overhead: targets', columns: ['target', 'bar', 'measured (medians)', 'met'], rows: targets.map((t) => t.row) });
  return tables;
}
