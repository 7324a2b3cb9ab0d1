import { Buffer } from 'node:buffer';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { Socket } from 'node:net';
import { Duplex, finished } from 'node:stream';
import type { DockerConnectionError } from '../errors.js';
import { classifySshFailure, type SshExit, type SshFailure } from './diagnose.js';

/**
 * One connection to the remote engine: the stdio of an
 * `ssh -S ctl … docker system dial-stdio` child, as a Duplex that undici's
 * pools and the attach/exec hijack use like a socket.
 *
 * - Half-close: `end()` closes the child's stdin; ssh sends EOF on the
 *   channel, dial-stdio half-closes its connection to the engine, and
 *   output keeps coming until the engine closes.
 * - Failure before the first byte: ssh's exit status and stderr decide.
 *   When the remote command certainly never ran (the server refused the
 *   session, or the shared connection was gone) the bytes written so far
 *   (up to 1 MiB) are sent again over a new channel; otherwise the channel
 *   fails with a {@link DockerConnectionError} carrying ssh's own line.
 * - `ref()`/`unref()` act on the child, so an idle keep-alive connection
 *   does not hold the process open, as with a socket.
 */

/** A running child and what it goes through (the session's master). */
export interface Leg<M> {
  readonly child: ChildProcessWithoutNullStreams;
  readonly master: M;
}

/** What the channel asks of its session. */
export interface ChannelHooks<M> {
  /** A new leg after a retryable failure of `failed` (which has exited). */
  reopen(failure: SshFailure, failed: Leg<M>): Promise<Leg<M>>;
  /** The error for a failure that ends the channel. */
  error(failure: SshFailure, exit: SshExit, stderr: string): DockerConnectionError;
}

/** Bytes kept for a resend until the first byte arrives. */
export const REPLAY_LIMIT = 1 << 20;
/**
 * Children one channel tries before it gives up: a refused session is
 * cheap to retry (no new connection) and may take a few rounds while the
 * session learns the server's limit; a lost master costs a new connection.
 */
function maxLegs(failure: SshFailure): number {
  return failure.kind === 'session-refused' ? 8 : 3;
}
const STDERR_LIMIT = 16 * 1024;

function refLeg(leg: Leg<unknown>, on: boolean): void {
  const { child } = leg;
  if (on) child.ref();
  else child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) {
    if (stream instanceof Socket) {
      if (on) stream.ref();
      else stream.unref();
    }
  }
}

/** Ends a child for good: its pipes closed, SIGTERM when it still runs. */
export function killChild(child: ChildProcessWithoutNullStreams): void {
  child.stdin.destroy();
  child.stdout.destroy();
  child.stderr.destroy();
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
}

/** One engine connection over ssh; see the module comment. `M` is what the child goes through (the session's master). */
export class SshChannel<M> extends Duplex {
  private leg: Leg<M> | undefined;
  private legs = 0;
  private readonly hooks: ChannelHooks<M>;
  /** Bytes received from the engine over every leg. */
  private received = 0;
  /** What was written, while nothing was received and it fits {@link REPLAY_LIMIT}; null after. */
  private replay: Buffer[] | null = [];
  private replayBytes = 0;
  private inputEnded = false;
  /** Write and final callbacks waiting for the next leg. */
  private parked: Array<() => void> = [];
  private stderr = '';
  private referenced = true;

  constructor(leg: Leg<M>, hooks: ChannelHooks<M>) {
    super({ allowHalfOpen: true });
    this.hooks = hooks;
    this.attach(leg);
  }

  /** The pid of the current ssh child, if one runs. */
  get pid(): number | undefined {
    return this.leg?.child.pid;
  }

  /** What the current child goes through (its master), if one runs. */
  get master(): M | undefined {
    return this.leg?.master;
  }

