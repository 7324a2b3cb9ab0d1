import { DockerAbortError, DockerConfigError, DockerError } from '../engine/index.js';

/**
 * Errors of the latent-worker layer. Substantiation failures come in three
 * kinds, which a host maps to build results as Buildbot does:
 *
 * | kind | class | Buildbot result |
 * |---|---|---|
 * | retry later | {@link LatentWorkerFailedToSubstantiate} and subclasses | RETRY: the request goes back to the queue |
 * | permanent | {@link LatentWorkerCannotSubstantiate} | EXCEPTION: retrying cannot help (image missing, wrong platform) |
 * | cancelled | {@link LatentWorkerCancelledError} (a `DockerAbortError`) | CANCELLED |
 *
 * {@link substantiationOutcome} does the mapping. Messages never contain
 * the worker password or other secrets.
 */

/** Base of the latent-worker errors that are not configuration errors or cancellations. */
export class LatentWorkerError extends DockerError {
  /** The worker the error is about. */
  readonly workerName: string;

  constructor(workerName: string, message: string, code = 'ERR_WORKER', options?: { cause?: unknown }) {
    super(message, code, options);
    this.workerName = workerName;
  }
}

/**
 * A start failed in a way that may pass: the instance declined, crashed,
 * never attached, the engine was unreachable… The build should be retried
 * (after the worker's quarantine). Codes: `ERR_WORKER_FAILED_TO_SUBSTANTIATE`
 * (an error from `startInstance`, kept as `cause`), `ERR_WORKER_DECLINED`
 * (`startInstance` returned false), `ERR_WORKER_INTERRUPTED` (insubstantiated
 * while starting); subclasses have their own.
 */
export class LatentWorkerFailedToSubstantiate extends LatentWorkerError {
  constructor(workerName: string, message: string, options: { cause?: unknown; code?: string } = {}) {
    super(workerName, message, options.code ?? 'ERR_WORKER_FAILED_TO_SUBSTANTIATE', { cause: options.cause });
  }
}

/** The worker did not attach within `missingTimeout`. Code `ERR_WORKER_MISSING_TIMEOUT`. */
export class LatentWorkerMissingTimeoutError extends LatentWorkerFailedToSubstantiate {
  /** The timeout that passed, in milliseconds. */
  readonly timeoutMs: number;

  constructor(workerName: string, timeoutMs: number) {
    super(workerName, `worker "${workerName}" did not attach within ${timeoutMs / 1000} s (missingTimeout); the instance is being stopped`,
      { code: 'ERR_WORKER_MISSING_TIMEOUT' });
    this.timeoutMs = timeoutMs;
  }
}

/** The crash check found the instance dead before its worker attached. Code `ERR_WORKER_CRASHED`. */
export class LatentWorkerCrashedError extends LatentWorkerFailedToSubstantiate {
  /** What the check said (for containers: the state and the last log lines). */
  readonly reason: string;

  constructor(workerName: string, reason: string, options: { cause?: unknown } = {}) {
    super(workerName, `worker "${workerName}" crashed before attaching: ${reason}`, { code: 'ERR_WORKER_CRASHED', cause: options.cause });
    this.reason = reason;
  }
}

/** A start was refused because the worker is in quarantine after failed starts. Code `ERR_WORKER_QUARANTINED`. */
export class LatentWorkerQuarantinedError extends LatentWorkerFailedToSubstantiate {
  /** When the quarantine ends (clock time, milliseconds). */
  readonly until: number;
  /** How long is left, in milliseconds. */
  readonly remainingMs: number;

  constructor(workerName: string, until: number, now: number) {
    const remainingMs = Math.max(0, until - now);
    super(workerName, `worker "${workerName}" is in quarantine after a failed start for ${Math.ceil(remainingMs / 1000)} s more`,
      { code: 'ERR_WORKER_QUARANTINED' });
    this.until = until;
    this.remainingMs = remainingMs;
  }
}

