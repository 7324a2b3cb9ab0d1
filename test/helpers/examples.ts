import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIXTURES } from './replay.js';

/**
 * The README's examples (`examples/*.ts`): how each is run when it is
 * recorded from a real engine and replayed in the tests. Each takes the
 * image to use as its argument (the test engines have `busybox:test`).
 */

/** The image the examples were recorded with. */
export const EXAMPLE_IMAGE = 'busybox:test';

export interface ExampleRun {
  readonly name: string;
  readonly args: readonly string[];
}

/** What the pull example pulls: the image, pushed to a private registry on the recording machine (its open test registry's port). */
export const EXAMPLE_PULL_REFERENCE = '127.0.0.1:5081/berth/busybox:test';

/** Every example the README includes, in README order. */
export const EXAMPLES: readonly ExampleRun[] = ['connect', 'errors', 'cancellation', 'pull', 'containers', 'logs', 'exec', 'events', 'build']
  .map((name) => ({ name, args: name === 'connect' ? [] : name === 'pull' ? [EXAMPLE_PULL_REFERENCE] : [EXAMPLE_IMAGE] }));

/**
 * examples/latent-workers.ts: not inlined in the README (it is a program,
 * not a snippet), so not in {@link EXAMPLES}. It takes its image and sizes
 * from the environment ({@link LATENT_WORKERS_ENV}).
 */
export const LATENT_WORKERS: ExampleRun = { name: 'latent-workers', args: [] };

/** How latent-workers is recorded and replayed: the test image, two workers, five builds. */
export const LATENT_WORKERS_ENV: Readonly<Record<string, string>> = { WORKER_IMAGE: EXAMPLE_IMAGE, WORKERS: '2', BUILDS: '5' };

/** The compiled example. */
export function exampleScript(name: string): string {
  return join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'examples', `${name}.js`);
}

/** The example's source, as the README shows it. */
export function exampleSource(name: string): string {
  return join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', 'examples', `${name}.ts`);
}

/** Where an example's recorded exchanges and its output are kept. */
export function exampleFixture(name: string): { exchanges: string; stdout: string } {
  return { exchanges: join(FIXTURES, 'examples', `${name}.json`), stdout: join(FIXTURES, 'examples', `${name}.stdout`) };
}

/** What a run of an example did. */
export interface ExampleResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunExampleOptions {
  /** Killed after this long (default 30 s). */
  readonly timeoutMs?: number;
  /** Called with the output printed so far, each time it grows. */
  readonly onStdout?: (stdout: string) => void;
}

/** Runs a compiled example as a user does, `node build/examples/<name>.js ARGS`, killed after `timeoutMs`. */
export function runExample(example: ExampleRun, env: Record<string, string>, options: RunExampleOptions = {}): Promise<ExampleResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [exampleScript(example.name), ...example.args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; options.onStdout?.(stdout); });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const bound = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', (err) => { clearTimeout(bound); reject(err); });
    child.on('close', (code) => { clearTimeout(bound); resolve({ code, stdout, stderr }); });
  });
}