  /**
   * The master of the current child is gone. A channel that has talked to
   * the engine cannot go on (an idle keep-alive one must leave its pool at
   * once, before a request is written to it): it fails with `error()`. One
   * that has not is left to its child's exit, which retries it.
   */
  masterGone(error: () => Error): void {
    if (this.received > 0 && !this.destroyed) this.destroy(error());
  }

  /** Lets the process exit while this channel is idle (as `Socket.unref()`). */
  unref(): this {
    this.referenced = false;
    if (this.leg !== undefined) refLeg(this.leg, false);
    return this;
  }

  /** Undoes {@link unref}. */
  ref(): this {
    this.referenced = true;
    if (this.leg !== undefined) refLeg(this.leg, true);
    return this;
  }

  private attach(leg: Leg<M>): void {
    this.leg = leg;
    this.legs++;
    this.stderr = '';
    const { child } = leg;
    if (!this.referenced) refLeg(leg, false);
    child.stdout.on('data', (chunk: Buffer) => {
      if (this.leg !== leg) return;
      if (this.received === 0) {
        this.replay = null;
        this.replayBytes = 0;
      }
      this.received += chunk.length;
      if (!this.push(chunk)) child.stdout.pause();
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (this.leg === leg) this.stderr = (this.stderr + d).slice(-STDERR_LIMIT);
    });
    // a broken pipe is reported by the exit that follows; make sure it follows
    child.stdin.on('error', () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    });
    child.stdout.on('error', () => undefined);
    child.stderr.on('error', () => undefined);
    child.once('close', (code, signal) => this.legClosed(leg, { code, signal }));
  }

  private legClosed(leg: Leg<M>, exit: SshExit): void {
    if (this.leg !== leg || this.destroyed) return;
    const stderr = this.stderr;
    if (this.received > 0 || (exit.code === 0 && exit.signal === null)) {
      // the remote command ran; 255 or a signal means ssh itself failed under it
      if (exit.code === 255 || exit.signal !== null) {
        const said = classifySshFailure(stderr, 'channel');
        this.destroy(this.hooks.error({ kind: 'master-gone', line: said.line || 'the connection ended in the middle of the stream', retryable: false }, exit, stderr));
      } else {
        this.push(null);
      }
      return;
    }
    const failure = classifySshFailure(stderr, 'channel');
    if (failure.retryable && this.replay !== null && this.legs < maxLegs(failure)) {
      this.leg = undefined;
      this.hooks.reopen(failure, leg).then((next) => this.continueOn(next), (err: unknown) => this.destroy(err as Error));
      return;
    }
    this.destroy(this.hooks.error(failure, exit, stderr));
  }

  /** Continues on a new leg: everything written so far, then whatever waited. */
  private continueOn(next: Leg<M>): void {
    if (this.destroyed) {
      killChild(next.child);
      return;
    }
    this.attach(next);
    for (const chunk of this.replay ?? []) next.child.stdin.write(chunk);
    if (this.inputEnded) next.child.stdin.end();
    for (const fn of this.parked.splice(0)) fn();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const leg = this.leg;
    if (leg === undefined) {
      // between legs: the replay holds everything written (the retry required it), so keep this chunk there too
      this.replay?.push(chunk);
      this.parked.push(() => callback());
      return;
    }
    if (this.replay !== null) {
      this.replayBytes += chunk.length;
      if (this.replayBytes > REPLAY_LIMIT) this.replay = null;
      else this.replay.push(chunk);
    }
    // a failed write is reported by the child's exit, not here: the bytes may yet go out on a new leg
    leg.child.stdin.write(chunk, () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.inputEnded = true;
    const leg = this.leg;
    if (leg === undefined) {
      this.parked.push(() => callback());
      return;
    }
    leg.child.stdin.end();
    finished(leg.child.stdin, () => callback());
  }

  override _read(): void {
    this.leg?.child.stdout.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const leg = this.leg;
    this.leg = undefined;
    if (leg !== undefined) killChild(leg.child);
    this.replay = null;
    this.parked = [];
    callback(error);
  }
}
