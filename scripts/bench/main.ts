/**
 * `npm run bench` (scripts/bench.sh builds first, then runs this):
 *
 *   node build/scripts/bench/main.js [--quick] [--only NAME[,NAME…]] [--rounds N] [--out FILE] [--list]
 *
 * Runs each selected benchmark's trials in fresh processes, interleaved,
 * and prints ratio tables (medians, with their spread) as Markdown; writes
 * the same report to FILE (default build/bench/report.md) and every trial
 * to the matching .json. A private dockerd is started for the benchmarks
 * that use one, unless BERTH_TEST_ENGINES names running engines, and
 * stopped at the end. Benchmarks never assert: they report.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildUploadBenchmark } from './build-upload-plan.js';
import { demuxBenchmark } from './demux-plan.js';
import {
  makeScratch, removeScratch, renderTable, runSession,
  type Benchmark, type EngineInfo, type RunContext, type TrialRecord,
} from './harness.js';
import { jsonBenchmark } from './json-lines-plan.js';
import { loadBenchmark } from './load-plan.js';
import { logsBenchmark } from './logs-plan.js';
import { installedVersion } from './peers.js';
import { pingBenchmark } from './ping-plan.js';
import { substantiateBenchmark } from './substantiate-plan.js';

const BENCHMARKS: readonly Benchmark[] = [pingBenchmark, demuxBenchmark, jsonBenchmark, loadBenchmark, logsBenchmark, buildUploadBenchmark, substantiateBenchmark];
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const TRIAL_TIMEOUT_MS = 180_000;

interface Options {
  quick: boolean;
  only: string[] | undefined;
  rounds: number | undefined;
  out: string;
  list: boolean;
}

function usage(message?: string): never {
  if (message) process.stderr.write(`bench: ${message}\n`);
  process.stderr.write(`usage: npm run bench -- [--quick] [--only NAME[,NAME…]] [--rounds N] [--out FILE] [--list]\n`
    + `benchmarks: ${BENCHMARKS.map((b) => b.name).join(', ')}\n`);
  process.exit(2);
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { quick: false, only: undefined, rounds: undefined, out: join(ROOT, 'build/bench/report.md'), list: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--list') o.list = true;
    else if (a === '--only') o.only = value().split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--rounds') {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1) usage('--rounds takes a positive integer');
      o.rounds = n;
    } else if (a === '--out') o.out = resolve(value());
    else if (a === '--help' || a === '-h') usage();
    else usage(`unknown argument ${a}`);
  }
  for (const name of o.only ?? []) if (!BENCHMARKS.some((b) => b.name === name)) usage(`no benchmark named ${name}`);
  return o;
}

/** The private dockerd: reused from BERTH_TEST_ENGINES, or started now and stopped by `stop()`. */
interface Engine {
  info: EngineInfo | undefined;
  missing: string | undefined;
  stop(): void;
}

