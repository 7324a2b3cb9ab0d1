import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './median.js';
import { RESULT_PREFIX, type Params, type TrialOutcome, type TrialSpec } from './child.js';

/**
 * The runner's side of a benchmark: which cases and contenders to run, in
 * how many rounds, and which tables to make of the trials. Every trial is a
 * fresh process; within a round every case runs each of its contenders
 * once, in an order rotated (and reversed every other round) so that no
 * contender always runs first or after the same neighbour.
 */

/** What a benchmark may use while it plans and runs. */
export interface RunContext {
  /** `--quick`: smaller workloads and fewer rounds, for a smoke run. */
  readonly quick: boolean;
  /** `--rounds N` when given. */
  readonly rounds: number | undefined;
  /** The private dockerd, when one runs (`undefined`: the engine cases are skipped). */
  readonly engine: EngineInfo | undefined;
  /** Why there is no engine, when there is none. */
  readonly engineMissing: string | undefined;
  /** A scratch directory removed after the run. */
  readonly scratch: string;
  /** The repository root. */
  readonly root: string;
  log(message: string): void;
}

export interface EngineInfo {
  name: string;
  socket: string;
  version: string;
  apiVersion: string;
}

/** One workload: its parameters, who runs it, and per-contender overrides (a smaller size for a quadratic peer). */
export interface CaseSpec {
  name: string;
  params: Params;
  contenders: readonly string[];
  overrides?: Readonly<Record<string, Params>>;
}

/** A benchmark's prepared run. `close()` stops what `prepare()` started. */
export interface Session {
  rounds: number;
  cases: readonly CaseSpec[];
  /** Runs just before and after each trial (e.g. to read a stub server's connection count). */
  around?: (spec: TrialSpec) => Promise<() => Promise<Record<string, number>>>;
  /** Lines for the report about how the run was set up. */
  notes?: string[];
  close(): Promise<void>;
}

export interface Benchmark {
  name: string;
  title: string;
  /** True when some cases need the private dockerd. */
  wantsEngine: boolean;
  prepare(ctx: RunContext): Promise<Session>;
  tables(records: readonly TrialRecord[], session: Session): Table[];
}

/** One trial as the runner saw it. */
export interface TrialRecord {
  round: number;
  bench: string;
  case: string;
  contender: string;
  params: Params;
  ok: boolean;
  /** Why a trial failed: the child's last error line, or a timeout. */
  failure?: string;
  metrics: Record<string, number>;
  checks: Record<string, string | number | boolean>;
  /** Whole-process usage from GNU time (or, without it, the child's own report). */
  process: { wallS: number; cpuS: number; maxRssMB: number } | undefined;
}

export interface Table {
  title: string;
  columns: string[];
  rows: string[][];
  notes?: string[];
}

const TRIAL_JS = fileURLToPath(new URL('./trial.js', import.meta.url));
const GNU_TIME = '/usr/bin/time';

export function makeScratch(): string {
  return mkdtempSync(join(tmpdir(), 'berth-bench-'));
}

export function removeScratch(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Runs one trial in a fresh `node` process, under GNU time when it is installed. */
export async function runTrial(spec: TrialSpec, round: number, scratch: string, timeoutMs: number): Promise<TrialRecord> {
  const timeFile = join(scratch, `time-${process.pid}-${Date.now()}`);
  const useTime = existsSync(GNU_TIME);
  const node = [process.execPath, TRIAL_JS, JSON.stringify(spec)];
  const [cmd, ...args] = useTime ? [GNU_TIME, '-f', '%e %U %S %M', '-o', timeFile, ...node] : node;
  const child = spawn(cmd as string, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr = (stderr + s).slice(-8192); });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try { process.kill(-(child.pid as number), 'SIGKILL'); } catch { /* already gone */ }
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(timer);
  const record: TrialRecord = {
    round, bench: spec.bench, case: spec.case, contender: spec.contender, params: spec.params,
    ok: false, metrics: {}, checks: {}, process: undefined,
  };
  const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
  let self: { userS: number; sysS: number; maxRssMB: number } | undefined;
  if (line !== undefined && code === 0 && !timedOut) {
    const parsed = JSON.parse(line.slice(RESULT_PREFIX.length)) as TrialOutcome & { self: { userS: number; sysS: number; maxRssMB: number } };
    record.ok = true;
    record.metrics = parsed.metrics;
    record.checks = parsed.checks ?? {};
    self = parsed.self;
  } else {
    record.failure = timedOut ? `timed out after ${timeoutMs / 1000} s` : describeCrash(stderr, code);
  }
  if (useTime && existsSync(timeFile)) {
    // GNU time prefixes "Command exited with non-zero status N" / "Command terminated by signal N" on failure
    const fields = readFileSync(timeFile, 'utf8').trim().split('\n').pop()?.split(' ').map(Number) ?? [];
    rmSync(timeFile, { force: true });
    const [wall, user, sys, rssKB] = fields;
    if (fields.length === 4 && fields.every(Number.isFinite)) {
      record.process = { wallS: wall as number, cpuS: (user as number) + (sys as number), maxRssMB: (rssKB as number) / 1024 };
    }
  } else if (self) {
    record.process = { wallS: Number.NaN, cpuS: self.userS + self.sysS, maxRssMB: self.maxRssMB };
  }
  return record;
}

