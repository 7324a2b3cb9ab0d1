import type { Clock } from '../clock.js';
import { TimerSlot } from '../timer-slot.js';
import type { ContainerRecord } from './container-removal.js';

/**
 * Containers a worker could not remove (the engine was down, a stop kept
 * failing), kept until they are gone. Buildbot forgot the container before
 * stopping it, so any stop error leaked it (PR #5308); here the record is
 * dropped only when a removal succeeded. Each pending container is retried
 * on the worker's clock with a doubling delay, and all of them at once by
 * {@link CleanupQueue.retryNow} (at shutdown).
 */

/** The first retry's delay, in milliseconds. */
export const CLEANUP_FIRST_DELAY_MS = 5000;
/** The longest delay between retries, in milliseconds. */
export const CLEANUP_MAX_DELAY_MS = 300_000;

interface Pending {
  readonly record: ContainerRecord;
  readonly timer: TimerSlot;
  nextDelayMs: number;
  attempts: number;
  running: Promise<boolean> | undefined;
}

/** What the queue tells its owner about each retry. */
export interface CleanupOutcome {
  readonly record: ContainerRecord;
  readonly removed: boolean;
  /** Retries so far, this one included. */
  readonly attempts: number;
  readonly error?: unknown;
}

/** Pending container removals with backoff. */
export class CleanupQueue {
  private readonly clock: Clock;
  private readonly remove: (record: ContainerRecord) => Promise<void>;
  private readonly onOutcome: (outcome: CleanupOutcome) => void;
  private readonly pending = new Map<string, Pending>();
  private disposed = false;

  /**
   * @param remove takes one container down (rejects when it is still there)
   * @param onOutcome told of every retry's result
   */
  constructor(clock: Clock, remove: (record: ContainerRecord) => Promise<void>, onOutcome: (outcome: CleanupOutcome) => void) {
    this.clock = clock;
    this.remove = remove;
    this.onOutcome = onOutcome;
  }

  /** The containers still waiting to be removed. */
  get records(): readonly ContainerRecord[] {
    return [...this.pending.values()].map((p) => p.record);
  }

  /** Keeps `record` and schedules its first retry. */
  add(record: ContainerRecord): void {
    if (this.disposed || this.pending.has(record.id)) return;
    const entry: Pending = { record, timer: new TimerSlot(this.clock), nextDelayMs: CLEANUP_FIRST_DELAY_MS, attempts: 0, running: undefined };
    this.pending.set(record.id, entry);
    this.schedule(entry);
  }

  /** Forgets a container (removed by other means, e.g. the stale-container sweep saw it gone). */
  forget(id: string): void {
    const entry = this.pending.get(id);
    entry?.timer.cancel();
    this.pending.delete(id);
  }

  /** Retries every pending container now; resolves with how many are still pending. */
  async retryNow(): Promise<number> {
    await Promise.all([...this.pending.values()].map((p) => this.attempt(p)));
    return this.pending.size;
  }

  /** Cancels the retry timers; the records stay readable. */
  dispose(): void {
    this.disposed = true;
    for (const p of this.pending.values()) p.timer.cancel();
  }

  private schedule(entry: Pending): void {
    if (this.disposed) return;
    entry.timer.arm(entry.nextDelayMs, () => void this.attempt(entry));
    entry.nextDelayMs = Math.min(entry.nextDelayMs * 2, CLEANUP_MAX_DELAY_MS);
  }

  private attempt(entry: Pending): Promise<boolean> {
    entry.running ??= this.run(entry).finally(() => { entry.running = undefined; });
    return entry.running;
  }

  private async run(entry: Pending): Promise<boolean> {
    entry.timer.cancel();
    entry.attempts++;
    try {
      await this.remove(entry.record);
    } catch (error) {
      this.onOutcome({ record: entry.record, removed: false, attempts: entry.attempts, error });
      if (this.pending.get(entry.record.id) === entry) this.schedule(entry);
      return false;
    }
    this.pending.delete(entry.record.id);
    this.onOutcome({ record: entry.record, removed: true, attempts: entry.attempts });
    return true;
  }
}
