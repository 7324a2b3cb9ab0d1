import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CliError, UsageError } from './failure.js';

/**
 * Where `berth replay` and `berth record` listen: a unix socket (given, or
 * in a fresh short temporary directory) or a TCP address.
 */

export type ListenAddress = { socketPath: string } | { host: string; port: number };

export interface ListenPlan {
  readonly listen: ListenAddress;
  /** Removes what was created for the listener (the temporary directory). */
  cleanup(): Promise<void>;
}

/** Parses `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (127.0.0.1). Port 0 picks a free port. */
export function parseListenAddress(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError(`--listen ${JSON.stringify(text)} is not HOST:PORT`, 'e.g. --listen 127.0.0.1:2375, --listen [::1]:0 or --listen :0');
  const host = m[1] ?? (m[2] === '' || m[2] === undefined ? '127.0.0.1' : m[2]);
  return { host, port };
}

/** Decides where to listen from `--socket` and `--listen`. */
export async function planListen(values: { socket?: string | undefined; listen?: string | undefined }): Promise<ListenPlan> {
  if (values.socket !== undefined && values.listen !== undefined) throw new UsageError('give --socket or --listen, not both');
  if (values.listen !== undefined) return { listen: parseListenAddress(values.listen), cleanup: async () => undefined };
  if (values.socket !== undefined) {
    if (values.socket === '') throw new UsageError('--socket needs a path');
    return { listen: { socketPath: values.socket }, cleanup: async () => undefined };
  }
  // a short path: unix socket paths are limited to ~107 bytes
  const dir = await mkdtemp('/tmp/berth-');
  return { listen: { socketPath: join(dir, 'engine.sock') }, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Turns a failure to listen into a {@link CliError} with a hint. */
export function listenError(err: unknown, listen: ListenAddress): CliError {
  const code = (err as NodeJS.ErrnoException).code;
  const where = 'socketPath' in listen ? listen.socketPath : `${listen.host}:${listen.port}`;
  const text = err instanceof Error ? err.message : String(err);
  const option = 'socketPath' in listen ? '--socket' : '--listen';
  switch (code) {
    case 'EADDRINUSE':
      return new CliError('failed', `cannot listen on ${where}: it is in use`, { hint: `pick another ${option}`, cause: err });
    case 'EEXIST':
      return new CliError('failed', `cannot listen on ${where}: ${text}`, { hint: `pick another ${option}`, cause: err });
    case 'EACCES':
    case 'EPERM':
      return new CliError('permission', `cannot listen on ${where}: permission denied`, { hint: `pick a ${option} you may create`, cause: err });
    case 'ENOENT':
      return new CliError('config', `cannot listen on ${where}: its directory does not exist`, { hint: 'create the directory first', cause: err });
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new CliError('config', `cannot listen on ${where}: no such local address`, { hint: 'use an address of this machine, e.g. 127.0.0.1', cause: err });
    default:
      return new CliError('failed', `cannot listen on ${where}: ${text}`, { cause: err });
  }
}