/** The worker is shutting down or shut down. Code `ERR_WORKER_SHUT_DOWN`. */
export class LatentWorkerShutDownError extends LatentWorkerFailedToSubstantiate {
  constructor(workerName: string) {
    super(workerName, `worker "${workerName}" is shut down`, { code: 'ERR_WORKER_SHUT_DOWN' });
  }
}

/**
 * The build cannot use the instance that runs or is starting: its rendered
 * options differ. Retry once the worker has stopped. Code `ERR_WORKER_INCOMPATIBLE_BUILD`.
 */
export class LatentWorkerIncompatibleBuildError extends LatentWorkerFailedToSubstantiate {
  constructor(workerName: string) {
    super(workerName, `worker "${workerName}" runs an instance made for an incompatible build; retry after it stops`,
      { code: 'ERR_WORKER_INCOMPATIBLE_BUILD' });
  }
}

/**
 * A start failed and retrying cannot help: the image does not exist, the
 * platform is wrong, a configuration error. Code `ERR_WORKER_CANNOT_SUBSTANTIATE`.
 */
export class LatentWorkerCannotSubstantiate extends LatentWorkerError {
  constructor(workerName: string, message: string, options: { cause?: unknown } = {}) {
    super(workerName, message, 'ERR_WORKER_CANNOT_SUBSTANTIATE', options);
  }
}

/**
 * The image could not be built from `dockerfile`: a step failed, the
 * Dockerfile is wrong, the context cannot be read. Permanent, like a missing
 * image (Buildbot only logged the failure and then reported the image as not
 * found). Code `ERR_WORKER_IMAGE_BUILD`.
 */
export class LatentWorkerImageBuildError extends LatentWorkerCannotSubstantiate {
  override readonly code = 'ERR_WORKER_IMAGE_BUILD';
  /** The image that was being built. */
  readonly image: string;
  /** The failed `RUN`'s exit code, when the engine said. */
  readonly exitCode: number | undefined;
  /** The last lines of the build's output, redacted. */
  readonly log: readonly string[];

  constructor(workerName: string, image: string, why: string, details: { exitCode?: number | undefined; log?: readonly string[]; cause?: unknown } = {}) {
    const log = details.log ?? [];
    const code = details.exitCode !== undefined ? ` (exit code ${details.exitCode})` : '';
    const tail = log.length > 0 ? `; last output:\n${log.join('\n')}` : '';
    super(workerName, `worker "${workerName}": building image "${image}" failed: ${why}${code}${tail}`, { cause: details.cause });
    this.image = image;
    this.exitCode = details.exitCode;
    this.log = log;
  }
}

/**
 * Every caller waiting for a start cancelled it through its signal. A
 * {@link DockerAbortError}: `reason` is the signal's reason. Code `ERR_WORKER_CANCELLED`.
 */
export class LatentWorkerCancelledError extends DockerAbortError {
  override readonly code = 'ERR_WORKER_CANCELLED';
  /** The worker whose substantiation was cancelled. */
  readonly workerName: string;

  constructor(workerName: string, reason: unknown) {
    super(reason);
    this.workerName = workerName;
    const text = reason instanceof Error ? reason.message : reason === undefined ? 'aborted' : String(reason);
    this.message = `substantiation of worker "${workerName}" cancelled: ${text}`;
  }
}

/**
 * The worker was used against its state: an illegal transition
 * (`ERR_WORKER_ILLEGAL_TRANSITION`, a bug), `buildStarted()` when not
 * substantiated or past `maxBuilds` (`ERR_WORKER_STATE`).
 */
export class LatentWorkerStateError extends LatentWorkerError {
  constructor(workerName: string, message: string, code = 'ERR_WORKER_STATE') {
    super(workerName, message, code);
  }
}

/**
 * `attached()` was refused: the worker is not starting an instance (and
 * `buildWaitTimeout >= 0`, or the instance is not running). The host should
 * drop the connection. Code `ERR_WORKER_ATTACH_REFUSED`.
 */
export class LatentWorkerAttachRefusedError extends LatentWorkerError {
  constructor(workerName: string, why: string) {
    super(workerName, `worker "${workerName}" refused a connection: ${why}`, 'ERR_WORKER_ATTACH_REFUSED');
  }
}

