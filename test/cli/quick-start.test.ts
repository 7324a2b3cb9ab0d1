import t from 'tap';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanEnv } from '../helpers/cli.js';

/**
 * The README's quick start, `npm ci && npm start`, with no engine: `npm
 * start` runs the demo against the bundled session. (`npm ci && npm test`
 * is this suite itself.) DOCKER_HOST names a socket that does not exist:
 * what a machine without Docker offers, whatever this machine has.
 */

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');

t.test('npm start with no engine runs the demo on the recorded session', async (t) => {
  const env = cleanEnv(t, { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
  const child = spawn('npm', ['start', '--silent'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.equal(code, 0, stderr);
  t.match(stderr, /^engine: none — replaying the recorded session .*\(no engine answered at unix:\/\/\/nonexistent\/docker\.sock from DOCKER_HOST\)/m);
  t.match(stdout, /^ {2}builds {6}6 of 6 succeeded on 2 workers$/m);
  t.match(stdout, /^ {2}containers {2}2 created, 2 removed, 0 left$/m);
  t.match(stdout, /^ok: 6 builds done$/m);
});
