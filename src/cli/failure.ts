import {
  DockerAbortError, DockerApiError, DockerArgumentError, DockerConfigError, DockerConnectionError, DockerError, DockerTimeoutError,
  DockerVersionError, MIN_API_VERSION, type Endpoint,
} from '../engine/index.js';

/**
 * What went wrong, as the command reports it: a kind with its exit code, one
 * line of message and an optional hint. Every error a command can meet is
 * mapped here, so exit codes mean the same thing for every command.
 */

/** The exit codes of `berth`; documented in `berth --help` and the README. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  unreachable: 3,
  apiVersion: 4,
  config: 5,
  permission: 6,
  tlsMismatch: 7,
  certificate: 8,
  interrupted: 130,
} as const;

export type FailureKind =
  | 'failed' | 'usage' | 'unreachable' | 'api-version' | 'config' | 'permission' | 'tls-mismatch' | 'certificate' | 'interrupted';

const EXIT_BY_KIND: Readonly<Record<FailureKind, number>> = {
  failed: EXIT.failed,
  usage: EXIT.usage,
  unreachable: EXIT.unreachable,
  'api-version': EXIT.apiVersion,
  config: EXIT.config,
  permission: EXIT.permission,
  'tls-mismatch': EXIT.tlsMismatch,
  certificate: EXIT.certificate,
  interrupted: EXIT.interrupted,
};

/** The exit-code table, as printed by `berth --help`. */
export const EXIT_TABLE: ReadonlyArray<readonly [number, string]> = [
  [EXIT.ok, 'success'],
  [EXIT.failed, 'the operation failed (an engine error, a replay that missed with --check, …)'],
  [EXIT.usage, 'usage error: unknown command or option, missing argument'],
  [EXIT.unreachable, 'engine unreachable: socket missing, connection refused, host unknown, timeout'],
  [EXIT.apiVersion, 'API version unsupported: engine too old, or a pinned version it refuses'],
  [EXIT.config, 'configuration error: malformed DOCKER_HOST, unknown context, unreadable certificate or fixture'],
  [EXIT.permission, 'permission denied on the engine socket'],
  [EXIT.tlsMismatch, 'TLS mismatch: plain HTTP to a TLS port, or TLS to a plain port'],
  [EXIT.certificate, 'TLS certificate refused by the engine, or the engine\'s certificate not trusted'],
  [EXIT.interrupted, 'interrupted (SIGINT) before the operation finished'],
];

/** A failure ready to print: one line, a hint, an exit code. */
export interface Failure {
  readonly kind: FailureKind;
  readonly exitCode: number;
  /** One line, without the hint. */
  readonly message: string;
  readonly hint: string | undefined;
  /** The error's stable code (`ERR_DOCKER_CONNECTION`, …) when it has one. */
  readonly code: string | undefined;
  /** The system or TLS error code (`ENOENT`, `ERR_SSL_…`) behind a connection failure. */
  readonly syscallCode: string | undefined;
}

/** A wrong command line: exit 2. */
export class UsageError extends Error {
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = 'UsageError';
    this.hint = hint;
  }
}

/** A failure a command detected itself, with the kind that sets its exit code. */
export class CliError extends Error {
  readonly kind: FailureKind;
  readonly hint: string | undefined;
  constructor(kind: FailureKind, message: string, options: { hint?: string | undefined; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.kind = kind;
    this.hint = options.hint;
  }
}

const TLS_MISMATCH = /WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|UNKNOWN_PROTOCOL|HTTP_REQUEST/;
const PLAIN_TO_TLS = /Client sent an HTTP request to an HTTPS server/i;
const CERTIFICATE = /CERT|ALERT_UNKNOWN_CA|ALERT_HANDSHAKE_FAILURE|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME|UNABLE_TO_GET_ISSUER|^ERR_SSL/;
const CLOSED = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/** The kind of a connection failure. `endpoint` tells whether TLS was in use. */
function connectionKind(err: DockerConnectionError, endpoint: Endpoint | undefined): FailureKind {
  if (err instanceof DockerTimeoutError) return 'unreachable';
  const code = err.syscallCode ?? '';
  if (code === 'EACCES' || code === 'EPERM') return 'permission';
  if (TLS_MISMATCH.test(code) || PLAIN_TO_TLS.test(err.message)) return 'tls-mismatch';
  if (CERTIFICATE.test(code)) return 'certificate';
  // With TLS 1.3 a refused client certificate shows up as the engine closing the connection right after the handshake.
  if (CLOSED.has(code) && endpoint?.tls !== undefined) return 'certificate';
  return 'unreachable';
}

/** The message without the ` (hint)` that DockerConnectionError appends. */
function withoutHint(message: string, hint: string | undefined): string {
  const suffix = hint === undefined ? '' : ` (${hint})`;
  return suffix !== '' && message.endsWith(suffix) ? message.slice(0, -suffix.length) : message;
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.trim();
}

/** Maps any error to a {@link Failure}. `endpoint` (when known) refines connection failures. */
export function describeFailure(err: unknown, endpoint?: Endpoint): Failure {
  const make = (kind: FailureKind, message: string, hint?: string, extra: { code?: string; syscallCode?: string | undefined } = {}): Failure => ({
    kind, exitCode: EXIT_BY_KIND[kind], message: firstLine(message), hint, code: extra.code, syscallCode: extra.syscallCode,
  });
  if (err instanceof UsageError) return make('usage', err.message, err.hint);
  if (err instanceof CliError) return make(err.kind, err.message, err.hint);
  if (err instanceof DockerAbortError) return make('interrupted', 'interrupted', undefined, { code: err.code });
  if (err instanceof DockerConnectionError) {
    const kind = connectionKind(err, endpoint);
    let hint = err.hint;
    if (kind === 'certificate' && hint === undefined) hint = 'check ca.pem, cert.pem and key.pem in DOCKER_CERT_PATH';
    return make(kind, withoutHint(err.message, err.hint), hint, { code: err.code, syscallCode: err.syscallCode });
  }
  if (err instanceof DockerVersionError) {
    const hint = /pinned/.test(err.message)
      ? 'unset DOCKER_API_VERSION (or drop the pin) to negotiate the version with the engine'
      : `berth needs an engine that speaks API ${MIN_API_VERSION} or newer (docker 19.03+, podman 4+)`;
    return make('api-version', err.message, hint, { code: err.code });
  }
  if (err instanceof DockerConfigError) {
    return make('config', err.message, 'check DOCKER_HOST, DOCKER_CONTEXT, DOCKER_CERT_PATH and the --host/--context options', { code: err.code });
  }
  if (err instanceof DockerApiError) return make('failed', err.message, undefined, { code: err.code });
  if (err instanceof DockerArgumentError || err instanceof DockerError) return make('failed', err.message, undefined, { code: err.code });
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return make('failed', err.message, 'this looks like a bug in berth: run again with --debug and report the output',
      typeof code === 'string' ? { code } : {});
  }
  return make('failed', String(err));
}

/** The stack and cause chain of an error, for `--debug`. */
export function debugText(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; depth < 8 && e !== undefined; depth++) {
    if (e instanceof Error) {
      parts.push(`${depth === 0 ? '' : 'caused by: '}${e.stack ?? `${e.name}: ${e.message}`}`);
      e = e.cause;
    } else {
      parts.push(`${depth === 0 ? '' : 'caused by: '}${String(e)}`);
      break;
    }
  }
  return parts.join('\n');
}