/** What a host should do with a build whose substantiation failed with `err`. */
export type SubstantiationOutcome = 'retry' | 'exception' | 'cancelled';

/**
 * Maps a substantiation error to Buildbot's build results: cancellations to
 * `cancelled`, {@link LatentWorkerCannotSubstantiate} to `exception` (do
 * not retry), anything else to `retry`.
 */
export function substantiationOutcome(err: unknown): SubstantiationOutcome {
  if (err instanceof DockerAbortError) return 'cancelled';
  if (err instanceof LatentWorkerCannotSubstantiate) return 'exception';
  return 'retry';
}

/**
 * An engine pool could not give a start an engine: none carries the
 * required labels, every one that does is down or failed this start
 * already, or the pool is closed. Retryable (the worker's quarantine and
 * the master's retry apply): engines come back. Code `ERR_ENGINE_POOL`.
 */
export class EnginePoolError extends DockerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'ERR_ENGINE_POOL', options);
  }
}

/** One problem found in worker options: which option, and what is wrong. */
export interface ConfigProblem {
  /** The option's path, e.g. `volumes[2]` or `hostconfig.NetworkMode`. */
  readonly option: string;
  readonly message: string;
}

/** Worker options are invalid; `problems` lists every one found. Code `ERR_WORKER_CONFIG`. */
export class WorkerConfigError extends DockerConfigError {
  override readonly code = 'ERR_WORKER_CONFIG';
  readonly workerName: string;
  readonly problems: readonly ConfigProblem[];

  constructor(workerName: string, problems: readonly ConfigProblem[]) {
    const list = problems.map((p) => `${p.option}: ${p.message}`).join('; ');
    super(`invalid options for worker "${workerName}": ${list}`);
    this.workerName = workerName;
    this.problems = problems;
  }
}

/** A `docker -v` volume specification is malformed. `spec` is the string at fault. Code `ERR_WORKER_VOLUME_SPEC`. */
export class VolumeSpecError extends DockerConfigError {
  override readonly code = 'ERR_WORKER_VOLUME_SPEC';
  readonly spec: string;

  constructor(spec: string, why: string) {
    super(`invalid volume "${spec}": ${why}`);
    this.spec = spec;
  }
}

/** `masterFQDN` or `masterPort` cannot be used. Code `ERR_WORKER_MASTER_ADDRESS`. */
export class MasterAddressError extends DockerConfigError {
  override readonly code = 'ERR_WORKER_MASTER_ADDRESS';
  readonly value: string;

  constructor(value: string, why: string) {
    super(`invalid masterFQDN "${value}": ${why}`);
    this.value = value;
  }
}

/** A renderable option failed to render for a build. `path` names the value, e.g. `volumes[1]`. Code `ERR_WORKER_RENDER`. */
export class RenderError extends DockerConfigError {
  override readonly code = 'ERR_WORKER_RENDER';
  readonly path: string;

  constructor(path: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`rendering ${path || 'the value'} failed: ${why}`, { cause });
    this.path = path;
  }
}

/**
 * The error a failed `startInstance` becomes: the worker's own errors and
 * aborts as they are, a configuration error as permanent
 * ({@link LatentWorkerCannotSubstantiate}), anything else as retryable
 * ({@link LatentWorkerFailedToSubstantiate}); the original is the `cause`.
 */
export function startFailure(workerName: string, err: unknown): Error {
  if (err instanceof LatentWorkerError || err instanceof DockerAbortError) return err;
  if (err instanceof DockerConfigError) {
    return new LatentWorkerCannotSubstantiate(workerName, `worker "${workerName}" cannot start: ${err.message}`, { cause: err });
  }
  return new LatentWorkerFailedToSubstantiate(workerName, `worker "${workerName}" failed to start: ${asError(err).message}`, { cause: err });
}

/** Turns anything thrown into an Error (a non-Error is wrapped, never dropped). */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(typeof value === 'string' ? value : `non-error thrown: ${String(value)}`);
}
