/**
 * Build-upload benchmark: the whole `POST /build` of a directory, on a real
 * classic-builder engine, by berth, dockerode and the docker CLI, side by
 * side in one run. Each trial is a fresh process under /usr/bin/time (wall
 * time, client CPU = user+sys, peak RSS of the client process); contenders
 * are interleaved and their order rotated every round.
 *
 *   npx tsc -p tsconfig.test.json
 *   node build/scripts/bench/build-upload.js --engine unix:///…/docker.sock [--big N] [--rounds N] [--dir DIR] [--keep]
 *
 * The context: N × 256 KiB random files (default 2,000: ~525 MB; 8,000 for
 * ~2.1 GB) and 20,000 files of 100 bytes in 100 folders; the Dockerfile is
 * `FROM busybox:test` and a LABEL (scripts/test-engines.sh makes the image).
 *
 * Contenders, all quiet (`q=1`) and without BuildKit:
 * - `berth`: `docker.images.build({ context: dir })`;
 * - `dockerode-context`: dockerode's documented `buildImage({ context, src })`
 *   (it packs with tar-fs and gzips);
 * - `dockerode-tarfs`: `buildImage(tarfs.pack(dir))`, with the tar-fs
 *   dockerode brings;
 * - `cli`: `DOCKER_BUILDKIT=0 docker build -q` (the docker CLI on PATH).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { randomFillSync } from 'node:crypto';
import { timed, median, type Measure } from './process-time.js';
import { Docker } from '../../src/index.js';

const BIG_FILE = 256 << 10;
const TINY_FILES = 20_000;
const TINY_DIRS = 100;
const TAG = 'berth-bench-upload';

/** The few members of dockerode (which ships no types) this benchmark calls. */
interface Dockerode {
  buildImage(file: Readable | { context: string; src: string[] }, options: Record<string, unknown>): Promise<Readable>;
  readonly modem: { followProgress(stream: Readable, done: (err: Error | null, output: unknown[]) => void): void };
}
type DockerodeConstructor = new (options: { socketPath: string }) => Dockerode;
interface TarFs { pack(dir: string): Readable }

const require = createRequire(import.meta.url);

