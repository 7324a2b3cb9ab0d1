import { Buffer } from 'node:buffer';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { DockerArgumentError, DockerError, abortError } from '../../errors.js';
import type { CallOptions } from '../../request.js';
import { bufferFrames, type AttachedStdio, type StdinSource } from '../../streams/stdio.js';
import type { ExecCreateRequest } from '../../types/exec.js';
import type { ExecApi } from '../exec.js';
import { DEFAULT_MAX_OUTPUT_BYTES } from './logs.js';

/**
 * Run a command in a running container, as `docker exec` does: create the
 * exec, start it on a hijacked connection, send stdin and half-close it
 * while the output keeps being read, and take the exit code from
 * `GET /exec/{id}/json` once the output has ended.
 */

/** Options of `ContainersApi.exec` and `execStream`. */
export interface ContainerExecOptions extends CallOptions {
  /** Extra environment: `['K=V']` or `{ K: 'V' }`. */
  env?: readonly string[] | Readonly<Record<string, string>>;
  /** `user`, `user:group`, `uid` or `uid:gid`. */
  user?: string;
  workingDir?: string;
  /** Run on a TTY: all output arrives as stdout (`\r\n` line ends). */
  tty?: boolean;
  /**
   * Input: written with backpressure, then stdin is half-closed (the
   * process reads end of file). With `tty` stdin is not half-closed — the
   * engine would end the output — so end it as a terminal does, with
   * Ctrl-D (`\x04`) at the start of a line, if the process reads to the end.
   */
  stdin?: StdinSource;
  /** Extended privileges for the process. */
  privileged?: boolean;
  /** `[height, width]` of the TTY (API ≥ 1.42). */
  consoleSize?: [number, number];
}

/** Options of the buffered `ContainersApi.exec`. */
export interface ContainerExecBufferOptions extends ContainerExecOptions {
  /** The most output kept, stdout and stderr together (default 64 MiB); more is a `DockerError` (and the connection is closed). */
  maxBytes?: number;
}

/** What a command run with `ContainersApi.exec` did. */
export interface ContainerExecResult {
  /** The exec instance's id. */
  id: string;
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
}

/** A command running with `ContainersApi.execStream`. */
export interface ContainerExecStreams {
  id: string;
  /** Read (or destroy) both: the exit code comes once the output has ended. */
  stdout: Readable;
  stderr: Readable;
  /** Settles after the output ended: the process's exit code, or the error that ended the output. */
  exitCode: Promise<number>;
}

/** How long to wait for an exec to be reported ended after its output ended. */
const EXIT_WAIT_MS = 10_000;

/** Creates and starts the exec; the caller reads the output. */
async function launch(exec: ExecApi, containerId: string, cmd: readonly string[], options: ContainerExecOptions): Promise<{ id: string; stdio: AttachedStdio }> {
  const { env, user, workingDir, tty = false, stdin, privileged, consoleSize, signal, timeout } = options;
  if (!Array.isArray(cmd) || cmd.length === 0) throw new DockerArgumentError('exec: the command must be a non-empty array of strings');
  // a stream that fails before it is read keeps its error for the read (instead of crashing the process)
  if (stdin instanceof Readable) stdin.on('error', () => undefined);
  const body: ExecCreateRequest = {
    Cmd: [...cmd], AttachStdin: stdin !== undefined, AttachStdout: true, AttachStderr: true, Tty: tty,
    ...(env !== undefined ? { Env: envList(env) } : {}),
    ...(user !== undefined ? { User: user } : {}),
    ...(workingDir !== undefined ? { WorkingDir: workingDir } : {}),
    ...(privileged !== undefined ? { Privileged: privileged } : {}),
    ...(consoleSize !== undefined ? { ConsoleSize: consoleSize } : {}),
  };
  const call = { signal, timeout };
  const { Id } = await exec.create(containerId, body, call);
  const stdio = await exec.start(Id, { ...call, tty, ...(consoleSize !== undefined ? { consoleSize } : {}) });
  return { id: Id, stdio };
}

