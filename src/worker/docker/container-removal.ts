import { ConflictError, NotFoundError, type ContainerWaiter, type Docker } from '../../engine/index.js';
import { delay, type Clock } from '../clock.js';
import { timed, type StepReporter } from './steps.js';

/**
 * Taking a worker's container down: stop (its stop signal, then SIGKILL
 * after the stop timeout), wait for the exit that the waiter registered
 * before the start reports, remove it with its anonymous volumes, then
 * remove the image built for the worker. Every answer that means "already
 * done" is success: 304 and 404 from stop, 404 and "removal already in
 * progress" from remove (`AutoRemove`, or someone else removing it).
 */

/** What the worker keeps about a container it made, until the container is gone. */
export interface ContainerRecord {
  readonly id: string;
  readonly name: string;
  /** The client of the engine the container is on. */
  readonly docker: Docker;
  /** The exit waiter registered before the start, if the start got that far. */
  waiter: ContainerWaiter | undefined;
  /** The image built for this worker, removed after the container (no `image` configured). */
  readonly builtImage: string | undefined;
  /** Seconds between the stop signal and SIGKILL (the engine's default, 10, when unset). */
  readonly stopTimeout: number | undefined;
}

/** The engine's default stop timeout, in seconds. */
export const ENGINE_STOP_TIMEOUT = 10;
/** How much longer than the stop timeout the exit is awaited, in milliseconds. */
export const WAIT_MARGIN_MS = 30_000;
/** Delays between the attempts of one removal, in milliseconds: three attempts in all. */
export const REMOVAL_RETRY_DELAYS_MS: readonly number[] = [1000, 2000];

const REMOVAL_IN_PROGRESS = /removal of container .* is already in progress|is already being removed/i;

/** True when `err` means the container is gone or going: 404, or a removal already in progress. */
export function isGone(err: unknown): boolean {
  return err instanceof NotFoundError || (err instanceof ConflictError && REMOVAL_IN_PROGRESS.test(err.engineMessage));
}

/** Options of {@link removeContainer}. */
export interface RemovalOptions {
  readonly clock: Clock;
  readonly report: StepReporter;
  /** Skip the graceful stop: kill and remove at once. */
  readonly fast: boolean;
  /** Delays between attempts (default {@link REMOVAL_RETRY_DELAYS_MS}); `[]`: one attempt. */
  readonly retryDelaysMs?: readonly number[];
  /** Gives up waiting between attempts (the worker is shutting down). */
  readonly signal?: AbortSignal;
}

/**
 * Stops and removes the container of `record`, retrying a failed attempt
 * after each delay of `retryDelaysMs` on the clock. Resolves once the
 * container is gone; rejects with the last attempt's error otherwise (the
 * caller keeps the record). The built image is removed after the container;
 * a failure there (a conflict: another container uses it) is reported as a
 * step, never thrown: the reaper removes unused built images.
 */
export async function removeContainer(record: ContainerRecord, options: RemovalOptions): Promise<void> {
  const delays = options.retryDelaysMs ?? REMOVAL_RETRY_DELAYS_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      await removeOnce(record, options, options.fast || attempt > 0);
      break;
    } catch (err) {
      const wait = delays[attempt];
      if (wait === undefined || !await delay(options.clock, wait, options.signal)) throw err;
    }
  }
  if (record.builtImage !== undefined) await removeBuiltImage(record.docker, record.builtImage, options);
}

async function removeOnce(record: ContainerRecord, options: RemovalOptions, fast: boolean): Promise<void> {
  const { docker, id } = record;
  const { clock, report } = options;
  let gone = false;
  if (!fast) {
    gone = await timed(clock, report, 'stop', async () => {
      try {
        await docker.containers.stop(id);
        return false;
      } catch (err) {
        if (err instanceof NotFoundError) return true;
        throw err;
      }
    }, (g) => (g ? { gone: true } : undefined));
    const waiter = record.waiter;
    if (!gone && waiter !== undefined) {
      const boundMs = (record.stopTimeout ?? ENGINE_STOP_TIMEOUT) * 1000 + WAIT_MARGIN_MS;
      await timed(clock, report, 'wait', () => awaitExit(waiter, clock, boundMs), (exit) => exit);
    }
  }
  record.waiter?.cancel('the container is being removed');
  record.waiter = undefined;
  if (gone) return;
  await timed(clock, report, 'remove', async () => {
    try {
      await docker.containers.remove(id, { force: true, volumes: true });
      return false;
    } catch (err) {
      if (isGone(err)) return true;
      throw err;
    }
  }, (already) => (already ? { gone: true } : undefined));
}

/** The exit code once the waiter answers; `timedOut` after `boundMs`; `waitFailed` when the wait broke (the removal forces it). */
async function awaitExit(waiter: ContainerWaiter, clock: Clock, boundMs: number): Promise<{ exitCode: number } | { timedOut: true } | { waitFailed: true }> {
  const timer = new AbortController();
  try {
    const exit = waiter.result.then((r) => ({ exitCode: r.StatusCode }), () => ({ waitFailed: true as const }));
    const bound = delay(clock, boundMs, timer.signal).then(() => ({ timedOut: true as const }));
    return await Promise.race([exit, bound]);
  } finally {
    timer.abort();
  }
}

async function removeBuiltImage(docker: Docker, image: string, options: RemovalOptions): Promise<void> {
  await timed(options.clock, options.report, 'image-remove', async () => {
    try {
      await docker.images.remove(image);
      return { removed: true };
    } catch (err) {
      if (err instanceof NotFoundError) return { removed: false };
      if (err instanceof ConflictError) return { removed: false, conflict: true };
      return { removed: false, code: typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : 'ERR_UNKNOWN' };
    }
  }, (r) => r);
}
