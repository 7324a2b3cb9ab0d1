import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shortTempDir } from '../helpers/tmp.js';

/** The repository root (tests run from build/test/package). */
const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');

t.test('a consumer project imports berth and berth/testing from the built package', async (t) => {
  if (!existsSync(join(ROOT, 'dist', 'index.js'))) {
    t.fail('dist/ is missing: scripts/test.sh builds it (npm run build)');
    return;
  }
  const dir = shortTempDir(t, 'bpkg');
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'berth'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true }));
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
    'const docker: Docker = Docker.fromEnv();',
    'const ping: Promise<PingResult> = docker.ping();',
    "const f: Fixture = { engine: 'x', apiVersion: '1.41', recordedAt: '', exchanges: [] };",
    'export { docker, ping, f, ReplayServer, DockerConnectionError };',
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
