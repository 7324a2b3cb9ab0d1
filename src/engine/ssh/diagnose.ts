import { DockerConnectionError, DockerTimeoutError } from '../errors.js';

/**
 * What ssh (or the docker CLI it ran on the remote side) said when a
 * connection failed, turned into one line and a hint. Pure: it reads the
 * stderr text and the exit status, nothing else.
 */

/** The kinds of failure berth tells apart. */
export type SshFailureKind =
  | 'auth' | 'host-key' | 'resolve' | 'unreachable' | 'no-docker' | 'old-docker' | 'engine' | 'engine-permission'
  | 'master-gone' | 'session-refused' | 'other';

/** A classified failure: the line that says it, and whether a fresh channel may simply be tried again. */
export interface SshFailure {
  readonly kind: SshFailureKind;
  /** ssh's (or the remote command's) own line, trimmed. */
  readonly line: string;
  /**
   * True when the remote command certainly never ran (the session was
   * refused, or the shared connection was gone before the channel opened),
   * so the same bytes can be sent over a new channel.
   */
  readonly retryable: boolean;
}

/** Lines that carry no diagnosis. */
const NOISE = [
  /^Warning: Permanently added /,
  /^debug\d?: /,
  /^@+$/,
  /^Pseudo-terminal will not be allocated/,
  /^Exit request sent\.$/,
  /level=\w+ msg="error while CloseWrite/,
];

