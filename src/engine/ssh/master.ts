import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { DockerConnectionError } from '../errors.js';
import { masterArgs, type SshCommon } from './args.js';
import { classifySshFailure, significantLines, sshConnectionError, sshSpawnError, sshTimeoutError, type SshErrorContext } from './diagnose.js';
import { MuxControl } from './mux-control.js';

/**
 * One shared ssh connection: an OpenSSH ControlMaster on a private control
 * socket. Started by a launcher (`ssh -M -f -N …`) that exits once the
 * master is authenticated and listening; then watched through a mux
 * control connection, which closes the moment the master exits.
 */

/** What every master of a session shares. */
export interface MasterSettings {
  readonly common: SshCommon;
  readonly binary: string;
  readonly errorContext: SshErrorContext;
  /** Milliseconds to connect and authenticate. */
  readonly connectTimeoutMs: number;
}

/** Milliseconds a master gets to exit when asked, and again after SIGKILL. */
const STOP_GRACE_MS = 5_000;
/** Milliseconds a master that closed its control connections gets to finish exiting. */
const EXIT_WAIT_MS = 2_000;
/** Milliseconds to look for a master a killed launcher may have forked. */
const ORPHAN_CHECK_MS = 2_000;
/** The most of the master's log read for a message. */
const LOG_TAIL_BYTES = 16 * 1024;

/** Resolves true when `promise` settles within `ms`, false otherwise. */
function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const done = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    promise.then(done, done);
  });
}

/** One ControlMaster: started on construction, counted channels, stopped with {@link SshMaster.stop}. */
export class SshMaster {
  readonly controlPath: string;
  readonly logPath: string;
  /** Resolves once the master is up; rejects with the reason it could not start. */
  readonly ready: Promise<void>;
  /** Channels open or opening on it. */
  channels = 0;
  private readonly settings: MasterSettings;
  private launcher: ChildProcess | undefined;
  private control: MuxControl | undefined;
  private state: 'starting' | 'up' | 'failed' | 'stopping' | 'gone' = 'starting';
  private readonly goneListeners: Array<() => void> = [];

  constructor(controlPath: string, logPath: string, settings: MasterSettings) {
    this.controlPath = controlPath;
    this.logPath = logPath;
    this.settings = settings;
    this.ready = this.start();
    this.ready.catch(() => undefined); // every user awaits it; the failure is theirs to report
  }

  /** True while new channels may be put on it (starting or up, not stopping). */
  get accepting(): boolean {
    return this.state === 'starting' || this.state === 'up';
  }

  /** True while the master process runs and answers. */
  get up(): boolean {
    return this.state === 'up';
  }

  /** The master's process id, once up. */
  get pid(): number | undefined {
    return this.control?.pid;
  }

  /** Calls `fn` once when the master is gone after having been up (it exited, was stopped, or the connection dropped). */
  onGone(fn: () => void): void {
    if (this.state === 'gone') fn();
    else this.goneListeners.push(fn);
  }

  /** The last lines of the master's log (`ssh -E`), for messages. */
  async logTail(): Promise<string> {
    try {
      const text = await readFile(this.logPath, 'utf8');
      return text.length > LOG_TAIL_BYTES ? text.slice(-LOG_TAIL_BYTES) : text;
    } catch {
      return '';
    }
  }

  /** The master's last significant log line (why it ended, when it said), read now. */
  lastWords(): string | undefined {
    let text: string;
    try {
      text = readFileSync(this.logPath, 'utf8');
    } catch {
      return undefined;
    }
    return significantLines(text.slice(-LOG_TAIL_BYTES)).at(-1);
  }

