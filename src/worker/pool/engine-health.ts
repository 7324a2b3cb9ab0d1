import { delay, type Clock } from '../clock.js';
import { asError } from '../errors.js';
import { TimerSlot } from '../timer-slot.js';
import type { Docker } from '../../engine/index.js';

/**
 * The health of one engine of a pool: a `HEAD /_ping` every interval, on
 * the pool's clock, one at a time (the next is armed once the previous
 * answered or timed out). A ping that fails or does not answer within the
 * timeout reports the engine down; the first that answers afterwards
 * reports it up. A start that could not reach the engine reports it down
 * too ({@link markDown}); the pings bring it back.
 */
export class EngineHealth {
  private readonly docker: Docker;
  private readonly clock: Clock;
  private readonly intervalMs: number | undefined;
  private readonly timeoutMs: number;
  private readonly onChange: (up: boolean, reason: string) => void;
  private readonly timer: TimerSlot;
  private isUp = true;
  private closed = false;
  private inFlight: Promise<void> | undefined;

  constructor(docker: Docker, clock: Clock, intervalMs: number | undefined, timeoutMs: number, onChange: (up: boolean, reason: string) => void) {
    this.docker = docker;
    this.clock = clock;
    this.intervalMs = intervalMs;
    this.timeoutMs = timeoutMs;
    this.onChange = onChange;
    this.timer = new TimerSlot(clock);
    this.arm();
  }

  /** True unless the last ping (or a start) found the engine unreachable. */
  get up(): boolean {
    return this.isUp;
  }

  /** Pings now (joining a ping in flight); resolves with the engine's health afterwards. */
  async check(): Promise<boolean> {
    this.inFlight ??= this.ping().finally(() => {
      this.inFlight = undefined;
      this.arm();
    });
    await this.inFlight;
    return this.isUp;
  }

  /** The engine could not be reached by a start: down until a ping answers. */
  markDown(reason: string): void {
    this.set(false, reason);
  }

  /** Stops the pings. */
  close(): void {
    this.closed = true;
    this.timer.cancel();
  }

  private arm(): void {
    if (this.closed || this.intervalMs === undefined) return;
    this.timer.arm(this.intervalMs, () => void this.check());
  }

  private async ping(): Promise<void> {
    this.timer.cancel();
    const abort = new AbortController();
    let timedOut = false;
    void delay(this.clock, this.timeoutMs, abort.signal).then((fired) => {
      if (!fired) return;
      timedOut = true;
      abort.abort(new Error(`no answer to a ping within ${this.timeoutMs} ms`));
    });
    try {
      const failure = await this.docker.ping({ signal: abort.signal }).then(() => undefined, (err: unknown) => asError(err));
      if (this.closed) return;
      if (timedOut) this.set(false, `no answer to a ping within ${this.timeoutMs} ms`);
      else if (failure !== undefined) this.set(false, failure.message);
      else this.set(true, 'answers pings');
    } finally {
      abort.abort();
    }
  }

  private set(up: boolean, reason: string): void {
    if (this.isUp === up) return;
    this.isUp = up;
    this.onChange(up, reason);
  }
}
