import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Teardown } from './tmp.js';

/**
 * Runs the compiled `berth` command (build/src/cli/main.js, built by the
 * same tsc run as the tests) and the docker CLI as child processes.
 */

/** The compiled CLI entry point. */
export const BERTH = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'src', 'cli', 'main.js');

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

// NODE_OPTIONS: the test runner's own hooks have no business in the command under test
const DOCKER_VARS = ['NODE_OPTIONS', 'DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_TLS', 'DOCKER_CERT_PATH', 'DOCKER_API_VERSION', 'DOCKER_CONFIG', 'NO_COLOR', 'FORCE_COLOR'];

/**
 * An environment free of the user's docker settings: no DOCKER_* variables,
 * no NODE_OPTIONS,
 * and DOCKER_CONFIG pointing at an empty directory (removed at teardown), so
 * neither berth nor the docker CLI reads the user's config.json or contexts.
 */
export function cleanEnv(t: Teardown, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !DOCKER_VARS.includes(k)) env[k] = v;
  const config = mkdtempSync('/tmp/bcfg-');
  t.teardown(() => rmSync(config, { recursive: true, force: true }));
  return { ...env, DOCKER_CONFIG: config, ...extra };
}

function collect(child: ChildProcessWithoutNullStreams, timeoutMs: number, what: string): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.once('error', (err) => { clearTimeout(timer); reject(err); });
    child.once('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
}

/**
 * The command line that runs berth. Through `env -u NODE_OPTIONS`: the test
 * runner wraps spawn to inject its hooks into child node processes, which a
 * child running as another user could not even load.
 */
function berthCommand(args: readonly string[]): [string, string[]] {
  return ['/usr/bin/env', ['-u', 'NODE_OPTIONS', process.execPath, BERTH, ...args]];
}

/** Runs `berth ARGS` to completion. */
export function runBerth(args: readonly string[], env: Record<string, string>, options: { timeoutMs?: number; uid?: number; gid?: number } = {}): Promise<RunResult> {
  const [command, argv] = berthCommand(args);
  const child = spawn(command, argv, {
    env, stdio: 'pipe', ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid ?? options.uid } : {}),
  });
  child.stdin.end();
  return collect(child, options.timeoutMs ?? 30_000, `berth ${args.join(' ')}`);
}

/** A long-running `berth replay` or `berth record`: started, its DOCKER_HOST read, stopped with a signal. */
export class BerthServer {
  readonly host: string;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly done: Promise<RunResult>;

  private constructor(child: ChildProcessWithoutNullStreams, done: Promise<RunResult>, host: string) {
    this.child = child;
    this.done = done;
    this.host = host;
  }

  /** Starts `berth ARGS` and waits for its `export DOCKER_HOST=…` line. */
  static async start(t: Teardown, args: readonly string[], env: Record<string, string>): Promise<BerthServer> {
    const [command, argv] = berthCommand(args);
    const child = spawn(command, argv, { env, stdio: 'pipe' });
    child.stdin.end();
    const done = collect(child, 120_000, `berth ${args.join(' ')}`);
    t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
    const host = await new Promise<string>((resolve, reject) => {
      let seen = '';
      const onData = (d: Buffer | string): void => {
        seen += d.toString();
        const m = /^export DOCKER_HOST=(\S+)$/m.exec(seen);
        if (m) { child.stdout.off('data', onData); resolve(m[1] as string); }
      };
      child.stdout.on('data', onData);
      void done.then((r) => reject(new Error(`berth ${args.join(' ')} exited (${r.code ?? r.signal ?? '?'}) before listening:\n${r.stdout}${r.stderr}`)));
    });
    return new BerthServer(child, done, host);
  }

  /** Sends `signal` (default SIGINT) and waits for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<RunResult> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.done;
  }

  /** Waits for the process to exit by itself (`--once`). */
  exited(): Promise<RunResult> {
    return this.done;
  }
}

/** A docker CLI binary and its version (`major.minor`). */
export interface DockerCli {
  readonly path: string;
  readonly version: string;
}

/** The docker CLIs on this machine (`docker` on PATH, Debian's /usr/bin/docker), one per real binary. */
export function dockerClis(): DockerCli[] {
  const candidates = ['/usr/local/bin/docker', '/usr/bin/docker'];
  try {
    candidates.unshift(execFileSync('sh', ['-c', 'command -v docker'], { encoding: 'utf8' }).trim());
  } catch {
    // no docker on PATH
  }
  const seen = new Set<string>();
  const out: DockerCli[] = [];
  for (const c of candidates) {
    if (c === '' || !existsSync(c)) continue;
    const real = realpathSync(c);
    if (seen.has(real)) continue;
    seen.add(real);
    try {
      const text = execFileSync(c, ['--version'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
      const m = /version (\d+\.\d+)/.exec(text);
      if (m) out.push({ path: c, version: m[1] as string });
    } catch {
      // not runnable
    }
  }
  return out;
}

/** Runs the docker CLI against `host` (`-H`), with a private DOCKER_CONFIG. */
export function runDocker(cli: DockerCli, host: string, args: readonly string[], env: Record<string, string>): Promise<RunResult> {
  const child = spawn(cli.path, ['-H', host, ...args], { env, stdio: 'pipe' });
  child.stdin.end();
  return collect(child, 60_000, `docker ${args.join(' ')}`);
}

/** A `berth` child process whose output can be waited for while it runs. */
export interface RunningBerth {
  /** Resolves once `pattern` matched what the process wrote to stderr so far. */
  stderrMatching(pattern: RegExp): Promise<void>;
  /** Sends `signal` to the process. */
  kill(signal: NodeJS.Signals): void;
  /** The whole run. */
  readonly done: Promise<RunResult>;
}

/** Starts `berth ARGS` in the background (killed at teardown if still running). */
export function spawnBerth(t: Teardown, args: readonly string[], env: Record<string, string>, timeoutMs = 120_000): RunningBerth {
  const [command, argv] = berthCommand(args);
  const child = spawn(command, argv, { env, stdio: 'pipe' });
  child.stdin.end();
  const done = collect(child, timeoutMs, `berth ${args.join(' ')}`);
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  let stderr = '';
  child.stderr.on('data', (d: Buffer | string) => { stderr += d.toString(); });
  return {
    done,
    kill: (signal) => { child.kill(signal); },
    stderrMatching: (pattern) => new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (!pattern.test(stderr)) return;
        child.stderr.off('data', check);
        resolve();
      };
      child.stderr.on('data', check);
      check();
      void done.then((r) => reject(new Error(`berth ${args.join(' ')} exited (${r.code ?? r.signal ?? '?'}) before ${String(pattern)}:\n${r.stderr}`)));
    }),
  };
}
