import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SshTarget } from '../endpoint.js';
import { DockerConnectionError, abortError } from '../errors.js';
import { channelArgs, checkCommand, checkSshTarget, type SshCommon, type SshOptions } from './args.js';
import { SshChannel, killChild, type Leg } from './channel.js';
import { sshConnectionError, sshSpawnError, type SshErrorContext, type SshFailure } from './diagnose.js';
import { SshMaster } from './master.js';

/**
 * The ssh transport of one client: shared connections (OpenSSH
 * ControlMasters) to one `ssh://` endpoint, and the dial-stdio channels
 * over them that carry the engine's HTTP.
 *
 * - One master carries up to `maxSessions` channels; past that, or when the
 *   server refuses a session, another master is opened. A hundred requests
 *   in a row go over one master (and, kept alive, one channel).
 * - A master that is gone (dropped, killed, idle-stopped) is replaced on
 *   the next connection; a channel that found it gone before its command ran
 *   is sent again transparently.
 * - Everything lives in a private 0700 directory: control sockets and the
 *   masters' logs. `close()` ends every channel, stops every master and
 *   removes the directory; a process exiting without `close()` signals them
 *   on its way out, and a killed one leaves masters that end by themselves
 *   (ControlPersist) once berth's control connection is gone.
 */

/** Settings that come from the client rather than the ssh options. */
export interface SshSessionSettings {
  /** The endpoint URL, for errors. */
  readonly endpoint: string;
  /** Milliseconds to connect and authenticate (default 30 s). */
  readonly connectTimeout?: number | undefined;
}

const DEFAULT_MAX_SESSIONS = 10;
const DEFAULT_IDLE_SECONDS = 300;
/** Milliseconds a channel's ssh child gets to exit on SIGTERM before SIGKILL. */
const CHILD_GRACE_MS = 5_000;

const live = new Set<SshSession>();
const onProcessExit = (): void => {
  for (const session of live) session.killSync();
};

function track(session: SshSession, on: boolean): void {
  if (on) {
    if (live.size === 0) process.on('exit', onProcessExit);
    live.add(session);
  } else if (live.delete(session) && live.size === 0) {
    process.off('exit', onProcessExit);
  }
}

/** A short private directory: control socket paths must fit a sockaddr_un (about 104 bytes). */
function privateDir(): string {
  const base = tmpdir().length <= 60 ? tmpdir() : '/tmp';
  return mkdtempSync(join(base, 'berth-ssh-')); // mkdtemp creates it 0700
}

function exited(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_GRACE_MS);
    child.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => { signal.removeEventListener('abort', onAbort); resolve(value); },
      (err: unknown) => { signal.removeEventListener('abort', onAbort); reject(err); },
    );
  });
}

/** What a session tells about its shared connections (for diagnostics and tests). */
export interface SshSessionEvents {
  /** A master is up: authenticated, listening on its control socket. */
  'master-up': [pid: number];
  /** A master that was up is gone (exited, killed, stopped, or its connection dropped). */
  'master-gone': [pid: number];
}

/** The ssh transport of one client; see the module comment. {@link dial} opens a connection, {@link close} ends everything. */
export class SshSession extends EventEmitter<SshSessionEvents> {
  private readonly common: SshCommon;
  private readonly binary: string;
  private readonly errorContext: SshErrorContext;
  private readonly connectTimeoutMs: number;
  /** Channels per master: the maxSessions option, lowered to what the server turned out to allow. */
  private sessionLimit: number;
  private readonly idleMs: number;
  private dir: string | undefined;
  private generation = 0;
  private readonly masters: SshMaster[] = [];
  /** Masters taken out of use and being stopped. */
  private readonly retired = new Set<SshMaster>();
  private readonly children = new Set<ChildProcessWithoutNullStreams>();
  private readonly channels = new Set<SshChannel<SshMaster>>();
  private idleTimer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;

  /** Validates the target and options; nothing runs until the first {@link dial}. */
  constructor(target: SshTarget, options: SshOptions = {}, settings: SshSessionSettings) {
    super();
    checkSshTarget(target, options);
    this.common = { target, options };
    this.binary = options.binary ?? 'ssh';
    const port = target.port !== undefined ? `:${target.port}` : '';
    const host = target.host.includes(':') ? `[${target.host}]` : target.host;
    this.errorContext = {
      endpoint: settings.endpoint,
      destination: `${target.user !== undefined ? `${target.user}@` : ''}${host}${port}`,
      checkCommand: checkCommand(this.common),
      socketPath: target.socketPath,
    };
    this.connectTimeoutMs = settings.connectTimeout ?? 30_000;
    this.sessionLimit = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
    this.idleMs = (options.idleTimeout ?? DEFAULT_IDLE_SECONDS) * 1000;
  }

  /** The private directory of control sockets and logs, once the first master started. */
  get directory(): string | undefined {
    return this.dir;
  }

  /** The pids of the masters that are up. */
  get masterPids(): number[] {
    return this.masters.filter((m) => m.up).map((m) => m.pid).filter((p): p is number => p !== undefined);
  }

  /** Channels open now. */
  get openChannels(): number {
    return this.channels.size;
  }

