/**
 * Build upload, trial side: the whole `POST /build` of a directory on a real
 * classic-builder engine, by one contender, in this fresh process. The
 * runner measures wall time, CPU and peak RSS of the process from outside
 * (GNU time); for the docker CLI the trial only spawns it and reports its
 * usage as measured by its own GNU time, so every contender's numbers are
 * those of the process that packs and sends the context.
 *
 * Contenders, all quiet and without BuildKit:
 * - `berth`: `docker.images.build({ context: dir, quiet: true })`;
 * - `dockerode-tarfs`: `buildImage(tarfs.pack(dir))` with the tar-fs that
 *   dockerode depends on;
 * - `dockerode-context`: dockerode's documented `buildImage({ context, src })`
 *   (tar-fs, gzipped);
 * - `cli`: `DOCKER_BUILDKIT=0 docker build -q` (the docker CLI on PATH);
 * - `berth-liftoff`, a diagnosis rather than a contender: berth with V8's
 *   WebAssembly tier-up turned off, which shows what undici's HTTP parser
 *   (llhttp, WebAssembly) costs when V8 recompiles it with TurboFan during
 *   the first response: a transient ~30 MB of compiler memory.
 * - `undici-floor`, a floor rather than a contender: raw undici sending a
 *   tar of the same size (the Dockerfile and one file of the context's
 *   byte count) from one reused 256 KiB buffer, with no directory walk, no
 *   tar library and no buffer per file: the least peak RSS an undici-based
 *   client of this upload can have in Node.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { measure, numberParam, stringParam, unknownContender, type Params, type TrialOutcome } from './child.js';

export const BUILD_UPLOAD_CONTENDERS = ['berth', 'berth-liftoff', 'undici-floor', 'dockerode-tarfs', 'dockerode-context', 'cli'] as const;

const TAG = 'berth-bench-upload';

/** The few members of dockerode (which ships no types) this benchmark calls. */
interface Dockerode {
  buildImage(file: Readable | { context: string; src: string[] }, options: Record<string, unknown>): Promise<Readable>;
  readonly modem: { followProgress(stream: Readable, done: (err: Error | null, output: unknown[]) => void): void };
}
type DockerodeConstructor = new (options: { socketPath: string }) => Dockerode;
interface TarFs { pack(dir: string): Readable }

const require = createRequire(import.meta.url);

export async function trial(contender: string, params: Params): Promise<TrialOutcome> {
  const dir = stringParam(params, 'dir');
  const socket = stringParam(params, 'socket');
  const tag = `${TAG}:${contender}`;
  try {
    if (contender === 'berth') return await berth(dir, socket, tag);
    if (contender === 'berth-liftoff') {
      // before undici is loaded: its parser is then compiled by Liftoff only
      (await import('node:v8')).setFlagsFromString('--liftoff-only');
      return await berth(dir, socket, tag);
    }
    if (contender === 'undici-floor') return await undiciFloor(socket, tag, numberParam(params, 'bytes'));
    if (contender === 'dockerode-tarfs' || contender === 'dockerode-context') return await dockerode(dir, socket, tag, contender);
    if (contender === 'cli') return cli(dir, socket, tag);
    return unknownContender('build-upload', contender);
  } finally {
    spawnSync('docker', ['-H', `unix://${socket}`, 'rmi', '-f', tag], { stdio: 'ignore' });
  }
}

async function berth(dir: string, socket: string, tag: string): Promise<TrialOutcome> {
  const { Docker } = await import('../../src/index.js');
  const docker = new Docker({ host: `unix://${socket}`, env: {} });
  try {
    const built = await measure(() => docker.images.build({ context: dir, tag, quiet: true }).done());
    return { metrics: { wallS: built.wallS, cpuS: built.cpuS }, checks: { image: built.value.id.slice(0, 19) } };
  } finally {
    await docker.close();
  }
}

const DOCKERFILE = Buffer.from('FROM busybox:test\nLABEL berth.bench=build-upload\n');
const BLOCK = 256 << 10;

