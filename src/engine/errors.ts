/**
 * Every error berth throws is a {@link DockerError}. Subclasses say what
 * kind of failure it was; fields say where (method, path, API version) and
 * what the engine said. Messages never contain credentials: request headers
 * and bodies are not copied into errors.
 */

/** Base class of every error thrown by berth. `code` is a stable string. */
export class DockerError extends Error {
  /** A stable, machine-readable error code such as `ERR_DOCKER_NOT_FOUND`. */
  readonly code: string;

  constructor(message: string, code = 'ERR_DOCKER', options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/** Where a request went: enough to reproduce it, never its headers or body. */
export interface RequestInfo {
  readonly method: string;
  readonly path: string;
  /** The API version in the path, or undefined for unversioned requests such as `/_ping`. */
  readonly apiVersion?: string | undefined;
}

/**
 * The engine answered with an error status. `message` is the engine's own
 * message (`{"message": …}` or the trimmed text of a non-JSON body).
 */
export class DockerApiError extends DockerError {
  readonly statusCode: number;
  readonly method: string;
  readonly path: string;
  readonly apiVersion: string | undefined;
  /** The engine's message, without berth's prefix. */
  readonly engineMessage: string;

  constructor(statusCode: number, engineMessage: string, request: RequestInfo, code = 'ERR_DOCKER_API') {
    const where = `${request.method} ${request.path}`;
    super(`${engineMessage || `engine answered ${statusCode} with no message`} (HTTP ${statusCode}, ${where})`, code);
    this.statusCode = statusCode;
    this.method = request.method;
    this.path = request.path;
    this.apiVersion = request.apiVersion;
    this.engineMessage = engineMessage;
  }
}

/** 400: the engine rejected a parameter or the body. */
export class BadRequestError extends DockerApiError {
  constructor(statusCode: number, engineMessage: string, request: RequestInfo) {
    super(statusCode, engineMessage, request, 'ERR_DOCKER_BAD_REQUEST');
  }
}

/** 401: the engine or a registry it talked to wants credentials. */
export class UnauthorizedError extends DockerApiError {
  constructor(statusCode: number, engineMessage: string, request: RequestInfo) {
    super(statusCode, engineMessage, request, 'ERR_DOCKER_UNAUTHORIZED');
  }
}

/** 403: the operation is not allowed (e.g. removing a pre-defined network). */
export class ForbiddenError extends DockerApiError {
  constructor(statusCode: number, engineMessage: string, request: RequestInfo) {
    super(statusCode, engineMessage, request, 'ERR_DOCKER_FORBIDDEN');
  }
}

/** 404: no such container, image, exec instance, network, volume, … */
export class NotFoundError extends DockerApiError {
  constructor(statusCode: number, engineMessage: string, request: RequestInfo) {
    super(statusCode, engineMessage, request, 'ERR_DOCKER_NOT_FOUND');
  }
}

/** 409: name in use, container not running, removal in progress, … */
export class ConflictError extends DockerApiError {
  constructor(statusCode: number, engineMessage: string, request: RequestInfo) {
    super(statusCode, engineMessage, request, 'ERR_DOCKER_CONFLICT');
  }
}

/** 5xx: the engine failed (500), does not implement it (501) or is unavailable (503). */
export class ServerError extends DockerApiError {
  constructor(statusCode: number, engineMessage: string, request: RequestInfo, code = 'ERR_DOCKER_SERVER') {
    super(statusCode, engineMessage, request, code);
  }
}

/**
 * 503: the engine is not in a state to do this. Swarm calls answer it on a
 * node that is not a swarm manager (`GET /swarm`, `/nodes`, `/services`, …),
 * and `POST /swarm/init` or `/swarm/join` on a node already in a swarm.
 */
export class UnavailableError extends ServerError {
  constructor(statusCode: number, engineMessage: string, request: RequestInfo) {
    super(statusCode, engineMessage, request, 'ERR_DOCKER_UNAVAILABLE');
  }
}

/**
 * podman's compat API answers some conflicts with 500 and names them in a
 * `cause` field; these are classed as conflicts (the status code stays 500).
 */
const PODMAN_CONFLICT_CAUSES: readonly RegExp[] = [
  /^that name is already in use$/,
  /^container state improper$/,
  /^container already exists$/,
  /^volume is being used$/,
  /^image is in use by a container$/,
  /please force removal$/,
  /^network already exists$/,
];

/**
 * podman causes that dockerd answers with 403: removing a network that
 * containers still use.
 */
const PODMAN_FORBIDDEN_CAUSES: readonly RegExp[] = [
  /^network is being used$/,
];

/**
 * Builds the subclass that matches an error status (and, for podman, its
 * `cause`: see {@link PODMAN_CONFLICT_CAUSES} and {@link PODMAN_FORBIDDEN_CAUSES}).
 */
export function apiErrorFor(statusCode: number, engineMessage: string, request: RequestInfo, cause?: string): DockerApiError {
  if (statusCode === 500 && cause !== undefined && PODMAN_CONFLICT_CAUSES.some((c) => c.test(cause))) {
    return new ConflictError(statusCode, engineMessage, request);
  }
  if (statusCode === 500 && cause !== undefined && PODMAN_FORBIDDEN_CAUSES.some((c) => c.test(cause))) {
    return new ForbiddenError(statusCode, engineMessage, request);
  }
  switch (statusCode) {
    case 400: return new BadRequestError(statusCode, engineMessage, request);
    case 401: return new UnauthorizedError(statusCode, engineMessage, request);
    case 403: return new ForbiddenError(statusCode, engineMessage, request);
    case 404: return new NotFoundError(statusCode, engineMessage, request);
    case 409: return new ConflictError(statusCode, engineMessage, request);
    case 503: return new UnavailableError(statusCode, engineMessage, request);
    default:
      return statusCode >= 500
        ? new ServerError(statusCode, engineMessage, request)
        : new DockerApiError(statusCode, engineMessage, request);
  }
}

/**
 * The engine could not be reached or the connection broke: socket missing,
 * permission denied, refused, reset, TLS failure, timeout. `hint` says what
 * to check; `endpoint` says what was tried.
 */
export class DockerConnectionError extends DockerError {
  readonly endpoint: string;
  readonly hint: string | undefined;
  /** The system error code (`ENOENT`, `ECONNREFUSED`, `ERR_SSL_…`) when there was one. */
  readonly syscallCode: string | undefined;
  readonly method: string | undefined;
  readonly path: string | undefined;

  constructor(message: string, details: {
    endpoint: string; hint?: string | undefined; syscallCode?: string | undefined;
    request?: RequestInfo | undefined; cause?: unknown;
  }) {
    const hint = details.hint ? ` (${details.hint})` : '';
    super(`${message}${hint}`, 'ERR_DOCKER_CONNECTION', { cause: details.cause });
    this.endpoint = details.endpoint;
    this.hint = details.hint;
    this.syscallCode = details.syscallCode;
    this.method = details.request?.method;
    this.path = details.request?.path;
  }
}

/** No response within the configured time (headers or an idle body). */
export class DockerTimeoutError extends DockerConnectionError {
  override readonly code = 'ERR_DOCKER_TIMEOUT';
}

/**
 * A 200 stream carried an error in-band (`errorDetail` / `error` in a JSON
 * progress stream, or a system-error frame in a multiplexed stream).
 * `errorCode` is the engine's code when it sent one: for a failed `RUN` in a
 * classic build it is the command's exit code. `transcript` holds the last
 * lines of the stream before the error.
 */
export class DockerStreamError extends DockerError {
  readonly errorCode: number | undefined;
  readonly transcript: readonly string[];
  readonly method: string | undefined;
  readonly path: string | undefined;
  /** The engine's message, without berth's context. */
  readonly engineMessage: string;

  constructor(engineMessage: string, details: {
    errorCode?: number | undefined; transcript?: readonly string[]; request?: RequestInfo | undefined;
  } = {}) {
    const where = details.request ? ` (${details.request.method} ${details.request.path})` : '';
    super(`${engineMessage}${where}`, 'ERR_DOCKER_STREAM');
    this.engineMessage = engineMessage;
    this.errorCode = details.errorCode;
    this.transcript = details.transcript ?? [];
    this.method = details.request?.method;
    this.path = details.request?.path;
  }
}

/** Bytes from the engine that do not follow the protocol (bad frame, bad JSON, bad status line). */
export class DockerProtocolError extends DockerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'ERR_DOCKER_PROTOCOL', options);
  }
}