const RULES: ReadonlyArray<{ kind: SshFailureKind; test: RegExp; retryable?: boolean }> = [
  { kind: 'session-refused', test: /Session open refused by peer|open failed: administratively prohibited/, retryable: true },
  // ProxyCommand=false stands in for a master that did not answer: nothing reached the remote side
  { kind: 'master-gone', test: /^kex_exchange_identification: |^Connection closed by UNKNOWN port 65535|^Control socket connect\(/, retryable: true },
  { kind: 'host-key', test: /host key is known for|Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/ },
  { kind: 'auth', test: /Permission denied \(|Too many authentication failures|no matching (host key type|key exchange method|cipher)/ },
  { kind: 'resolve', test: /Could not resolve hostname/ },
  { kind: 'unreachable', test: /Connection refused|Connection timed out|Operation timed out|No route to host|Network is unreachable|Connection reset by peer|Connection closed by remote host|closed by remote host/ },
  { kind: 'old-docker', test: /dial-stdio.*(not a docker command|unknown command)|unknown command "dial-stdio"|unknown flag: --host/ },
  { kind: 'no-docker', test: /docker: (command )?not found|command not found: docker|docker: No such file or directory|'docker' is not recognized/ },
  { kind: 'engine-permission', test: /permission denied while trying to connect to the Docker daemon|dial unix .*: connect: permission denied/ },
  { kind: 'engine', test: /Cannot connect to the Docker daemon|failed to open the raw stream connection|dial unix .*: connect: |Is the docker daemon running/ },
];

/** The lines of a stderr text that say something. */
export function significantLines(stderr: string): string[] {
  return stderr.split(/\r?\n|\r/).map((l) => l.trim()).filter((l) => l !== '' && !NOISE.some((n) => n.test(l)));
}

/**
 * Classifies a failure from ssh's stderr. `phase` says which ssh failed:
 * the master connecting (its log), or a channel over it. Only a channel can
 * find the shared connection gone or have its session refused; the master's
 * own "Connection closed" is a server that hung up.
 */
export function classifySshFailure(stderr: string, phase: 'master' | 'channel'): SshFailure {
  const lines = significantLines(stderr);
  for (const rule of RULES) {
    if (rule.retryable === true && phase === 'master') continue;
    const line = lines.find((l) => rule.test.test(l));
    if (line !== undefined) {
      // the first matching line: "No … host key is known …" says more than the "Host key verification failed." after it
      return { kind: rule.kind, line, retryable: rule.retryable === true };
    }
  }
  return { kind: 'other', line: lines[0] ?? '', retryable: false };
}

/** What the error needs besides the failure. */
export interface SshErrorContext {
  /** The endpoint URL (`ssh://root@host:2222/run/docker.sock`). */
  readonly endpoint: string;
  /** `user@host` or `host`, and the port when not the default, for messages. */
  readonly destination: string;
  /** The same access checked by hand: `ssh -p 2222 root@host docker version`. */
  readonly checkCommand: string;
  /** The remote engine socket, when the endpoint names one. */
  readonly socketPath?: string | undefined;
}

/** How the process ended, for a message when ssh said nothing. */
export interface SshExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

function exitText(exit: SshExit): string {
  return exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.code ?? '?'}`;
}

/**
 * The {@link DockerConnectionError} for a failure: ssh's own line in the
 * message, what to do in the hint, the whole stderr as the cause.
 */
export function sshConnectionError(failure: SshFailure, ctx: SshErrorContext, exit: SshExit, stderr: string): DockerConnectionError {
  const check = `check ssh access: ${ctx.checkCommand}`;
  const engineAt = ctx.socketPath !== undefined ? `unix://${ctx.socketPath}` : 'its default socket';
  const said = failure.line !== '' ? failure.line : `ssh ${exitText(exit)} and said nothing`;
  let message = `ssh to ${ctx.destination} failed: ${said}`;
  let hint: string;
  let syscallCode: string | undefined;
  switch (failure.kind) {
    case 'auth':
      hint = `ssh refused the login: the key must be offered (ssh-agent, ssh_config IdentityFile, or the ssh.identityFile option) and be in the remote authorized_keys; ${check}`;
      break;
    case 'host-key':
      hint = `the host key of ${ctx.destination} is not in known_hosts or has changed, and StrictHostKeyChecking (with BatchMode) refuses to go on: verify the key and add it to known_hosts (ssh once by hand, or ssh-keyscan), or set StrictHostKeyChecking=accept-new for this host in ssh_config; ${check}`;
      break;
    case 'resolve':
      syscallCode = 'ENOTFOUND';
      hint = `check the host name in the endpoint, or its Host entry in ssh_config; ${check}`;
      break;
    case 'unreachable':
      syscallCode = /refused/.test(failure.line) ? 'ECONNREFUSED' : undefined;
      hint = `is sshd running on ${ctx.destination} and reachable from here? ${check}`;
      break;
    case 'no-docker':
      message = `the docker CLI is not on ${ctx.destination}: ${said}`;
      hint = `berth runs "docker system dial-stdio" on the remote host, as the docker CLI does: install the docker CLI there, or put it on the PATH of non-interactive ssh sessions; ${check}`;
      break;
    case 'old-docker':
      message = `the docker CLI on ${ctx.destination} cannot dial: ${said}`;
      hint = `"docker system dial-stdio" needs docker 18.09 or newer on the remote host; ${check}`;
      break;
    case 'engine':
      syscallCode = /no such file or directory/i.test(failure.line) ? 'ENOENT' : /refused/i.test(failure.line) ? 'ECONNREFUSED' : undefined;
      message = `the docker CLI on ${ctx.destination} cannot reach the engine at ${engineAt}: ${said}`;
      hint = `is dockerd running on ${ctx.destination}${ctx.socketPath !== undefined ? ` with its socket at ${ctx.socketPath}` : ''}? ${check}`;
      break;
    case 'engine-permission':
      syscallCode = 'EACCES';
      message = `the docker CLI on ${ctx.destination} may not use the engine at ${engineAt}: ${said}`;
      hint = `add the remote user to the docker group there, or connect as a user who may use the socket; ${check}`;
      break;
    case 'master-gone':
      message = `the shared ssh connection to ${ctx.destination} is gone: ${said}`;
      hint = `the connection dropped or was closed; the next request opens a new one. ${check}`;
      break;
    case 'session-refused':
      message = `sshd on ${ctx.destination} refused another session on the shared connection: ${said}`;
      hint = 'sshd limits sessions per connection (MaxSessions, default 10): raise it in sshd_config, or lower the ssh.maxSessions option';
      break;
    case 'other':
      hint = check;
      break;
  }
  const cause = new Error(`ssh ${exitText(exit)}${stderr.trim() !== '' ? `; stderr:\n${stderr.trim()}` : ''}`);
  return new DockerConnectionError(message, { endpoint: ctx.endpoint, hint, syscallCode, cause });
}

/** The ssh client itself could not run (not installed, not executable). */
export function sshSpawnError(binary: string, err: NodeJS.ErrnoException, endpoint: string): DockerConnectionError {
  const missing = err.code === 'ENOENT';
  return new DockerConnectionError(`cannot run the ssh client "${binary}": ${missing ? 'not found' : err.message}`, {
    endpoint, syscallCode: err.code, cause: err,
    hint: missing ? 'install the OpenSSH client, or give its path as the ssh.binary option' : 'check the ssh.binary option',
  });
}

/** The master did not finish connecting and authenticating in time. */
export function sshTimeoutError(ctx: SshErrorContext, ms: number): DockerTimeoutError {
  return new DockerTimeoutError(`ssh to ${ctx.destination} did not connect and authenticate within ${ms} ms`, {
    endpoint: ctx.endpoint, hint: `is ${ctx.destination} reachable, and does it answer ssh? raise connectTimeout if it is slow; check ssh access: ${ctx.checkCommand}`,
  });
}
