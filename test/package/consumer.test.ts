import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shortTempDir } from '../helpers/tmp.js';

/** The repository root (tests run from build/test/package). */
const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');

/**
 * A consumer project in a short temporary directory, berth linked into its
 * node_modules; undefined (the test failed) when the build it needs is missing.
 */
function consumerProject(t: Test, prefix: string, built: string): string | undefined {
  if (!existsSync(join(ROOT, 'dist', built))) {
    t.fail(`dist/${built} is missing: scripts/test.sh builds it (npm run build)`);
    return undefined;
  }
  const dir = shortTempDir(t, prefix);
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'berth'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true }));
  return dir;
}

t.test('a consumer project imports berth and berth/testing from the built package', async (t) => {
  const dir = consumerProject(t, 'bpkg', 'index.js');
  if (dir === undefined) return;
  writeFileSync(join(dir, 'run.mjs'), [
    "import { Docker, NotFoundError, MAX_API_VERSION } from 'berth';",
    "import { ReplayServer, RecordingProxy } from 'berth/testing';",
    "const d = new Docker({ host: 'unix:///nonexistent.sock', env: {} });",
    "console.log(JSON.stringify({ docker: typeof Docker, nf: typeof NotFoundError, max: MAX_API_VERSION, replay: typeof ReplayServer, rec: typeof RecordingProxy, ep: d.endpoint.describe() }));",
    'await d.close();',
  ].join('\n'));
  const out = JSON.parse(execFileSync(process.execPath, ['run.mjs'], { cwd: dir, encoding: 'utf8' })) as Record<string, string>;
  t.same(out, {
    docker: 'function', nf: 'function', max: '1.55', replay: 'function', rec: 'function',
    ep: 'unix:///nonexistent.sock from the host option',
  });

  writeFileSync(join(dir, 'use.ts'), [
    "import { Docker, type PingResult, DockerConnectionError } from 'berth';",
    "import { ReplayServer, type Fixture } from 'berth/testing';",
    "import { demux, type Frame, type ProgressMessage } from 'berth/streams';",
    'const docker: Docker = Docker.fromEnv();',
    'const ping: Promise<PingResult> = docker.ping();',
    "const f: Fixture = { engine: 'x', apiVersion: '1.41', recordedAt: '', exchanges: [] };",
    "const frames: AsyncIterable<Frame> = demux([Buffer.from([1, 0, 0, 0, 0, 0, 0, 1, 0x61])]);",
    "const status: ProgressMessage = { status: 'Pulling fs layer', id: 'abc' };",
    'export { docker, ping, f, ReplayServer, DockerConnectionError, frames, status };',
  ].join('\n'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      strict: true, noEmit: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022',
      types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')], skipLibCheck: false,
    },
    files: ['use.ts'],
  }));
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', dir], { cwd: dir, encoding: 'utf8' });
    t.pass('the shipped .d.ts files type-check in a strict consumer project');
  } catch (err) {
    t.fail(`tsc failed in the consumer project:\n${String((err as { stdout?: string }).stdout ?? err)}`);
  }
});

t.test('berth/streams: the stream parsers alone, without the HTTP client, sharing the error classes with berth', async (t) => {
  const dir = consumerProject(t, 'bstr', 'engine/streams/index.js');
  if (dir === undefined) return;
  writeFileSync(join(dir, 'run.mjs'), String.raw`
import { register } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
// every module loaded from here on is logged
const log = fileURLToPath(new URL('./loaded.txt', import.meta.url));
writeFileSync(log, '');
register('data:text/javascript,' + encodeURIComponent('import { appendFileSync } from "node:fs"; export async function load(url, context, next) { appendFileSync(' + JSON.stringify(log) + ', url + "\\n"); return next(url, context); }'));
const loadedNow = () => readFileSync(log, 'utf8').split('\n').filter(Boolean).map((u) => u.replace(/^.*\/dist\//, ''));
const { demux, progress, DockerStreamError } = await import('berth/streams');
const loaded = loadedNow();
const frame = (s, text) => { const b = Buffer.alloc(8 + text.length); b[0] = s; b.writeUInt32BE(text.length, 4); b.write(text, 8); return b; };
const got = [];
for await (const f of demux([Buffer.concat([frame(1, 'out'), frame(2, 'err')])])) got.push(f.stream + ':' + f.data);
let code;
try {
  for await (const m of progress(['{"status":"x"}\n{"errorDetail":{"code":3,"message":"boom"},"error":"boom"}\n'])) void m;
} catch (err) {
  code = err instanceof DockerStreamError ? err.errorCode : String(err);
}
const whole = await import('berth');
console.log(JSON.stringify({ got, code, loaded, whole: loadedNow().length, same: whole.DockerStreamError === DockerStreamError && whole.demux === demux }));
`);
  const out = JSON.parse(execFileSync(process.execPath, ['run.mjs'], { cwd: dir, encoding: 'utf8' })) as { got: string[]; code: unknown; loaded: string[]; whole: number; same: boolean };
  t.same(out.got, ['stdout:out', 'stderr:err'], 'demux over an array of chunks');
  t.equal(out.code, 3, 'an in-band error is a DockerStreamError with the engine\'s code');
  const outside = out.loaded.filter((m) => !m.startsWith('engine/streams/') && !/^engine\/(errors|version|json)\.js$/.test(m) && !m.startsWith('node:'));
  t.same(outside, [], `berth/streams loaded only the stream modules, the errors and their helpers (${out.loaded.length} modules)`);
  t.ok(out.whole > out.loaded.length * 5, `berth loads the rest (${out.whole} modules in all): the check sees modules load`);
  t.equal(out.same, true, 'berth exports the same functions and error classes');
});
