import type { EngineContext } from '../context.js';
import { DockerVersionError } from '../errors.js';
import { filtersQuery, type Filters } from '../filters.js';
import { asArrayOrNull, asIdentified, asObject, type JsonObject } from '../json.js';
import { pathSegment, type CallOptions } from '../request.js';
import type { Volume, VolumeCreateRequest, VolumeListResponse, VolumePruneResponse } from '../types/volumes.js';
import { apiVersionAtLeast } from '../version.js';

/** Filters of `GET /volumes`. */
export interface VolumeListFilters extends Filters {
  /** `true`: volumes no container uses; `false`: volumes in use. */
  dangling?: readonly boolean[];
  driver?: readonly string[];
  /** `key` or `key=value` (dockerd also reads `key:value`). */
  label?: readonly string[];
  /** All or part of a name: check `Name` for an exact match. */
  name?: readonly string[];
}

/** Options of {@link VolumesApi.list}. */
export interface VolumeListOptions extends CallOptions {
  filters?: VolumeListFilters;
}

/** Filters of `POST /volumes/prune`. */
export interface VolumePruneFilters extends Filters {
  /** `key` or `key=value`: prune only volumes with the label. */
  label?: readonly string[];
  /** `key` or `key=value`: prune only volumes without the label. */
  'label!'?: readonly string[];
}

/** Options of {@link VolumesApi.prune}. */
export interface VolumePruneOptions extends CallOptions {
  filters?: VolumePruneFilters;
  /**
   * Named volumes too, not only anonymous ones. From API 1.42 the engine
   * prunes only anonymous volumes unless asked (the `all` filter); below
   * 1.42 (dockerd 20.10, podman 4.3) it always prunes named volumes too, so
   * `all: true` is the engine's own behaviour there and sends nothing, and
   * `all: false` cannot be honoured (`DockerVersionError` before sending).
   * Left out, each engine does its default.
   */
  all?: boolean;
}

/** Options of {@link VolumesApi.remove}. */
export interface VolumeRemoveOptions extends CallOptions {
  /**
   * Remove even when the volume driver fails to. A volume in use stays:
   * dockerd and podman both answer 409 (`ConflictError`) with or without it.
   */
  force?: boolean;
}

/** Volumes: create, inspect, list, remove and prune them. */
export class VolumesApi {
  protected readonly ctx: EngineContext;

  constructor(ctx: EngineContext) {
    this.ctx = ctx;
  }

  /** `GET /volumes` — `{ Volumes, Warnings }`, both lists (never `null`). */
  async list(options: VolumeListOptions = {}): Promise<VolumeListResponse> {
    const { filters, ...call } = options;
    const v = asObject<JsonObject>(await this.ctx.requester.json({
      method: 'GET', path: '/volumes', query: { filters: filtersQuery(filters) }, ...call,
    }), 'GET /volumes');
    return { Volumes: asArrayOrNull<Volume>(v.Volumes, 'Volumes'), Warnings: asArrayOrNull<string>(v.Warnings, 'Warnings') };
  }

  /** `GET /volumes/{name}` — 404 (`NotFoundError`) when there is no such volume. */
  async inspect(name: string, options: CallOptions = {}): Promise<Volume> {
    return asIdentified<Volume>(await this.ctx.requester.json({
      method: 'GET', path: `/volumes/${pathSegment(name, 'volume name')}`, ...options,
    }), 'Name', 'GET /volumes/{name}');
  }

  /**
   * `POST /volumes/create` — the volume (an existing one of the same name
   * and driver is returned as is). Without `Name` the engine picks one.
   */
  async create(body: VolumeCreateRequest = {}, options: CallOptions = {}): Promise<Volume> {
    if (body.ClusterVolumeSpec !== undefined) await this.ctx.requires('1.42', 'cluster volumes', options.signal);
    return asIdentified<Volume>(await this.ctx.requester.json({
      method: 'POST', path: '/volumes/create', json: body, ...options,
    }), 'Name', 'POST /volumes/create');
  }

  /** `DELETE /volumes/{name}` — 404 (`NotFoundError`) when missing; 409 (`ConflictError`) while a container uses it. */
  async remove(name: string, options: VolumeRemoveOptions = {}): Promise<void> {
    const { force, ...call } = options;
    await this.ctx.requester.empty({ method: 'DELETE', path: `/volumes/${pathSegment(name, 'volume name')}`, query: { force }, ...call });
  }

  /** `POST /volumes/prune` — removes unused volumes (which ones depends on `all` and the API version: see {@link VolumePruneOptions.all}). */
  async prune(options: VolumePruneOptions = {}): Promise<VolumePruneResponse> {
    const { filters, all, ...call } = options;
    let query = filtersQuery(filters);
    if (all !== undefined) {
      const version = await this.ctx.apiVersion(call.signal);
      if (apiVersionAtLeast(version, '1.42')) {
        query = { ...query, all: [String(all)] };
      } else if (!all) {
        throw new DockerVersionError(`pruning only anonymous volumes (all: false) needs API version 1.42 or newer; this engine speaks ${version} and prunes named volumes too`);
      }
    }
    const v = asObject<JsonObject>(await this.ctx.requester.json({
      method: 'POST', path: '/volumes/prune', query: { filters: query }, ...call,
    }), 'POST /volumes/prune');
    return {
      VolumesDeleted: asArrayOrNull<string>(v.VolumesDeleted, 'VolumesDeleted'),
      SpaceReclaimed: typeof v.SpaceReclaimed === 'number' ? v.SpaceReclaimed : 0,
    };
  }
}
