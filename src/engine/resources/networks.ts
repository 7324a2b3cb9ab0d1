import type { EngineContext } from '../context.js';
import { DockerArgumentError } from '../errors.js';
import { filtersQuery, type Filters } from '../filters.js';
import { asArray, asArrayOrNull, asIdentified, asObject, isObject, stringField, type JsonObject } from '../json.js';
import { pathSegment, type CallOptions } from '../request.js';
import type {
  NetworkConnectRequest, NetworkCreateRequest, NetworkCreateResponse, NetworkDisconnectRequest, NetworkInspect,
  NetworkPruneResponse, NetworkSummary,
} from '../types/networks.js';
import { apiVersionAtLeast } from '../version.js';

/** Filters of `GET /networks`. */
export interface NetworkListFilters extends Filters {
  /** `true`: networks no container uses; `false`: networks in use. */
  dangling?: readonly boolean[];
  driver?: readonly string[];
  /** All or part of an id. */
  id?: readonly string[];
  /** `key` or `key=value`. */
  label?: readonly string[];
  /** All or part of a name: check `Name` for an exact match. */
  name?: readonly string[];
  scope?: ReadonlyArray<'swarm' | 'global' | 'local'>;
  /** `custom` (user-defined) or `builtin`. */
  type?: ReadonlyArray<'custom' | 'builtin'>;
}

/** Options of {@link NetworksApi.list}. */
export interface NetworkListOptions extends CallOptions {
  filters?: NetworkListFilters;
}

/** Options of {@link NetworksApi.inspect}. */
export interface NetworkInspectOptions extends CallOptions {
  /** Detailed output for troubleshooting (swarm networks: the services and tasks on each peer). */
  verbose?: boolean;
  /** Look the network up in this scope only. */
  scope?: 'swarm' | 'global' | 'local';
}

/** Filters of `POST /networks/prune`. */
export interface NetworkPruneFilters extends Filters {
  /** A Unix timestamp, a date, or a Go duration (`10m`) relative to the engine's clock. */
  until?: readonly string[];
  /** `key` or `key=value`: prune only networks with the label. */
  label?: readonly string[];
  /** `key` or `key=value`: prune only networks without the label. */
  'label!'?: readonly string[];
}

/** Options of {@link NetworksApi.prune}. */
export interface NetworkPruneOptions extends CallOptions {
  filters?: NetworkPruneFilters;
}

/** Networks: create them, attach containers, remove them. */
export class NetworksApi {
  protected readonly ctx: EngineContext;

  constructor(ctx: EngineContext) {
    this.ctx = ctx;
  }

  /** `GET /networks` — every network, or those matching the filters. */
  async list(options: NetworkListOptions = {}): Promise<NetworkSummary[]> {
    const { filters, ...call } = options;
    const v = await this.ctx.requester.json({ method: 'GET', path: '/networks', query: { filters: filtersQuery(filters) }, ...call });
    return asArray<NetworkSummary>(v, 'GET /networks');
  }

  /** `GET /networks/{id}` (id or name) — 404 (`NotFoundError`) when there is no such network. */
  async inspect(id: string, options: NetworkInspectOptions = {}): Promise<NetworkInspect> {
    const { verbose, scope, ...call } = options;
    const v = await this.ctx.requester.json({
      method: 'GET', path: `/networks/${pathSegment(id, 'network id')}`, query: { verbose, scope }, ...call,
    });
    return asIdentified<NetworkInspect>(v, 'Id', 'GET /networks/{id}');
  }

  /**
   * `POST /networks/create` — 409 (`ConflictError`) when the name is taken
   * (podman: 500 with a cause, also a `ConflictError`); 403
   * (`ForbiddenError`) for a pre-defined name. Before API 1.44 the engine
   * accepts duplicate names unless asked not to: berth sends
   * `CheckDuplicate: true` there unless the body says otherwise, as the
   * docker CLI does.
   */
  async create(body: NetworkCreateRequest, options: CallOptions = {}): Promise<NetworkCreateResponse> {
    if (!isObject(body) || typeof body.Name !== 'string' || body.Name.trim() === '') {
      throw new DockerArgumentError('network create: Name must be a non-empty string');
    }
    if (body.EnableIPv4 !== undefined) await this.ctx.requires('1.47', 'the network EnableIPv4 option', options.signal);
    const version = await this.ctx.apiVersion(options.signal);
    const json = body.CheckDuplicate === undefined && !apiVersionAtLeast(version, '1.44') ? { ...body, CheckDuplicate: true } : body;
    const res = asObject<JsonObject>(await this.ctx.requester.json({
      method: 'POST', path: '/networks/create', json, ...options,
    }), 'POST /networks/create');
    return { Id: stringField(res, 'Id', 'POST /networks/create'), Warning: typeof res.Warning === 'string' ? res.Warning : '' };
  }

  /**
   * `POST /networks/{id}/connect` — attaches a container (`EndpointConfig`:
   * aliases, a fixed address in a user-defined subnet, …). 403
   * (`ForbiddenError`) when the container cannot join (its network mode is
   * `none` or `host`); 404 when the network or container is missing.
   */
  async connect(id: string, body: NetworkConnectRequest, options: CallOptions = {}): Promise<void> {
    checkContainer(body, 'network connect');
    await this.ctx.requester.empty({ method: 'POST', path: `/networks/${pathSegment(id, 'network id')}/connect`, json: body, ...options });
  }

  /** `POST /networks/{id}/disconnect` — detaches a container (`Force` for a container that is gone). */
  async disconnect(id: string, body: NetworkDisconnectRequest, options: CallOptions = {}): Promise<void> {
    checkContainer(body, 'network disconnect');
    await this.ctx.requester.empty({ method: 'POST', path: `/networks/${pathSegment(id, 'network id')}/disconnect`, json: body, ...options });
  }

  /**
   * `DELETE /networks/{id}` — 404 (`NotFoundError`) when it is missing; 403
   * (`ForbiddenError`) for a pre-defined network or one that containers
   * still use (podman answers the latter with 500 and a cause, also mapped
   * to `ForbiddenError`). podman 4.3 refuses a network in use only when
   * named: given the full id it removes it (204) and leaves the host bridge
   * and the containers' veths behind — disconnect or remove containers first.
   */
  async remove(id: string, options: CallOptions = {}): Promise<void> {
    await this.ctx.requester.empty({ method: 'DELETE', path: `/networks/${pathSegment(id, 'network id')}`, ...options });
  }

  /** `POST /networks/prune` — removes the networks no container uses; returns their names. */
  async prune(options: NetworkPruneOptions = {}): Promise<NetworkPruneResponse> {
    const { filters, ...call } = options;
    const v = asObject<JsonObject>(await this.ctx.requester.json({
      method: 'POST', path: '/networks/prune', query: { filters: filtersQuery(filters) }, ...call,
    }), 'POST /networks/prune');
    return { NetworksDeleted: asArrayOrNull<string>(v.NetworksDeleted, 'NetworksDeleted') };
  }
}

function checkContainer(body: { Container: string }, what: string): void {
  if (!isObject(body) || typeof body.Container !== 'string' || body.Container.trim() === '') {
    throw new DockerArgumentError(`${what}: Container must be a non-empty string`);
  }
}