interface Options {
  engine: string | undefined;
  big: number;
  rounds: number;
  dir: string | undefined;
  keep: boolean;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { engine: undefined, big: 2000, rounds: 3, dir: undefined, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg ?? ''} needs a value`);
      return v;
    };
    if (arg === '--engine') options.engine = value();
    else if (arg === '--big') options.big = Number(value());
    else if (arg === '--rounds') options.rounds = Number(value());
    else if (arg === '--dir') options.dir = value();
    else if (arg === '--keep') options.keep = true;
    else throw new Error(`unknown argument ${arg ?? ''}`);
  }
  return options;
}

/** Writes the tree unless a previous run left the same one. */
function generate(dir: string, big: number): number {
  const marker = join(dir, '.bench-shape');
  const shape = `${big}x${BIG_FILE}+${TINY_FILES}`;
  const bytes = big * BIG_FILE + TINY_FILES * 100;
  if (existsSync(marker) && readFileSync(marker, 'utf8') === shape) return bytes;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'big'), { recursive: true });
  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox:test\nLABEL berth.bench=build-upload\n');
  const random = randomFillSync(Buffer.alloc(4 << 20));
  for (let i = 0; i < big; i++) {
    const at = (i * 4099) % (random.length - BIG_FILE);
    writeFileSync(join(dir, 'big', `${i}.bin`), random.subarray(at, at + BIG_FILE));
  }
  for (let d = 0; d < TINY_DIRS; d++) {
    mkdirSync(join(dir, `tiny-${d}`));
    for (let f = 0; f < TINY_FILES / TINY_DIRS; f++) writeFileSync(join(dir, `tiny-${d}`, `${f}.txt`), random.subarray(f, f + 100));
  }
  writeFileSync(marker, shape);
  return bytes;
}



function socketOf(engine: string): string {
  if (!engine.startsWith('unix://')) throw new Error('--engine must be a unix:// socket (dockerode is given its socketPath)');
  return engine.slice('unix://'.length);
}

async function childBerth(dir: string, engine: string): Promise<void> {
  const docker = new Docker({ host: engine, env: {} });
  try {
    await docker.images.build({ context: dir, tag: `${TAG}:berth`, quiet: true });
  } finally {
    await docker.close();
  }
}

async function childDockerode(dir: string, engine: string, form: string): Promise<void> {
  const DockerodeClass = require('dockerode') as DockerodeConstructor;
  const docker = new DockerodeClass({ socketPath: socketOf(engine) });
  const options = { t: `${TAG}:${form}`, q: true };
  let stream: Readable;
  if (form === 'dockerode-context') {
    stream = await docker.buildImage({ context: dir, src: readdirSync(dir) }, options);
  } else {
    // the tar-fs dockerode itself depends on
    const tarfs = createRequire(require.resolve('dockerode'))('tar-fs') as TarFs;
    stream = await docker.buildImage(tarfs.pack(dir), options);
  }
  const output = await new Promise<unknown[]>((resolve, reject) => {
    docker.modem.followProgress(stream, (err, out) => (err ? reject(err) : resolve(out)));
  });
  // followProgress does not fail on an in-band error: check, so that a failed build is not timed as a success
  const failed = output.find((m) => typeof m === 'object' && m !== null && 'errorDetail' in m);
  if (failed !== undefined) throw new Error(JSON.stringify(failed));
}

async function main(): Promise<void> {
  const [mode, ...rest] = process.argv.slice(2);
  if (mode === '--child') {
    const [form = '', dir = '', engine = ''] = rest;
    return form === 'berth' ? childBerth(dir, engine) : childDockerode(dir, engine, form);
  }
  const options = parseArgs(process.argv.slice(2));
  const engine = options.engine;
  if (engine === undefined) throw new Error('give --engine unix:///…/docker.sock (a classic-builder dockerd with busybox:test)');
  const dir = options.dir ?? `/tmp/berth-bench-upload-${options.big}`;
  const started = Date.now();
  const bytes = generate(dir, options.big);
  const files = options.big + TINY_FILES + 1;
  console.log(`context ${dir}: ${files} files, ${(bytes / 1e6).toFixed(0)} MB (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  const self = process.argv[1] ?? '';
  const removeTag = (tag: string): void => { spawnSync('docker', ['-H', engine, 'rmi', '-f', `${TAG}:${tag}`], { stdio: 'ignore' }); };
  const node = (form: string) => (): Measure => {
    try { return timed(process.execPath, [self, '--child', form, dir, engine]); } finally { removeTag(form); }
  };
  const contenders: Array<[string, () => Measure]> = [
    ['berth', node('berth')],
    ['dockerode-context', node('dockerode-context')],
    ['dockerode-tarfs', node('dockerode-tarfs')],
    ['cli', () => {
      const config = mkdtempSync('/tmp/bench-docker-config-');
      try {
        return timed('docker', ['-H', engine, 'build', '-q', '-t', `${TAG}:cli`, dir], { ...process.env, DOCKER_BUILDKIT: '0', DOCKER_CONFIG: config });
      } finally {
        removeTag('cli');
        rmSync(config, { recursive: true, force: true });
      }
    }],
  ];
  const results = new Map<string, Measure[]>(contenders.map(([name]) => [name, []]));
  for (let round = 0; round < options.rounds; round++) {
    // rotate, and reverse every other round, so that no contender always follows the same one
    const rotated = contenders.map((_, i) => contenders[(i + round) % contenders.length] as [string, () => Measure]);
    const order = round % 2 === 1 ? rotated.reverse() : rotated;
    for (const [name, measure] of order) {
      const m = measure();
      results.get(name)?.push(m);
      console.error(`round ${round + 1}: ${name} ${m.wall.toFixed(2)} s wall, ${m.cpu.toFixed(2)} s CPU, ${m.rssMb.toFixed(0)} MB`);
    }
  }
  const cli = results.get('cli') ?? [];
  const cliWall = median(cli.map((m) => m.wall));
  const cliCpu = median(cli.map((m) => m.cpu));
  console.log(`| contender | wall s | client CPU s | peak RSS MB | wall ÷ CLI | CPU ÷ CLI |`);
  console.log(`|---|---|---|---|---|---|`);
  for (const [name, ms] of results) {
    const wall = median(ms.map((m) => m.wall));
    const cpu = median(ms.map((m) => m.cpu));
    console.log(`| ${name} | ${wall.toFixed(2)} | ${cpu.toFixed(2)} | ${median(ms.map((m) => m.rssMb)).toFixed(0)} | ${(wall / cliWall).toFixed(2)} | ${(cpu / cliCpu).toFixed(2)} |`);
  }
  if (!options.keep && options.dir === undefined) rmSync(dir, { recursive: true, force: true });
}

await main();