  /**
   * A new connection to the engine: a dial-stdio channel over a shared ssh
   * connection (started, or restarted, when needed). Rejects with ssh's
   * own reason when the connection cannot be made.
   */
  async dial(signal?: AbortSignal): Promise<SshChannel<SshMaster>> {
    const leg = await this.openLeg(signal);
    const channel = new SshChannel(leg, {
      reopen: (failure, failed) => this.reopen(failure, failed),
      error: (failure, exit, stderr) => sshConnectionError(failure, this.errorContext, exit, stderr),
    });
    this.channels.add(channel);
    channel.once('close', () => this.channels.delete(channel));
    return channel;
  }

  private closedError(): DockerConnectionError {
    return new DockerConnectionError('the client is closed', { endpoint: this.errorContext.endpoint });
  }

  private async openLeg(signal: AbortSignal | undefined): Promise<Leg<SshMaster>> {
    if (this.closing !== undefined) throw this.closedError();
    this.cancelIdle();
    const master = this.reserve();
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      master.channels--;
      this.scheduleIdle();
    };
    try {
      await raceAbort(master.ready, signal);
      if (this.closing !== undefined) throw this.closedError();
      const child = spawn(this.binary, channelArgs(this.common, master.controlPath), { stdio: ['pipe', 'pipe', 'pipe'] });
      this.children.add(child);
      child.once('close', () => {
        this.children.delete(child);
        release();
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', (err) => {
          this.children.delete(child); // it never ran
          reject(sshSpawnError(this.binary, err, this.errorContext.endpoint));
        });
      });
      return { child, master };
    } catch (err) {
      release();
      throw err;
    }
  }

  /** A channel found its master gone, or its session refused, before its command ran: put it on another. */
  private reopen(failure: SshFailure, failed: Leg<SshMaster>): Promise<Leg<SshMaster>> {
    const master = failed.master;
    if (failure.kind === 'session-refused') {
      // Every master goes to the same server: its limit is at most what that master carries now
      // (this channel's child has exited). Channels still opening count too, so the first guess may be
      // high; each further refusal brings it down.
      this.sessionLimit = Math.max(1, Math.min(this.sessionLimit, master.channels));
    } else if (failure.kind === 'master-gone') {
      this.retire(master);
    }
    return this.openLeg(undefined);
  }

  /** A master with room (the oldest first, so one fills before another opens), or a new one; counts the channel on it. */
  private reserve(): SshMaster {
    let master = this.masters.find((m) => m.accepting && m.channels < this.sessionLimit);
    if (master === undefined) {
      this.dir ??= privateDir();
      track(this, true);
      const n = ++this.generation;
      const created = new SshMaster(join(this.dir, `m${n}`), join(this.dir, `m${n}.log`), {
        common: this.common, binary: this.binary, errorContext: this.errorContext, connectTimeoutMs: this.connectTimeoutMs,
      });
      this.masters.push(created);
      created.ready.then(() => {
        const pid = created.pid ?? 0;
        this.emit('master-up', pid);
        created.onGone(() => this.masterGone(created, pid));
      }, () => this.forget(created));
      master = created;
    }
    master.channels++;
    return master;
  }

  private masterGone(master: SshMaster, pid: number): void {
    this.forget(master); // a retired one stays in `retired` until stop() has seen its process go
    const error = (): DockerConnectionError => sshConnectionError(
      { kind: 'master-gone', line: master.lastWords() ?? 'the ssh master process exited', retryable: false },
      this.errorContext, { code: null, signal: null }, '',
    );
    for (const channel of this.channels) {
      if (channel.master === master) channel.masterGone(error);
    }
    this.emit('master-gone', pid);
  }

  private forget(master: SshMaster): void {
    const at = this.masters.indexOf(master);
    if (at >= 0) this.masters.splice(at, 1);
  }

  /** Stops using a master and stops it (its open channels end with it). */
  private retire(master: SshMaster): void {
    this.forget(master);
    this.retired.add(master);
    void master.stop().then(() => this.retired.delete(master));
  }

  private cancelIdle(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private scheduleIdle(): void {
    if (this.idleMs <= 0 || this.closing !== undefined || this.idleTimer !== undefined) return;
    if (this.masters.some((m) => m.channels > 0) || !this.masters.some((m) => m.up)) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      for (const m of this.masters.filter((x) => x.up && x.channels === 0)) this.retire(m);
    }, this.idleMs);
    this.idleTimer.unref();
  }

  /**
   * Ends every channel, stops every master (`-O exit` over the control
   * connection, SIGKILL when that is not enough) and removes the private
   * directory. Resolves when no ssh process of this session is left.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.cancelIdle();
    for (const channel of this.channels) channel.destroy();
    const children = [...this.children];
    for (const child of children) killChild(child);
    await Promise.all(children.map(exited));
    const masters = [...this.masters.splice(0), ...this.retired];
    await Promise.all(masters.map((m) => m.stop()));
    track(this, false);
    if (this.dir !== undefined) await rm(this.dir, { recursive: true, force: true });
  }

  /** For process exit: signals every ssh process of the session and removes the directory, synchronously. */
  killSync(): void {
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    }
    for (const master of [...this.masters, ...this.retired]) master.killSync();
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
  }
}
