import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { Docker, type TlsOptions } from '../../engine/index.js';

/** How a worker reaches its engine, rendered for a build (unset parts are resolved like the docker CLI). */
export interface EngineConnection {
  /** `DOCKER_HOST`-style endpoint; undefined: `DOCKER_HOST`, the current context, or the default socket. */
  readonly dockerHost: string | undefined;
  readonly tls: boolean | TlsOptions | undefined;
  /** A pinned API version; undefined: negotiated once per client. */
  readonly version: string | undefined;
}

/**
 * An engine client given to the worker instead of one it makes: one
 * client for every start, or a function of the rendered connection (an
 * engine pool). Given clients are the caller's: the worker never closes them.
 */
export type DockerProvider = Docker | ((connection: EngineConnection) => Docker);

/** A client and whether this was its first use by the worker. */
export interface EngineClient {
  readonly docker: Docker;
  /** True the first time this connection is asked for (its API version is negotiated now). */
  readonly fresh: boolean;
}

/**
 * The engine clients of one worker, one per rendered connection: a client
 * negotiates its API version once and keeps its connections alive, instead
 * of a client made and dropped for every operation (Buildbot made one per
 * call and never closed them: PR #6538). The clients the worker made are
 * closed by {@link close}; given ones are left to their owner.
 */
export class EngineClients {
  private readonly provider: DockerProvider | undefined;
  private readonly clients = new Map<string, Docker>();
  private readonly owned = new Set<Docker>();

  constructor(provider: DockerProvider | undefined) {
    this.provider = provider;
  }

  /** The client for `connection`, made (or asked of the provider) the first time. */
  get(connection: EngineConnection): EngineClient {
    const key = connectionKey(connection);
    const known = this.clients.get(key);
    if (known !== undefined) return { docker: known, fresh: false };
    const docker = this.make(connection);
    this.clients.set(key, docker);
    return { docker, fresh: true };
  }

  /** Clients in use (made or given), one per distinct connection. */
  get size(): number {
    return this.clients.size;
  }

  /** Closes the clients this worker made and forgets every client. */
  async close(): Promise<void> {
    const owned = [...this.owned];
    this.owned.clear();
    this.clients.clear();
    await Promise.allSettled(owned.map((d) => d.close()));
  }

  private make(connection: EngineConnection): Docker {
    const provider = this.provider;
    if (provider instanceof Docker) return provider;
    if (typeof provider === 'function') return provider(connection);
    const docker = new Docker({
      ...(connection.dockerHost !== undefined ? { host: connection.dockerHost } : {}),
      ...(connection.tls !== undefined ? { tls: connection.tls } : {}),
      ...(connection.version !== undefined ? { apiVersion: connection.version } : {}),
    });
    this.owned.add(docker);
    return docker;
  }
}

/** A stable key of a connection: certificates and keys given as bytes count by their digest, not their identity. */
export function connectionKey(connection: EngineConnection): string {
  const tls = connection.tls;
  const tlsKey = typeof tls === 'object'
    ? Object.fromEntries(Object.entries(tls).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) =>
      [k, Buffer.isBuffer(v) ? `sha256:${createHash('sha256').update(v).digest('hex')}` : v as unknown]))
    : tls ?? null;
  return JSON.stringify([connection.dockerHost ?? null, tlsKey, connection.version ?? null]);
}