  private async start(): Promise<void> {
    const { common, binary, errorContext, connectTimeoutMs } = this.settings;
    const args = masterArgs(common, this.controlPath, this.logPath, Math.max(1, Math.ceil(connectTimeoutMs / 1000)));
    const started = Date.now();
    type LauncherExit = { code: number | null; signal: NodeJS.Signals | null; stderr: string; timedOut: boolean };
    const exit = await new Promise<LauncherExit>((resolve, reject) => {
      const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      this.launcher = child;
      let stderr = '';
      let settled = false;
      let timedOut = false;
      child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr = (stderr + d).slice(-LOG_TAIL_BYTES); });
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, connectTimeoutMs);
      child.once('error', (err) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.launcher = undefined;
        reject(sshSpawnError(binary, err, errorContext.endpoint));
      });
      child.once('close', (code, signal) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.launcher = undefined;
        resolve({ code, signal, stderr, timedOut });
      });
    }).catch((err: unknown) => {
      this.state = 'failed';
      throw err;
    });
    if (exit.timedOut || this.stopping()) {
      // the launcher was killed; it may have forked the master just before: stop that one too
      const orphan = await MuxControl.connect(this.controlPath, ORPHAN_CHECK_MS).catch(() => undefined);
      if (orphan !== undefined) await this.terminate(orphan);
      const stopped = this.stopping();
      this.state = 'failed';
      throw stopped ? this.closedError() : sshTimeoutError(errorContext, connectTimeoutMs);
    }
    if (exit.code !== 0) {
      this.state = 'failed';
      // usage errors go to stderr before ssh opens its log; everything after to the log
      const text = `${exit.stderr}\n${await this.logTail()}`;
      throw sshConnectionError(classifySshFailure(text, 'master'), errorContext, exit, text);
    }
    try {
      this.control = await MuxControl.connect(this.controlPath, Math.max(1_000, connectTimeoutMs - (Date.now() - started)));
    } catch (err) {
      this.state = 'failed';
      throw new DockerConnectionError(`ssh to ${errorContext.destination} connected, but its control socket does not answer: ${(err as Error).message}`, {
        endpoint: errorContext.endpoint, cause: err,
        hint: `do extra ssh arguments turn connection sharing off (ControlMaster, ControlPath)? check ssh access: ${errorContext.checkCommand}`,
      });
    }
    const control = this.control;
    void control.closed.then(() => {
      this.state = 'gone';
      for (const fn of this.goneListeners.splice(0)) fn();
    });
    if (this.stopping()) {
      await this.terminate(control);
      throw this.closedError();
    }
    this.state = 'up';
  }

  /** Read through a call: `stop()` may change the state while `start()` awaits. */
  private stopping(): boolean {
    return this.state === 'stopping';
  }

  private closedError(): DockerConnectionError {
    return new DockerConnectionError('the client was closed while ssh was connecting', { endpoint: this.settings.errorContext.endpoint });
  }

  /**
   * Stops the master: asks it to exit over the control connection (what
   * `ssh -O exit` does), waits for it to go, and kills it when it does not.
   * A master still starting has its launcher killed; `start()` then stops
   * the master it may have forked.
   */
  async stop(): Promise<void> {
    if (this.state === 'gone' || this.state === 'failed') return;
    const wasStarting = this.state === 'starting';
    this.state = 'stopping';
    if (wasStarting) {
      this.launcher?.kill('SIGTERM');
      await this.ready.catch(() => undefined);
    }
    if (this.control !== undefined) await this.terminate(this.control);
  }

  private async terminate(control: MuxControl): Promise<void> {
    if (control.open) {
      void control.terminate();
      if (!(await within(control.closed, STOP_GRACE_MS))) {
        // the control connection is still open, so the process is alive and the pid still its own
        try { process.kill(control.pid, 'SIGKILL'); } catch { /* gone meanwhile */ }
        await within(control.closed, STOP_GRACE_MS);
      }
    }
    await this.exited(control.pid);
  }

  /**
   * Resolves once the master process is gone. It closes its control
   * connections a moment before it exits, and is not berth's child (it
   * forked away), so there is no exit event: its pid is checked, at growing
   * intervals, for a bounded time.
   */
  private async exited(pid: number): Promise<void> {
    const deadline = Date.now() + EXIT_WAIT_MS;
    for (let delay = 1; this.runs(pid) && Date.now() < deadline; delay = Math.min(delay * 2, 50)) {
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  /** Whether `pid` is still this master: alive, not a zombie, and (where /proc says) running with this control path. */
  private runs(pid: number): boolean {
    try {
      process.kill(pid, 0);
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (!existsSync('/proc/self')) return true;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (/\) [ZX] /.test(stat)) return false; // exited, waiting to be reaped
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(this.controlPath);
    } catch {
      return false; // gone between the checks
    }
  }

  /** For process exit: signals the launcher and the master, without waiting. */
  killSync(): void {
    this.launcher?.kill('SIGKILL');
    const control = this.control;
    if (control?.open === true) {
      try { process.kill(control.pid, 'SIGTERM'); } catch { /* gone meanwhile */ }
    }
  }
}
