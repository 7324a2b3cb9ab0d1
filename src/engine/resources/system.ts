import { asObject, stringField, type JsonObject } from '../json.js';
import type { Negotiator, PingInfo } from '../negotiate.js';
import type { CallOptions, Requester } from '../request.js';
import type { SystemDataUsage, SystemInfo, SystemVersion } from '../types/system.js';

/** Options of {@link SystemApi.df}. */
export interface SystemDfOptions extends CallOptions {
  /** Only these object types (API ≥ 1.42): `container`, `image`, `volume`, `build-cache`. */
  type?: ReadonlyArray<'container' | 'image' | 'volume' | 'build-cache'>;
}

/** The result of a ping: the negotiated version and what the engine's headers said. */
export interface PingResult extends PingInfo {
  /** The API version berth uses with this engine (negotiated or pinned). */
  readonly negotiatedVersion: string;
}

/** System-wide calls: ping, version, info, disk usage. */
export class SystemApi {
  private readonly requester: Requester;
  private readonly negotiator: Negotiator;

  constructor(requester: Requester, negotiator: Negotiator) {
    this.requester = requester;
    this.negotiator = negotiator;
  }

  /**
   * Pings the engine (`HEAD /_ping`, falling back to `GET /_ping`; never
   * versioned) and negotiates the API version if that has not happened yet.
   */
  ping(options: CallOptions = {}): Promise<PingResult> {
    // field by field: spreading the ping into a new object cost more than a tenth of a ping here
    return this.negotiator.pingAndNegotiate(options.signal, options.timeout, (info, version) => ({
      apiVersion: info.apiVersion, osType: info.osType, experimental: info.experimental,
      builderVersion: info.builderVersion, swarm: info.swarm, server: info.server, negotiatedVersion: version,
    }));
  }

  /** Engine and component versions: `GET /version`. */
  async version(options: CallOptions = {}): Promise<SystemVersion> {
    const v = asObject<JsonObject>(await this.requester.json({ method: 'GET', path: '/version', ...options }), 'GET /version');
    stringField(v, 'ApiVersion', 'GET /version');
    return v as unknown as SystemVersion;
  }

  /** System-wide information: `GET /info`. */
  async info(options: CallOptions = {}): Promise<SystemInfo> {
    return asObject<SystemInfo>(await this.requester.json({ method: 'GET', path: '/info', ...options }), 'GET /info');
  }

  /** Disk usage of images, containers, volumes and build cache: `GET /system/df`. */
  async df(options: SystemDfOptions = {}): Promise<SystemDataUsage> {
    const { type, ...call } = options;
    return asObject<SystemDataUsage>(
      await this.requester.json({ method: 'GET', path: '/system/df', query: { type }, ...call }), 'GET /system/df');
  }
}
