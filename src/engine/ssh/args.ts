import { DockerConfigError } from '../errors.js';
import type { SshTarget } from '../endpoint.js';

/**
 * The command lines berth gives the system `ssh` client, as pure functions.
 *
 * OpenSSH keeps the first value it obtains for an option, from the command
 * line before any config file. So where the caller's `extraArgs` may change
 * a default (BatchMode, ConnectTimeout, ControlPersist) they come first;
 * where berth's value is what makes the design work (the control socket,
 * no fallback to a fresh connection) berth's comes first.
 */

/** How berth runs the system ssh client for `ssh://` endpoints. */
export interface SshOptions {
  /** A private key file, as `ssh -i`. Default: whatever ssh_config and the agent offer. */
  identityFile?: string;
  /** An ssh_config file, as `ssh -F` (ssh then reads neither `~/.ssh/config` nor `/etc/ssh/ssh_config`). */
  configFile?: string;
  /**
   * More ssh arguments (`['-o', 'ServerAliveInterval=15']`, `['-J', 'bastion']`), placed
   * before berth's defaults so they override them. Never a password: use keys or an agent.
   */
  extraArgs?: readonly string[];
  /** The ssh client to run (default `ssh` from PATH). */
  binary?: string;
  /**
   * Channels one shared connection carries at once (default 10, sshd's own
   * `MaxSessions` default). Past it berth opens another shared connection;
   * a server that allows fewer is detected and respected.
   */
  maxSessions?: number;
  /**
   * Seconds a shared connection stays open with no channel (default 300);
   * `0` keeps it until `close()`. The next request opens a new one.
   */
  idleTimeout?: number;
}

/** Seconds an orphaned master (its client process died without `close()`) outlives the client. */
export const ORPHAN_PERSIST_SECONDS = 20;

/** The parts of an argument list every ssh invocation of a session shares. */
export interface SshCommon {
  readonly target: SshTarget;
  readonly options: SshOptions;
}

/** Validates what goes on the ssh command line; a bad value is a {@link DockerConfigError} before anything runs. */
export function checkSshTarget(target: SshTarget, options: SshOptions = {}): void {
  const bad = /[\s\0-\x1f\x7f]/;
  if (target.user !== undefined && (target.user === '' || bad.test(target.user) || target.user.startsWith('-'))) {
    throw new DockerConfigError(`ssh user ${JSON.stringify(target.user)} is not a valid user name`);
  }
  if (target.host === '' || bad.test(target.host) || target.host.startsWith('-')) {
    throw new DockerConfigError(`ssh host ${JSON.stringify(target.host)} is not a valid host name`);
  }
  if (target.socketPath !== undefined && (!target.socketPath.startsWith('/') || /[\0-\x1f\x7f]/.test(target.socketPath))) {
    throw new DockerConfigError(`the remote socket ${JSON.stringify(target.socketPath)} must be an absolute path`);
  }
  for (const [name, value] of [['identityFile', options.identityFile], ['configFile', options.configFile], ['binary', options.binary]] as const) {
    if (value !== undefined && (value === '' || value.includes('\0'))) throw new DockerConfigError(`ssh.${name} must be a non-empty path`);
  }
  if (options.extraArgs !== undefined && !options.extraArgs.every((a) => typeof a === 'string' && !a.includes('\0'))) {
    throw new DockerConfigError('ssh.extraArgs must be strings');
  }
  if (options.maxSessions !== undefined && !(Number.isInteger(options.maxSessions) && options.maxSessions >= 1)) {
    throw new DockerConfigError(`ssh.maxSessions must be a positive integer, not ${String(options.maxSessions)}`);
  }
  if (options.idleTimeout !== undefined && !(Number.isFinite(options.idleTimeout) && options.idleTimeout >= 0)) {
    throw new DockerConfigError(`ssh.idleTimeout must be a number of seconds >= 0, not ${String(options.idleTimeout)}`);
  }
}

/** `-l user -p port -- host`: who and where, always last, the host after `--`. */
export function destinationArgs(target: SshTarget): string[] {
  return [
    ...(target.user !== undefined ? ['-l', target.user] : []),
    ...(target.port !== undefined ? ['-p', String(target.port)] : []),
    '--', target.host,
  ];
}

function configArgs(options: SshOptions): string[] {
  return options.configFile !== undefined ? ['-F', options.configFile] : [];
}

/**
 * Starts a ControlMaster: authenticates, listens on `controlPath`, forks to
 * the background (`-f`) and exits 0 — so the launcher's exit is the
 * readiness signal, and its failure carries ssh's message (in `logFile`).
 * `ControlPersist` bounds how long it outlives a client that died without
 * closing it (berth holds a control connection while it lives).
 */
export function masterArgs(common: SshCommon, controlPath: string, logFile: string, connectTimeoutSeconds: number): string[] {
  const { target, options } = common;
  return [
    ...(options.extraArgs ?? []),
    ...configArgs(options),
    ...(options.identityFile !== undefined ? ['-i', options.identityFile] : []),
    '-M', '-S', controlPath,
    '-o', `ControlPersist=${ORPHAN_PERSIST_SECONDS}`,
    '-o', 'BatchMode=yes',
    '-o', `ConnectTimeout=${connectTimeoutSeconds}`,
    '-o', 'ClearAllForwardings=yes',
    '-o', 'ForwardAgent=no',
    '-o', 'ForwardX11=no',
    '-o', 'PermitLocalCommand=no',
    '-E', logFile,
    '-f', '-N', '-T',
    ...destinationArgs(target),
  ];
}

/**
 * One channel over the master: `ssh -S ctl -T -- host docker … system dial-stdio`.
 * `ControlMaster=no` keeps it a client; `ProxyCommand=false` makes a missing
 * master a failure instead of a silent new connection (ssh falls back to
 * connecting when the control socket does not answer).
 */
export function channelArgs(common: SshCommon, controlPath: string): string[] {
  const { target, options } = common;
  return [
    '-S', controlPath,
    '-o', 'ControlMaster=no',
    '-o', 'ProxyCommand=false',
    ...(options.extraArgs ?? []),
    ...configArgs(options),
    '-o', 'BatchMode=yes',
    '-o', 'RemoteCommand=none',
    '-T',
    ...destinationArgs(target),
    ...remoteCommand(target.socketPath),
  ];
}

/**
 * The remote command, as the docker CLI runs it:
 * `docker system dial-stdio`, or `docker --host unix://SOCKET system dial-stdio`.
 * ssh joins the words with spaces for the remote shell, so the socket is quoted.
 */
export function remoteCommand(socketPath: string | undefined): string[] {
  return ['docker', ...(socketPath !== undefined ? ['--host', shellQuote(`unix://${socketPath}`)] : []), 'system', 'dial-stdio'];
}

/** A word for a POSIX shell: as is when it is plainly safe, else single-quoted. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_./:@%+=,-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** What a person would type to check the same access by hand: `ssh -p 2222 root@host docker version`. */
export function checkCommand(common: SshCommon): string {
  const { target, options } = common;
  const parts = ['ssh'];
  if (options.configFile !== undefined) parts.push('-F', shellQuote(options.configFile));
  if (options.identityFile !== undefined) parts.push('-i', shellQuote(options.identityFile));
  if (target.port !== undefined) parts.push('-p', String(target.port));
  parts.push(target.user !== undefined ? `${target.user}@${target.host}` : target.host, 'docker');
  if (target.socketPath !== undefined) parts.push('--host', shellQuote(`unix://${target.socketPath}`));
  parts.push('version');
  return parts.join(' ');
}
