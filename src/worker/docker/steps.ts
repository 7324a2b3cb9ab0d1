import type { Clock } from '../clock.js';

/**
 * The steps a Docker latent worker reports on its `event` channel (as
 * `step` events), each with its duration: what a start, a stop and the
 * reaper spend their time on.
 */
export type DockerWorkerStep =
  /** The renderable options rendered for the build. */
  | 'render'
  /** The engine client for the rendered connection, and its API version (negotiated once per connection). */
  | 'connect'
  /** Leftover containers of this worker on this master removed (found by label). */
  | 'stale-cleanup'
  /** Whether the engine has the image. */
  | 'image-check'
  /** The image built from `dockerfile`. */
  | 'build'
  /** The image pulled. */
  | 'pull'
  /** The container created. */
  | 'create'
  /** The container's output attached (before start, so nothing is missed). */
  | 'attach'
  /** The container started. */
  | 'start'
  /** From the start until the worker inside counted as ready (the readiness strategy). */
  | 'ready'
  /** The container stopped (its stop signal, then SIGKILL after the stop timeout). */
  | 'stop'
  /** The container's exit awaited. */
  | 'wait'
  /** The container removed, with its anonymous volumes. */
  | 'remove'
  /** The image built for this worker (no `image` configured) removed. */
  | 'image-remove'
  /** Orphans of this master removed (see `reapOrphans`). */
  | 'reap';

/** What a step event may carry besides its duration: never a secret. */
export type StepDetail = Readonly<Record<string, string | number | boolean>>;

/** Where steps are reported. */
export type StepReporter = (step: DockerWorkerStep, durationMs: number, detail?: StepDetail) => void;

/**
 * Runs `fn` as `step`: reports its duration when it ends, with `detail(result)`
 * on success, or `{ failed: true, code }` (the error's code, never its
 * message: messages may quote what the engine said) when it throws.
 */
export async function timed<T, S extends string = DockerWorkerStep>(clock: Clock,
  report: (step: S, durationMs: number, detail?: StepDetail) => void, step: S, fn: () => Promise<T>,
  detail?: (result: T) => StepDetail | undefined): Promise<T> {
  const startedAt = clock.now();
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    const code = typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : 'ERR_UNKNOWN';
    report(step, clock.now() - startedAt, { failed: true, code });
    throw err;
  }
  const extra = detail?.(result);
  if (extra === undefined) report(step, clock.now() - startedAt);
  else report(step, clock.now() - startedAt, extra);
  return result;
}