/** Sends stdin; a failed write is not an error here (the process may have stopped reading), a failed source is. */
async function feed(stdio: AttachedStdio, stdin: StdinSource | undefined, tty: boolean): Promise<void> {
  if (stdin === undefined) return;
  try {
    await stdio.send(stdin, { end: !tty });
  } catch (err) {
    if (stdio.stdinFailure !== undefined) throw stdio.stdinFailure;
    void err; // the output and the exit code say what happened
  }
}

/** `docker exec` to completion, output in buffers; see `ContainersApi.exec`. */
export async function execToBuffers(exec: ExecApi, containerId: string, cmd: readonly string[], options: ContainerExecBufferOptions = {}): Promise<ContainerExecResult> {
  const { maxBytes = DEFAULT_MAX_OUTPUT_BYTES, ...rest } = options;
  const { id, stdio } = await launch(exec, containerId, cmd, rest);
  const feeding = feed(stdio, rest.stdin, rest.tty === true);
  feeding.catch(() => undefined); // awaited below; the output reports the same failure first
  let output: { stdout: Buffer; stderr: Buffer };
  try {
    output = await bufferFrames(stdio.frames(), maxBytes, `the output of exec ${id} (use execStream)`);
    await feeding;
  } finally {
    stdio.close();
  }
  const exitCode = await exitCodeOf(exec, id, rest.signal);
  return { id, exitCode, ...output };
}

/** `docker exec` with the output as Readables; see `ContainersApi.execStream`. */
export async function execToStreams(exec: ExecApi, containerId: string, cmd: readonly string[], options: ContainerExecOptions = {}): Promise<ContainerExecStreams> {
  const { id, stdio } = await launch(exec, containerId, cmd, options);
  const { stdout, stderr, done } = stdio.outputStreams();
  const feeding = feed(stdio, options.stdin, options.tty === true);
  feeding.catch(() => undefined);
  const exitCode = (async () => {
    try {
      await done;
      await feeding;
    } finally {
      stdio.close();
    }
    return exitCodeOf(exec, id, options.signal);
  })();
  exitCode.catch(() => undefined); // a caller that only reads the output must not crash the process
  return { id, stdout, stderr, exitCode };
}

/**
 * The exit code, from `GET /exec/{id}/json` after the output ended. The
 * engine may report the process as running for a moment after it closed
 * the output: ask again, backing off, for a bounded time.
 */
export async function exitCodeOf(exec: ExecApi, id: string, signal: AbortSignal | undefined): Promise<number> {
  const deadline = Date.now() + EXIT_WAIT_MS;
  for (let delay = 5; ; delay = Math.min(delay * 2, 250)) {
    const info = await exec.inspect(id, { signal });
    if (info.Running !== true && typeof info.ExitCode === 'number') return info.ExitCode;
    if (Date.now() >= deadline) {
      throw new DockerError(`exec ${id} is still reported ${info.Running === true ? 'running' : 'without an exit code'} ${EXIT_WAIT_MS} ms after its output ended`, 'ERR_DOCKER_EXEC_RUNNING');
    }
    try {
      await sleep(delay, undefined, signal ? { signal } : {});
    } catch (err) {
      if (signal?.aborted) throw abortError(signal);
      throw err;
    }
  }
}

/** `Env` entries from a list or a record. */
function envList(env: readonly string[] | Readonly<Record<string, string>>): string[] {
  if (Array.isArray(env)) {
    const list = env as readonly string[];
    for (const e of list) if (typeof e !== 'string' || !e.includes('=')) throw new DockerArgumentError(`exec env: "${String(e)}" is not KEY=value`);
    return [...list];
  }
  return Object.entries(env as Readonly<Record<string, string>>).map(([k, v]) => {
    if (k === '' || k.includes('=')) throw new DockerArgumentError(`exec env: invalid variable name "${k}"`);
    return `${k}=${String(v)}`;
  });
}
