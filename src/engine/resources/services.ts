import { registryAuthHeaders, type AuthOption } from '../auth.js';
import type { EngineContext } from '../context.js';
import { DockerArgumentError } from '../errors.js';
import { filtersQuery, type Filters } from '../filters.js';
import { asArray, asArrayOrNull, asIdentified, asObject, isObject, stringField, type JsonObject } from '../json.js';
import { pathSegment, type CallOptions } from '../request.js';
import type { Service, ServiceCreateResponse, ServiceSpec, ServiceUpdateResponse } from '../types/swarm.js';
import type { LazyStream } from '../streams/lazy.js';
import type { Frame } from '../streams/demux.js';
import { openOutputLogs, type ContainerLogsOptions } from './containers/logs.js';
import { updateVersioned, versionIndex, type SpecChange, type VersionedUpdateOptions } from './versioned.js';

/** Filters of `GET /services`. */
export interface ServiceListFilters extends Filters {
  id?: readonly string[];
  /** `key` or `key=value`. */
  label?: readonly string[];
  mode?: ReadonlyArray<'replicated' | 'global'>;
  /** All or part of a name: check `Spec.Name` for an exact match. */
  name?: readonly string[];
}

/** Options of {@link ServicesApi.list}. */
export interface ServiceListOptions extends CallOptions {
  filters?: ServiceListFilters;
  /** Add `ServiceStatus` (running, desired and completed task counts; API ≥ 1.41). */
  status?: boolean;
}

/** Registry credentials for the nodes that pull the service's image. */
export interface ServiceAuthOption {
  /**
   * Sent as `X-Registry-Auth`: an AuthConfig, a `RegistryAuth` from a
   * `CredentialStore`, or an already-encoded `{ header }`. Left out, nodes
   * pull anonymously — or, to avoid any pull, give the image by id
   * (`sha256:…`).
   */
  auth?: AuthOption;
}

/** Options of {@link ServicesApi.create}. */
export interface ServiceCreateOptions extends CallOptions, ServiceAuthOption {}

/** Options of {@link ServicesApi.update}. */
export interface ServiceUpdateOptions extends VersionedUpdateOptions, ServiceAuthOption {
  /** Without `auth`: take the credentials from the new spec (default) or the previous one. */
  registryAuthFrom?: 'spec' | 'previous-spec';
  /** `previous`: roll back to the previous spec on the engine's side (the spec sent is ignored). */
  rollback?: 'previous';
}

/** Options of {@link ServicesApi.inspect}. */
export interface ServiceInspectOptions extends CallOptions {
  /** Fill empty fields with the engine's defaults. */
  insertDefaults?: boolean;
}

/**
 * Swarm services (manager only: 503 `UnavailableError` elsewhere). Tasks
 * are in `docker.tasks`.
 */
export class ServicesApi {
  protected readonly ctx: EngineContext;

  constructor(ctx: EngineContext) {
    this.ctx = ctx;
  }

  /**
   * `POST /services/create` — 409 (`ConflictError`) when the name is taken.
   * Give a local image by id (`sha256:…`) to keep nodes from asking a
   * registry for it.
   */
  async create(spec: ServiceSpec, options: ServiceCreateOptions = {}): Promise<ServiceCreateResponse> {
    const { auth, ...call } = options;
    if (!isObject(spec)) throw new DockerArgumentError('service create: the spec must be an object');
    const headers = registryAuthHeaders(auth);
    const res = asObject<JsonObject>(await this.ctx.requester.json({
      method: 'POST', path: '/services/create', json: spec, headers, ...call,
    }), 'POST /services/create');
    return { ID: stringField(res, 'ID', 'POST /services/create'), Warnings: asArrayOrNull<string>(res.Warnings, 'Warnings') };
  }

  /** `GET /services/{id}` (id or name) — 404 (`NotFoundError`) when there is no such service. */
  async inspect(id: string, options: ServiceInspectOptions = {}): Promise<Service> {
    const { insertDefaults, ...call } = options;
    return asIdentified<Service>(await this.ctx.requester.json({
      method: 'GET', path: `/services/${pathSegment(id, 'service id')}`, query: { insertDefaults }, ...call,
    }), 'ID', 'GET /services/{id}');
  }

  /** `GET /services` — every service, or those matching the filters. */
  async list(options: ServiceListOptions = {}): Promise<Service[]> {
    const { filters, status, ...call } = options;
    if (status !== undefined) await this.ctx.requires('1.41', 'the service list status option', call.signal);
    return asArray<Service>(await this.ctx.requester.json({
      method: 'GET', path: '/services', query: { filters: filtersQuery(filters), status }, ...call,
    }), 'GET /services');
  }

  /**
   * `POST /services/{id}/update` — the engine replaces the whole spec and
   * wants the version it was based on: berth reads the service, applies
   * `change` (fields given replace, fields left out stay), sends it with the
   * service's `Version.Index` and retries once on a version conflict (see
   * {@link VersionedUpdateOptions.version}). Tasks are then replaced as the
   * spec's `UpdateConfig` says; follow `UpdateStatus` on inspect.
   */
  async update(id: string, change: SpecChange<ServiceSpec>, options: ServiceUpdateOptions = {}): Promise<ServiceUpdateResponse> {
    const { version, auth, registryAuthFrom, rollback, ...call } = options;
    const path = `/services/${pathSegment(id, 'service id')}/update`;
    const headers = registryAuthHeaders(auth);
    const res = await updateVersioned('service update', change, version,
      async () => {
        const service = await this.inspect(id, call);
        return { spec: service.Spec, version: versionIndex(service, 'GET /services/{id}') };
      },
      async (spec, v) => asObject<JsonObject>(await this.ctx.requester.json({
        method: 'POST', path, json: spec, headers,
        query: { version: v, registryAuthFrom, rollback }, ...call,
      }) ?? {}, 'POST /services/{id}/update'));
    return { Warnings: asArrayOrNull<string>(res.Warnings, 'Warnings') };
  }

  /**
   * `GET /services/{id}/logs` — the output of every task of the service,
   * as frames (demultiplexed unless the service runs with a TTY), opened on
   * the first `next()`. `follow` keeps it open until `signal` or `break`.
   * The engine must run the json-file or journald log driver.
   */
  logs(id: string, options: ContainerLogsOptions = {}): LazyStream<Frame> {
    const segment = pathSegment(id, 'service id');
    return openOutputLogs(this.ctx, `/services/${segment}/logs`, async (signal) => {
      const service = await this.inspect(id, { signal });
      return service.Spec?.TaskTemplate?.ContainerSpec?.TTY === true;
    }, options);
  }

  /** `DELETE /services/{id}` — removes the service and shuts its tasks down; 404 when missing. */
  async remove(id: string, options: CallOptions = {}): Promise<void> {
    await this.ctx.requester.empty({ method: 'DELETE', path: `/services/${pathSegment(id, 'service id')}`, ...options });
  }
}
