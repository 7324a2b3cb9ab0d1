/**
 * Build-context benchmark: packs a generated tree (1 GiB by default: 256 KiB
 * files plus 20,000 tiny files in 100 directories, the shape of the peer
 * measurements) and reports wall time, client CPU and peak RSS, each
 * contender in a fresh process under /usr/bin/time.
 *
 *   npx tsc -p tsconfig.test.json
 *   node build/scripts/bench/build-context.js [--size-gib N] [--dir DIR] [--engine unix:///…/docker.sock] [--rounds N] [--keep]
 *
 * Contenders: `berth-pack` (pack to a null sink, no network), `tar` (GNU tar
 * through a pipe, a floor), and with --engine: `berth-upload` (POST /build with
 * the packer) and `cli-upload` (`DOCKER_BUILDKIT=0 docker build -q`). The
 * engine needs a `busybox:test` image (scripts/test-engines.sh makes one).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomFillSync } from 'node:crypto';
import { timed, median, type Measure } from './process-time.js';
import { Docker, packContext } from '../../src/index.js';

const BIG_FILE = 256 << 10;
const TINY_FILES = 20_000;
const TINY_DIRS = 100;

interface Options {
  sizeGib: number;
  dir: string | undefined;
  engine: string | undefined;
  rounds: number;
  keep: boolean;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { sizeGib: 1, dir: undefined, engine: undefined, rounds: 1, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg ?? ''} needs a value`);
      return v;
    };
    if (arg === '--size-gib') options.sizeGib = Number(value());
    else if (arg === '--dir') options.dir = value();
    else if (arg === '--engine') options.engine = value();
    else if (arg === '--rounds') options.rounds = Number(value());
    else if (arg === '--keep') options.keep = true;
    else throw new Error(`unknown argument ${arg ?? ''}`);
  }
  return options;
}

/** Writes the tree unless a previous run left one of the same size. */
function generate(dir: string, sizeGib: number): { files: number; bytes: number } {
  const marker = join(dir, '.bench-size');
  const total = Math.round(sizeGib * 2 ** 30);
  const bigCount = Math.max(1, Math.floor((total - TINY_FILES * 100) / BIG_FILE));
  const stats = { files: bigCount + TINY_FILES + 1, bytes: bigCount * BIG_FILE + TINY_FILES * 100 };
  if (existsSync(marker) && readFileSync(marker, 'utf8') === String(total)) return stats;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'big'), { recursive: true });
  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox:test\nLABEL berth.bench=build-context\n');
  const random = randomFillSync(Buffer.alloc(BIG_FILE * 4));
  for (let i = 0; i < bigCount; i++) {
    const at = (i * 4099) % (random.length - BIG_FILE);
    writeFileSync(join(dir, 'big', `${i}.bin`), random.subarray(at, at + BIG_FILE));
  }
  for (let d = 0; d < TINY_DIRS; d++) {
    mkdirSync(join(dir, `tiny-${d}`));
    for (let f = 0; f < TINY_FILES / TINY_DIRS; f++) writeFileSync(join(dir, `tiny-${d}`, `${f}.txt`), random.subarray(f, f + 100));
  }
  writeFileSync(marker, String(total));
  return stats;
}



/** Child mode: pack to a sink that discards. */
async function childPack(dir: string): Promise<void> {
  let bytes = 0;
  await pipeline(packContext(dir), new Writable({ write(chunk: Buffer, _enc, cb) { bytes += chunk.length; cb(); } }));
  if (bytes === 0) throw new Error('nothing packed');
}

/** Child mode: POST /build with the packer, reading the progress stream to its end. */
async function childUpload(dir: string, host: string, tag: string): Promise<void> {
  const docker = new Docker({ host, env: {} });
  try {
    const context = packContext(dir);
    const { dockerfile } = await context.prepare();
    const res = await docker.requester.send({
      method: 'POST', path: '/build', query: { t: tag, rm: true, forcerm: true, q: true, version: '1', dockerfile },
      body: context, contentType: 'application/x-tar', stream: true,
    });
    const text = (await docker.requester.collect(res, 64 << 20, 'POST /build')).toString('utf8');
    if (text.includes('"errorDetail"')) throw new Error(text);
  } finally {
    await docker.close();
  }
}

async function main(): Promise<void> {
  const [mode, ...rest] = process.argv.slice(2);
  if (mode === '--child-pack') return childPack(rest[0] ?? '');
  if (mode === '--child-upload') return childUpload(rest[0] ?? '', rest[1] ?? '', rest[2] ?? '');
  const options = parseArgs(process.argv.slice(2));
  const dir = options.dir ?? '/tmp/berth-bench-context';
  const started = Date.now();
  const tree = generate(dir, options.sizeGib);
  console.log(`context ${dir}: ${tree.files} files, ${(tree.bytes / 2 ** 20).toFixed(0)} MiB (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  const self = process.argv[1] ?? '';
  const contenders: Array<[string, () => Measure]> = [
    // GNU tar skips reading files when the archive is /dev/null itself: write to a pipe instead
    ['tar (floor)', () => timed('sh', ['-c', 'tar -cf - -C "$0" . | cat > /dev/null', dir])],
    ['berth-pack', () => timed(process.execPath, [self, '--child-pack', dir])],
  ];
  const engine = options.engine;
  if (engine !== undefined) {
    const cleanup = (tag: string): void => { spawnSync('docker', ['-H', engine, 'rmi', '-f', tag], { stdio: 'ignore' }); };
    contenders.push(['berth-upload', () => {
      try { return timed(process.execPath, [self, '--child-upload', dir, engine, 'berth-bench:berth']); } finally { cleanup('berth-bench:berth'); }
    }]);
    contenders.push(['cli-upload', () => {
      const config = mkdtempSync('/tmp/bench-docker-config-');
      try {
        return timed('docker', ['-H', engine, 'build', '-q', '-t', 'berth-bench:cli', dir], { ...process.env, DOCKER_BUILDKIT: '0', DOCKER_CONFIG: config });
      } finally {
        cleanup('berth-bench:cli');
        rmSync(config, { recursive: true, force: true });
      }
    }]);
  }
  const results = new Map<string, Measure[]>(contenders.map(([name]) => [name, []]));
  for (let round = 0; round < options.rounds; round++) {
    // rotate the order each round so that no contender always runs on a warm (or cold) cache first
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length] as [string, () => Measure]);
    for (const [name, measure] of order) results.get(name)?.push(measure());
  }
  const cli = results.get('cli-upload');
  console.log('contender        wall s   client CPU s   peak RSS MB   CPU ÷ CLI');
  for (const [name, ms] of results) {
    const cpu = median(ms.map((m) => m.cpu));
    const ratio = cli !== undefined ? (cpu / median(cli.map((m) => m.cpu))).toFixed(2) : '-';
    console.log(`${name.padEnd(16)} ${median(ms.map((m) => m.wall)).toFixed(2).padStart(6)}   ${cpu.toFixed(2).padStart(12)}   ${median(ms.map((m) => m.rssMb)).toFixed(0).padStart(11)}   ${ratio.padStart(9)}`);
  }
  if (!options.keep && options.dir === undefined) rmSync(dir, { recursive: true, force: true });
  execFileSync('sync');
}

await main();