/** `POST /build` of a Dockerfile and one file of `bytes` bytes, sent by undici from one reused buffer. */
async function undiciFloor(socket: string, tag: string, bytes: number): Promise<TrialOutcome> {
  const { Pool } = await import('undici');
  const pool = new Pool('http://localhost', { socketPath: socket });
  try {
    // as berth negotiates first: the parser is compiled by the first response, not timed
    await (await pool.request({ method: 'GET', path: '/_ping' })).body.text();
    const built = await measure(async () => {
      const res = await pool.request({
        method: 'POST', path: `/build?t=${encodeURIComponent(tag)}&q=1&rm=1&forcerm=1`,
        headers: { 'content-type': 'application/x-tar' }, body: Readable.from(floorTar(bytes), { objectMode: false }),
      });
      const out = await res.body.text();
      if (res.statusCode !== 200 || out.includes('"errorDetail"')) throw new Error(`the build failed (${res.statusCode}): ${out.slice(-300)}`);
      return out.length;
    });
    return { metrics: { wallS: built.wallS, cpuS: built.cpuS }, checks: { answer: built.value } };
  } finally {
    await pool.close();
  }
}

/** The tar, as undici takes a body: the same zero-filled block over and over (its bytes never change, so reuse is safe). */
async function* floorTar(bytes: number): AsyncGenerator<Buffer> {
  const block = Buffer.alloc(BLOCK);
  yield tarHeader('Dockerfile', DOCKERFILE.length);
  yield Buffer.concat([DOCKERFILE, Buffer.alloc(padding(DOCKERFILE.length))]);
  yield tarHeader('payload.bin', bytes);
  for (let left = bytes; left > 0; left -= BLOCK) yield left >= BLOCK ? block : block.subarray(0, left);
  yield Buffer.alloc(padding(bytes) + 1024);
}

function padding(size: number): number {
  return (512 - (size % 512)) % 512;
}

/** A ustar header of a regular file, mode 0644, owner 0, mtime 0. */
function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  const octal = (at: number, width: number, value: number): void => { h.write(`${value.toString(8).padStart(width - 1, '0')}\0`, at, 'ascii'); };
  h.write(name, 0, 'utf8');
  octal(100, 8, 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, 0);
  h.write('        ', 148, 'ascii');
  h.write('0', 156, 'ascii');
  h.write('ustar\0' + '00', 257, 'ascii');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

async function dockerode(dir: string, socket: string, tag: string, form: string): Promise<TrialOutcome> {
  const DockerodeClass = require('dockerode') as DockerodeConstructor;
  const docker = new DockerodeClass({ socketPath: socket });
  const options = { t: tag, q: true };
  const built = await measure(async () => {
    let stream: Readable;
    if (form === 'dockerode-context') {
      stream = await docker.buildImage({ context: dir, src: readdirSync(dir) }, options);
    } else {
      const tarfs = createRequire(require.resolve('dockerode'))('tar-fs') as TarFs;
      stream = await docker.buildImage(tarfs.pack(dir), options);
    }
    const output = await new Promise<unknown[]>((resolve, reject) => {
      docker.modem.followProgress(stream, (err, out) => (err ? reject(err) : resolve(out)));
    });
    // followProgress does not fail on an in-band error: a failed build must not be timed as a success
    const failed = output.find((m) => typeof m === 'object' && m !== null && 'errorDetail' in m);
    if (failed !== undefined) throw new Error(JSON.stringify(failed));
    return output.length;
  });
  return { metrics: { wallS: built.wallS, cpuS: built.cpuS }, checks: { messages: built.value } };
}

/** The docker CLI under its own GNU time: its wall, CPU and RSS replace this process's. */
function cli(dir: string, socket: string, tag: string): TrialOutcome {
  const scratch = mkdtempSync('/tmp/berth-bench-cli-');
  const timeFile = join(scratch, 'time');
  try {
    const res = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile, 'docker', '-H', `unix://${socket}`, 'build', '-q', '-t', tag, dir], {
      env: { ...process.env, DOCKER_BUILDKIT: '0', DOCKER_CONFIG: scratch }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8',
    });
    if (res.status !== 0) throw new Error(`docker build exited with ${String(res.status)}: ${res.stderr.slice(-300)}`);
    const [wall, user, sys, rssKB] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)?.split(' ').map(Number) ?? [];
    return { metrics: { wallS: wall ?? NaN, cpuS: (user ?? NaN) + (sys ?? NaN), rssMB: (rssKB ?? NaN) / 1024 } };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