function startEngine(log: (m: string) => void): Engine {
  const reuse = process.env.BERTH_TEST_ENGINES;
  let dir: string | undefined;
  let file = reuse;
  if (!file) {
    log('starting a private dockerd 20.10 (scripts/test-engines.sh up dockerd-20.10)');
    try {
      dir = execFileSync(join(ROOT, 'scripts/test-engines.sh'), ['up', 'dockerd-20.10'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
      file = join(dir, 'engines.json');
    } catch (err) {
      return { info: undefined, missing: `the engine did not start: ${String(err)}`, stop: () => undefined };
    }
  }
  const stop = (): void => {
    if (dir === undefined) return;
    const d = dir;
    dir = undefined;
    log(`stopping the private dockerd (${d})`);
    execFileSync(join(ROOT, 'scripts/test-engines.sh'), ['down', d], { stdio: 'inherit' });
  };
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { engines: { name: string; socket: string; kind: string; version: string; apiVersion: string }[] };
  const e = parsed.engines.find((x) => x.name === 'dockerd-20.10') ?? parsed.engines.find((x) => x.kind === 'dockerd');
  if (!e) {
    let why = 'no dockerd among the engines';
    if (dir !== undefined) {
      try { why = readFileSync(join(dir, 'missing'), 'utf8').trim() || why; } catch { /* keep the generic reason */ }
    }
    return { info: undefined, missing: why, stop };
  }
  return { info: { name: e.name, socket: e.socket.replace(/^unix:\/\//, ''), version: e.version, apiVersion: e.apiVersion }, missing: undefined, stop };
}

function machine(): string[] {
  let os = `${platform()} ${release()}`;
  try {
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (pretty) os = `${pretty[1]}, kernel ${release()}`;
  } catch { /* not Linux */ }
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim();
    if (dirty) commit += ' (with uncommitted changes)';
  } catch { /* not a checkout */ }
  const cpu = cpus();
  return [
    `machine: ${os}; ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}; ${(totalmem() / 2 ** 30).toFixed(0)} GiB; ${arch()}`,
    `node ${process.version}; berth ${commit}; undici ${installedVersion('undici')}, dockerode ${installedVersion('dockerode')}`
      + ` (docker-modem ${installedVersion('docker-modem')}), split2 ${installedVersion('split2')}`,
  ];
}

function load(): string {
  return loadavg().map((x) => x.toFixed(2)).join(' ');
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options.list) {
    for (const b of BENCHMARKS) process.stdout.write(`${b.name}\t${b.title}\n`);
    return;
  }
  const selected = BENCHMARKS.filter((b) => options.only === undefined || options.only.includes(b.name));
  const log = (m: string): void => { process.stderr.write(`${m}\n`); };
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const started = new Date();
  const loadStart = load();
  // what was compiled and measured: the checkout may move on while a long run goes
  const described = machine();
  const engine = selected.some((b) => b.wantsEngine) ? startEngine(log) : undefined;
  const scratch = makeScratch();
  const cleanup = (): void => {
    engine?.stop();
    removeScratch(scratch);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    log(`bench: ${signal}, cleaning up`);
    cleanup();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const ctx: RunContext = {
    quick: options.quick, rounds: options.rounds, engine: engine?.info, engineMissing: engine?.missing, scratch, root: ROOT, log,
  };
  const sections: string[] = [];
  const all: TrialRecord[] = [];
  try {
    for (const bench of selected) {
      const t0 = performance.now();
      log(`${bench.name}: ${bench.title}`);
      const session = await bench.prepare(ctx);
      let records: TrialRecord[];
      try {
        records = await runSession(bench, session, ctx, TRIAL_TIMEOUT_MS);
      } finally {
        await session.close();
      }
      all.push(...records);
      const seconds = (performance.now() - t0) / 1000;
      const body = bench.tables(records, session).map(renderTable).join('\n');
      const notes = (session.notes ?? []).map((n) => `- ${n}`).join('\n');
      const section = `## ${bench.title}\n\n${session.rounds} interleaved rounds, ${records.length} trials, ${seconds.toFixed(0)} s.\n\n${notes ? `${notes}\n\n` : ''}${body}`;
      sections.push(section);
      process.stdout.write(`\n${section}`);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    cleanup();
  }
  const header = [
    `# berth benchmarks, ${started.toISOString()}`,
    '',
    `command: \`${command}\``,
    ...described,
    ...(engine?.info ? [`engine: ${engine.info.name} ${engine.info.version} (API ${engine.info.apiVersion})`] : []),
    `load average (1/5/15 min): ${loadStart} at the start, ${load()} at the end`,
    `duration: ${((Date.now() - started.getTime()) / 60_000).toFixed(1)} min`,
  ].join('\n');
  process.stdout.write(`\n${header}\n`);
  mkdirSync(dirname(options.out), { recursive: true });
  writeFileSync(options.out, `${header}\n\n${sections.join('\n')}`);
  writeFileSync(options.out.replace(/\.md$/, '') + '.json', `${JSON.stringify({ command, started, records: all }, null, 1)}\n`);
  log(`report: ${options.out}`);
}

await main();