/** The error a crashed trial died of: the first `SomethingError: …` line of its stderr, or its exit status. */
function describeCrash(stderr: string, code: number | null): string {
  const lines = stderr.split('\n');
  const error = lines.find((l) => /^\w*(Error|Exception)\b.*:/.test(l.trim()));
  const what = error?.trim() ?? lines.filter((l) => l.trim() !== '').slice(-1)[0]?.trim() ?? '';
  return `${code === null ? 'killed' : `exit ${code}`}${what ? `: ${what.slice(0, 200)}` : ''}`;
}

/** The order of a case's contenders in a round: rotated by the round, reversed every other round. */
export function roundOrder<T>(items: readonly T[], round: number): T[] {
  const n = items.length;
  const rotated = items.map((_, i) => items[(i + round) % n] as T);
  return round % 2 === 1 ? rotated.reverse() : rotated;
}

/** Runs every trial of a session, interleaved, and returns them all (failures included). */
export async function runSession(bench: Benchmark, session: Session, ctx: RunContext, timeoutMs: number): Promise<TrialRecord[]> {
  const records: TrialRecord[] = [];
  for (let round = 0; round < session.rounds; round++) {
    const started = performance.now();
    for (const c of session.cases) {
      for (const contender of roundOrder(c.contenders, round)) {
        const params = { ...c.params, ...c.overrides?.[contender] };
        const spec: TrialSpec = { bench: bench.name, contender, case: c.name, params };
        const after = session.around ? await session.around(spec) : undefined;
        const record = await runTrial(spec, round, ctx.scratch, timeoutMs);
        if (after) Object.assign(record.checks, await after());
        if (!record.ok) ctx.log(`  ${c.name} / ${contender}: ${record.failure ?? 'failed'}`);
        records.push(record);
      }
    }
    ctx.log(`${bench.name}: round ${round + 1}/${session.rounds} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  return records;
}

// ---- statistics -------------------------------------------------------------

export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function summarize(values: readonly number[]): Summary | undefined {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  return { median: median(v), min: v[0] as number, max: v[v.length - 1] as number, n: v.length };
}

/** The successful trials of one case and contender. */
export function trialsOf(records: readonly TrialRecord[], caseName: string, contender: string): TrialRecord[] {
  return records.filter((r) => r.case === caseName && r.contender === contender && r.ok);
}

/** A metric's summary over the successful trials of one case and contender. */
export function metricOf(records: readonly TrialRecord[], caseName: string, contender: string, metric: string): Summary | undefined {
  return summarize(trialsOf(records, caseName, contender).map((r) => r.metrics[metric] ?? Number.NaN));
}

/** Peak RSS (MB) over the trials of one case and contender, crashed ones included. */
export function rssOf(records: readonly TrialRecord[], caseName: string, contender: string, ok = true): Summary | undefined {
  return summarize(records.filter((r) => r.case === caseName && r.contender === contender && (r.ok || !ok))
    .map((r) => r.process?.maxRssMB ?? Number.NaN));
}

/** The failures of one case and contender, counted by message. */
export function failuresOf(records: readonly TrialRecord[], caseName: string, contender: string): string | undefined {
  const failed = records.filter((r) => r.case === caseName && r.contender === contender && !r.ok);
  if (failed.length === 0) return undefined;
  const total = records.filter((r) => r.case === caseName && r.contender === contender).length;
  const first = failed[0]?.failure ?? 'failed';
  return `${failed.length}/${total} failed: ${first}`;
}

// ---- formatting -------------------------------------------------------------

/** A number with about three significant digits. */
export function fmt(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

export function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '–';
  return (a / b).toFixed(2);
}

/** The spread of a summary as the range around the median, in percent: "±7%" is (max − min) / 2 / median. */
export function spread(s: Summary | undefined): string {
  if (s === undefined || s.n < 2 || s.median === 0) return '–';
  return `±${Math.round(((s.max - s.min) / 2 / Math.abs(s.median)) * 100)}%`;
}

export function renderTable(t: Table): string {
  const lines = [`### ${t.title}`, '', `| ${t.columns.join(' | ')} |`, `|${t.columns.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const row of t.rows) lines.push(`| ${row.join(' | ')} |`);
  if (t.notes && t.notes.length > 0) lines.push('', ...t.notes.map((n) => `- ${n}`));
  return `${lines.join('\n')}\n`;
}
