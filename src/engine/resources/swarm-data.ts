import type { EngineContext } from '../context.js';
import { DockerArgumentError } from '../errors.js';
import { filtersQuery, type Filters } from '../filters.js';
import { asArray, asIdentified, asObject, isObject, stringField, type JsonObject } from '../json.js';
import { pathSegment, type CallOptions } from '../request.js';
import type { ObjectVersion } from '../types/common.js';
import { updateVersioned, versionIndex, type SpecChange, type VersionedUpdateOptions } from './versioned.js';

/**
 * Secrets and configs are the same kind of object on the wire — a named,
 * labelled blob of base64 data kept by the swarm's managers — under two
 * paths. {@link SecretsApi} and {@link ConfigsApi} are this class on
 * `/secrets` and `/configs`.
 */

/** Filters of `GET /secrets` and `GET /configs` (podman 4.3 knows only `id` and `name`, and answers 500 to the others). */
export interface SwarmDataListFilters extends Filters {
  id?: readonly string[];
  /** `key` or `key=value`. */
  label?: readonly string[];
  /** All or part of a name. */
  name?: readonly string[];
  /** Exact names (dockerd secrets only: dockerd configs answer 400, podman 500). */
  names?: readonly string[];
}

/** Options of `list` on secrets and configs. */
export interface SwarmDataListOptions extends CallOptions {
  filters?: SwarmDataListFilters;
}

/** What secret and config specs share. */
export interface SwarmDataSpec {
  Name?: string;
  Labels?: Record<string, string> | null;
  /** The content, standard base64 (`Buffer.from(text).toString('base64')`). */
  Data?: string;
}

/** What secrets and configs share. */
export interface SwarmDataObject<S extends SwarmDataSpec> {
  ID: string;
  Version: ObjectVersion;
  Spec: S;
}

/** The result of creating a secret or a config. */
export interface SwarmDataCreateResponse {
  ID: string;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Create, inspect, list, update and remove secrets or configs (see {@link SecretsApi}, {@link ConfigsApi}). */
export class SwarmDataApi<T extends SwarmDataObject<S>, S extends SwarmDataSpec> {
  protected readonly ctx: EngineContext;
  /** `secrets` or `configs`. */
  private readonly kind: string;
  /** `secret` or `config`. */
  private readonly noun: string;

  protected constructor(ctx: EngineContext, kind: 'secrets' | 'configs') {
    this.ctx = ctx;
    this.kind = kind;
    this.noun = kind.slice(0, -1);
  }

  /**
   * `POST /secrets/create` or `POST /configs/create` — `Name` and `Data`
   * (base64) are required; 409 (`ConflictError`) when the name is taken.
   */
  async create(spec: S, options: CallOptions = {}): Promise<SwarmDataCreateResponse> {
    if (!isObject(spec) || typeof spec.Name !== 'string' || spec.Name.trim() === '') {
      throw new DockerArgumentError(`${this.noun} create: Name must be a non-empty string`);
    }
    if (typeof spec.Data !== 'string' || !BASE64.test(spec.Data)) {
      throw new DockerArgumentError(`${this.noun} create: Data must be standard base64 (Buffer.from(content).toString('base64'))`);
    }
    const what = `POST /${this.kind}/create`;
    const res = asObject<JsonObject>(await this.ctx.requester.json({ method: 'POST', path: `/${this.kind}/create`, json: spec, ...options }), what);
    return { ID: stringField(res, 'ID', what) };
  }

  /** `GET /secrets/{id}` or `GET /configs/{id}` (id or name) — 404 (`NotFoundError`) when missing. A secret's `Data` is never returned. */
  async inspect(id: string, options: CallOptions = {}): Promise<T> {
    return asIdentified<T>(await this.ctx.requester.json({
      method: 'GET', path: `/${this.kind}/${pathSegment(id, `${this.noun} id`)}`, ...options,
    }), 'ID', `GET /${this.kind}/{id}`);
  }

  /** `GET /secrets` or `GET /configs` — every one, or those matching the filters. */
  async list(options: SwarmDataListOptions = {}): Promise<T[]> {
    const { filters, ...call } = options;
    return asArray<T>(await this.ctx.requester.json({
      method: 'GET', path: `/${this.kind}`, query: { filters: filtersQuery(filters) }, ...call,
    }), `GET /${this.kind}`);
  }

  /**
   * `POST /secrets/{id}/update` or `POST /configs/{id}/update` — only
   * `Labels` may change. Versioned like every swarm object (see
   * {@link VersionedUpdateOptions.version}). podman 4.3 answers 501
   * (`ServerError`): it cannot update secrets.
   */
  async update(id: string, change: SpecChange<S>, options: VersionedUpdateOptions = {}): Promise<void> {
    const { version, ...call } = options;
    const path = `/${this.kind}/${pathSegment(id, `${this.noun} id`)}/update`;
    await updateVersioned(`${this.noun} update`, change, version,
      async () => {
        const current = await this.inspect(id, call);
        return { spec: current.Spec, version: versionIndex(current, `GET /${this.kind}/{id}`) };
      },
      (spec, v) => this.ctx.requester.empty({ method: 'POST', path, query: { version: v }, json: spec, ...call }));
  }

  /** `DELETE /secrets/{id}` or `DELETE /configs/{id}` — 404 (`NotFoundError`) when missing. */
  async remove(id: string, options: CallOptions = {}): Promise<void> {
    await this.ctx.requester.empty({ method: 'DELETE', path: `/${this.kind}/${pathSegment(id, `${this.noun} id`)}`, ...options });
  }
}
