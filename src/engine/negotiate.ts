import { DockerConnectionError, DockerVersionError, type RequestInfo } from './errors.js';
import { isObject } from './json.js';
import type { Requester, ResponseBase, VersionSource } from './request.js';
import { MAX_API_VERSION, MIN_API_VERSION, compareApiVersions, minApiVersion, parseApiVersion, requireApiVersion } from './version.js';

/**
 * API-version negotiation: lazy, single-flight, from the unversioned
 * `HEAD /_ping` (falling back to `GET /_ping`), as `min(server, MAX)`;
 * refused below MIN. A pinned version skips it. A failed negotiation is
 * forgotten, so the next call tries again.
 */

/** What `/_ping` says about the engine. */
export interface PingInfo {
  /** The engine's own maximum API version (the `Api-Version` header). */
  readonly apiVersion: string;
  /** `linux` or `windows` (`Ostype`). */
  readonly osType: string | undefined;
  /** `Docker-Experimental: true`. */
  readonly experimental: boolean;
  /** `1` (classic) or `2` (BuildKit) from `Builder-Version`, when sent. */
  readonly builderVersion: string | undefined;
  /** Swarm state from the `Swarm` header: `inactive`, `active/manager`, … */
  readonly swarm: string | undefined;
  /** The `Server` header, e.g. `Docker/20.10.24 (linux)` or `Libpod/4.3.1 (linux)`. */
  readonly server: string | undefined;
}

/** Reads ping headers into a {@link PingInfo}; `apiVersion` falls back to `fallbackVersion`. */
export function pingInfoFromHeaders(res: Pick<ResponseBase, 'header'>, fallbackVersion?: string): PingInfo {
  const header = (n: string): string | undefined => {
    const v = res.header(n);
    return v === undefined || v === '' ? undefined : v;
  };
  return {
    apiVersion: header('api-version') ?? fallbackVersion ?? '',
    osType: header('ostype'),
    experimental: header('docker-experimental') === 'true',
    builderVersion: header('builder-version'),
    swarm: header('swarm'),
    server: header('server'),
  };
}

export class Negotiator implements VersionSource {
  private requester: Requester | undefined;
  private version: string | undefined;
  private inflight: Promise<string> | undefined;
  private lastPing: PingInfo | undefined;
  readonly pinned: boolean;
  readonly pinnedBy: string | undefined;

  constructor(pin?: { version: string; by: string }) {
    if (pin) {
      this.version = requireApiVersion(pin.version, pin.by);
      if (compareApiVersions(this.version, MIN_API_VERSION) < 0) {
        throw new DockerVersionError(`${pin.by}=${pin.version} is below berth's minimum API version ${MIN_API_VERSION}`);
      }
      this.pinned = true;
      this.pinnedBy = pin.by;
    } else {
      this.pinned = false;
      this.pinnedBy = undefined;
    }
  }

  /** Binds the requester used for pings (the two need each other). */
  attach(requester: Requester): void {
    this.requester = requester;
  }

  /** The version in use: pinned, negotiated, or undefined before the first call. */
  get current(): string | undefined {
    return this.version;
  }

  /** The last ping's headers, if any. */
  get ping(): PingInfo | undefined {
    return this.lastPing;
  }

  resolve(signal: AbortSignal | undefined): Promise<string> {
    if (this.version !== undefined) return Promise.resolve(this.version);
    return this.negotiate(signal);
  }

  /** Negotiates now (single-flight); resolves with the version berth will use. */
  negotiate(signal?: AbortSignal): Promise<string> {
    if (this.pinned && this.version !== undefined) return Promise.resolve(this.version);
    if (this.inflight) return this.inflight;
    const run = this.pingEngine(signal).then((info) => {
      const chosen = chooseVersion(info.apiVersion);
      this.version = chosen;
      return chosen;
    });
    this.inflight = run;
    // forget the attempt either way: success is cached in `version`, failure is retried by the next call
    const clear = (): void => { if (this.inflight === run) this.inflight = undefined; };
    run.then(clear, clear);
    return run;
  }

  /**
   * Pings the engine: `HEAD /_ping`, and `GET /_ping` if HEAD fails or is
   * not 200. Records the headers. Never versioned. Promise callbacks rather
   * than an async function: a ping is the cheapest call there is, and is
   * used to measure an engine's latency.
   */
  pingEngine(signal?: AbortSignal, timeout?: number): Promise<PingInfo> {
    const requester = this.requester;
    if (!requester) return Promise.reject(new Error('negotiator not attached'));
    return requester.empty({ method: 'HEAD', path: '/_ping', unversioned: true, signal, timeout }).then(
      (res) => this.recordPing(requester, res, signal, timeout),
      (err: unknown) => {
        // an engine that cannot be reached will not answer a GET either: only an HTTP refusal of HEAD falls back
        if (signal?.aborted || err instanceof DockerConnectionError) throw err;
        return requester.empty({ method: 'GET', path: '/_ping', unversioned: true, signal, timeout })
          .then((res) => this.recordPing(requester, res, signal, timeout));
      },
    );
  }

  private recordPing(requester: Requester, res: ResponseBase, signal: AbortSignal | undefined, timeout: number | undefined): PingInfo | Promise<PingInfo> {
    const info = pingInfoFromHeaders(res);
    if (info.apiVersion !== '') {
      this.lastPing = info;
      return info;
    }
    // engines older than API 1.25 send no Api-Version header; ask /version
    return requester.json({ method: 'GET', path: '/version', unversioned: true, signal, timeout }).then((v) => {
      const apiVersion = isObject(v) && typeof v.ApiVersion === 'string' ? v.ApiVersion : '';
      const answered = pingInfoFromHeaders(res, apiVersion);
      this.lastPing = answered;
      return answered;
    });
  }

  /**
   * Pings and, when no version is settled yet, negotiates from that same
   * ping (one round trip). Resolves with what `make` builds of the ping and
   * the version in use.
   */
  pingAndNegotiate<T>(signal: AbortSignal | undefined, timeout: number | undefined, make: (info: PingInfo, version: string) => T): Promise<T> {
    return this.pingEngine(signal, timeout).then((info) => {
      this.version ??= chooseVersion(info.apiVersion);
      return make(info, this.version);
    });
  }

  downgrade(max: string): void {
    if (this.pinned) return;
    const parsed = parseApiVersion(max);
    if (parsed) this.version = chooseVersion(max);
  }
}

/** `min(server, MAX)`, refusing servers below MIN or without a version. */
export function chooseVersion(server: string, request?: RequestInfo): string {
  if (!parseApiVersion(server)) {
    throw new DockerVersionError(`the engine reported no usable API version ("${server}")${request ? ` at ${request.path}` : ''}`);
  }
  if (compareApiVersions(server, MIN_API_VERSION) < 0) {
    throw new DockerVersionError(`the engine's API version ${server} is too old: berth needs at least ${MIN_API_VERSION} (docker 19.03 or newer)`);
  }
  return minApiVersion(requireApiVersion(server, 'engine'), MAX_API_VERSION);
}