/**
 * The caller's signal aborted the operation. `reason` is the signal's
 * reason, unchanged (also available as `cause`).
 */
export class DockerAbortError extends DockerError {
  readonly reason: unknown;

  constructor(reason: unknown) {
    const text = reason instanceof Error ? reason.message : reason === undefined ? 'aborted' : String(reason);
    super(`operation aborted: ${text}`, 'ERR_DOCKER_ABORTED', { cause: reason });
    this.reason = reason;
  }
}

/** The API version is outside what berth or the engine supports, or was pinned wrongly. */
export class DockerVersionError extends DockerError {
  constructor(message: string) {
    super(message, 'ERR_DOCKER_VERSION');
  }
}

/** Invalid configuration: a malformed `DOCKER_HOST`, an unreadable certificate, a bad option. */
export class DockerConfigError extends DockerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'ERR_DOCKER_CONFIG', options);
  }
}

/**
 * An argument was rejected before anything was sent (empty id, bad name, bad
 * pattern, a build-context file that cannot be read). `cause` holds the
 * underlying error when there was one.
 */
export class DockerArgumentError extends DockerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'ERR_DOCKER_ARGUMENT', options);
  }
}

/** True when `err` is a 404 from the engine. */
export function isNotFound(err: unknown): err is NotFoundError {
  return err instanceof NotFoundError;
}

/** True when `err` is a 409 from the engine. */
export function isConflict(err: unknown): err is ConflictError {
  return err instanceof ConflictError;
}

/** Turns whatever a signal carries into the error berth throws for it. */
export function abortError(signal: AbortSignal): DockerAbortError {
  return signal.reason instanceof DockerAbortError ? signal.reason : new DockerAbortError(signal.reason);
}
