import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { EXAMPLES, exampleFixture, exampleScript } from '../helpers/examples.js';
import { replay } from '../helpers/replay.js';
import { shortTempDir } from '../helpers/tmp.js';

/**
 * Every README example runs against the replay engine — its own recorded
 * exchanges — as a user runs it (`node build/examples/<name>.js`, with
 * DOCKER_HOST pointing at the engine), asks for exactly what it asked of the
 * real engine, and prints what it printed there.
 */

function run(script: string, args: readonly string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const bound = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(bound); resolve({ code, stdout, stderr }); });
  });
}

for (const example of EXAMPLES) {
  t.test(`examples/${example.name}.ts`, async (t) => {
    const paths = exampleFixture(example.name);
    const config = shortTempDir(t, 'bx');
    const r = await replay(t, [paths.exchanges], ({ url }) => run(exampleScript(example.name), example.args, {
      PATH: process.env.PATH ?? '', DOCKER_HOST: url, DOCKER_CONFIG: config,
    }));
    t.equal(r.code, 0, r.stderr);
    t.equal(r.stderr, '', 'nothing on stderr');
    t.equal(r.stdout, readFileSync(paths.stdout, 'utf8'), 'the output the real engine gave');
  });
}
