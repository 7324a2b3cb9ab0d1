import type { Readable } from 'node:stream';
import type { EngineContext } from '../context.js';
import { DockerArgumentError, DockerProtocolError } from '../errors.js';
import { filtersQuery, type Filters } from '../filters.js';
import { asArray, asArrayOrNull, asObject, isObject, stringField, type JsonObject } from '../json.js';
import { destroyQuietly, pathSegment, type CallOptions } from '../request.js';
import type {
  ContainerCreateRequest, ContainerCreateResponse, ContainerInspectResponse, ContainerSummary, ContainerTopResponse,
  ContainerUpdateResponse, ContainerWaitResponse, FilesystemChange,
} from '../types/containers.js';
import type { Resources, RestartPolicy } from '../types/common.js';

/** Container names the engine accepts (`daemon/names`). */
const CONTAINER_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Filters of `GET /containers/json`. */
export interface ContainerListFilters extends Filters {
  ancestor?: readonly string[];
  before?: readonly string[];
  expose?: readonly string[];
  exited?: readonly number[];
  health?: ReadonlyArray<'starting' | 'healthy' | 'unhealthy' | 'none'>;
  id?: readonly string[];
  isolation?: readonly string[];
  'is-task'?: readonly boolean[];
  /** `key` or `key=value`. */
  label?: readonly string[];
  /** A name filter is a regular-expression match, not exact: check `Names` for an exact name. */
  name?: readonly string[];
  network?: readonly string[];
  publish?: readonly string[];
  since?: readonly string[];
  status?: ReadonlyArray<'created' | 'restarting' | 'running' | 'removing' | 'paused' | 'exited' | 'dead'>;
  volume?: readonly string[];
}

export interface ContainerCreateOptions extends CallOptions {
  /** Container name (`^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$`); checked before sending. */
  name?: string;
  /** `os[/arch[/variant]]` of the image to use (API ≥ 1.41). */
  platform?: string;
}

export interface ContainerListOptions extends CallOptions {
  /** Include stopped containers (default: running only). */
  all?: boolean;
  limit?: number;
  /** Include `SizeRw` and `SizeRootFs` (slow). */
  size?: boolean;
  filters?: ContainerListFilters;
}

export interface ContainerStopOptions extends CallOptions {
  /** Seconds to wait before killing (default: the container's StopTimeout, usually 10). */
  t?: number;
  /** Signal to stop with, e.g. `SIGINT` (API ≥ 1.42; default: the container's StopSignal). */
  stopSignal?: string;
}

export interface ContainerKillOptions extends CallOptions {
  /** Signal to send (default `SIGKILL`). */
  killSignal?: string;
}

export interface ContainerRemoveOptions extends CallOptions {
  /** Kill a running container first. */
  force?: boolean;
  /** Remove its anonymous volumes too (`v`). */
  volumes?: boolean;
  /** Remove a legacy link instead of the container. */
  link?: boolean;
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export interface ContainerWaitOptions extends CallOptions {
  /** `not-running` (default), `next-exit` (issue before start), or `removed` (with AutoRemove). */
  condition?: WaitCondition;
}

/** A wait registered with the engine: `result` settles when the condition is met. */
export interface ContainerWaiter {
  readonly result: Promise<ContainerWaitResponse>;
  /** Stops waiting (closes the request); `result` rejects with the abort reason. */
  cancel(reason?: unknown): void;
}

/** The result of start/stop/restart/pause/unpause: `changed: false` when the engine answered 304. */
export interface StateChangeResult {
  readonly changed: boolean;
}

/** The body of `POST /containers/{id}/update`. */
export interface ContainerUpdateRequest extends Resources {
  RestartPolicy?: RestartPolicy;
}

/** What `X-Docker-Container-Path-Stat` says about a path in a container. */
export interface ContainerPathStat {
  name: string;
  size: number;
  /** A Go `os.FileMode`: type bits high (dir 1<<31, symlink 1<<27), permissions low. */
  mode: number;
  mtime: string;
  linkTarget: string;
}

export interface ArchiveOptions extends CallOptions {
  /** Path in the container. */
  path: string;
}

export interface PutArchiveOptions extends ArchiveOptions {
  /** Fail if a directory would replace a non-directory (or the reverse). */
  noOverwriteDirNonDir?: boolean;
  /** Keep the archive's uid/gid. */
  copyUIDGID?: boolean;
}

/** Containers: create, run, inspect, change and remove them. */
export class ContainersApi {
  protected readonly ctx: EngineContext;

  constructor(ctx: EngineContext) {
    this.ctx = ctx;
  }

  /**
   * `POST /containers/create`. 404 (`NotFoundError`) when the image is not
   * there; 409 (`ConflictError`) when the name is in use.
   */
  async create(body: ContainerCreateRequest, options: ContainerCreateOptions = {}): Promise<ContainerCreateResponse> {
    const { name, platform, ...call } = options;
    if (name !== undefined && !CONTAINER_NAME.test(name)) {
      throw new DockerArgumentError(`container name "${name}" is invalid: use [a-zA-Z0-9][a-zA-Z0-9_.-]+`);
    }
    if (!isObject(body) || typeof body.Image !== 'string' || body.Image === '') {
      throw new DockerArgumentError('container create: Image must be a non-empty string');
    }
    if (platform !== undefined) await this.ctx.requires('1.41', 'the create platform option', call.signal);
    const res = asObject<JsonObject>(await this.ctx.requester.json({
      method: 'POST', path: '/containers/create', query: { name, platform }, json: body, ...call,
    }), 'POST /containers/create');
    return { Id: stringField(res, 'Id', 'POST /containers/create'), Warnings: asArrayOrNull<string>(res.Warnings, 'Warnings') };
  }

  /** `GET /containers/{id}/json` — 404 (`NotFoundError`) when there is no such container. */
  async inspect(id: string, options: CallOptions & { size?: boolean } = {}): Promise<ContainerInspectResponse> {
    const { size, ...call } = options;
    const v = await this.ctx.requester.json({ method: 'GET', path: `/containers/${pathSegment(id, 'container id')}/json`, query: { size }, ...call });
    const obj = asObject<JsonObject>(v, 'GET /containers/{id}/json');
    stringField(obj, 'Id', 'GET /containers/{id}/json');
    return obj as unknown as ContainerInspectResponse;
  }

  /** `GET /containers/json` — running containers, or all with `all: true`. */
  async list(options: ContainerListOptions = {}): Promise<ContainerSummary[]> {
    const { all, limit, size, filters, ...call } = options;
    const v = await this.ctx.requester.json({
      method: 'GET', path: '/containers/json', query: { all, limit, size, filters: filtersQuery(filters) }, ...call,
    });
    return asArray<ContainerSummary>(v, 'GET /containers/json');
  }

  /** `POST /containers/{id}/start` — `{ changed: false }` when it was already running (304). */
  async start(id: string, options: CallOptions = {}): Promise<StateChangeResult> {
    const res = await this.ctx.requester.empty({
      method: 'POST', path: `/containers/${pathSegment(id, 'container id')}/start`, okStatuses: [304], ...options,
    });
    return { changed: res.statusCode !== 304 };
  }

  /** `POST /containers/{id}/stop` — `{ changed: false }` when it was already stopped (304). */
  async stop(id: string, options: ContainerStopOptions = {}): Promise<StateChangeResult> {
    const { t, stopSignal, ...call } = options;
    if (stopSignal !== undefined) await this.ctx.requires('1.42', 'the stop signal option', call.signal);
    const res = await this.ctx.requester.empty({
      method: 'POST', path: `/containers/${pathSegment(id, 'container id')}/stop`, query: { t, signal: stopSignal },
      okStatuses: [304], ...call, timeout: graceTimeout(t, call.timeout),
    });
    return { changed: res.statusCode !== 304 };
  }

  /** `POST /containers/{id}/restart` */
  async restart(id: string, options: ContainerStopOptions = {}): Promise<void> {
    const { t, stopSignal, ...call } = options;
    if (stopSignal !== undefined) await this.ctx.requires('1.42', 'the restart signal option', call.signal);
    await this.ctx.requester.empty({
      method: 'POST', path: `/containers/${pathSegment(id, 'container id')}/restart`, query: { t, signal: stopSignal },
      ...call, timeout: graceTimeout(t, call.timeout),
    });
  }

  /** `POST /containers/{id}/kill` — 409 (`ConflictError`) when it is not running. */
  async kill(id: string, options: ContainerKillOptions = {}): Promise<void> {
    const { killSignal, ...call } = options;
    await this.ctx.requester.empty({ method: 'POST', path: `/containers/${pathSegment(id, 'container id')}/kill`, query: { signal: killSignal }, ...call });
  }

  /**
   * `POST /containers/{id}/wait` — resolves when the condition is met. To
   * lose no exit, register the wait before starting: see {@link waiter}.
   */
  async wait(id: string, options: ContainerWaitOptions = {}): Promise<ContainerWaitResponse> {
    const w = await this.waiter(id, options);
    return w.result;
  }

  /**
   * `POST /containers/{id}/wait`, in two steps like `docker run`: resolves
   * once the engine has registered the wait (its headers arrived), so a
   * `start` issued afterwards cannot be missed; `result` settles at exit.
   */
  async waiter(id: string, options: ContainerWaitOptions = {}): Promise<ContainerWaiter> {
    const { condition, signal, timeout } = options;
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const res = await this.ctx.requester.send({
      method: 'POST', path: `/containers/${pathSegment(id, 'container id')}/wait`, query: { condition },
      stream: true, signal: controller.signal, timeout,
    }).catch((err: unknown) => {
      signal?.removeEventListener('abort', onAbort);
      throw err;
    });
    const result = this.ctx.requester.collect(res, 1 << 20, 'POST /containers/{id}/wait').then((buf) => {
      const text = buf.toString('utf8').trim();
      let parsed: unknown;
      try { parsed = JSON.parse(text) as unknown; } catch {
        throw new DockerProtocolError(`POST /containers/{id}/wait: the engine sent no wait result (${JSON.stringify(text.slice(0, 80))})`);
      }
      const obj = asObject<JsonObject>(parsed, 'POST /containers/{id}/wait');
      if (typeof obj.StatusCode !== 'number') throw new DockerProtocolError('POST /containers/{id}/wait: no StatusCode in the result');
      return obj as unknown as ContainerWaitResponse;
    }).finally(() => signal?.removeEventListener('abort', onAbort));
    result.catch(() => undefined); // the caller may never look at it after cancel()
    return {
      result,
      cancel: (reason?: unknown) => controller.abort(reason),
    };
  }

  /** `DELETE /containers/{id}` — 409 (`ConflictError`) when running without `force`, or removal is in progress. */
  async remove(id: string, options: ContainerRemoveOptions = {}): Promise<void> {
    const { force, volumes, link, ...call } = options;
    await this.ctx.requester.empty({
      method: 'DELETE', path: `/containers/${pathSegment(id, 'container id')}`, query: { force, v: volumes, link }, ...call,
    });
  }

  /** `GET /containers/{id}/top` — the processes running in a container. */
  async top(id: string, options: CallOptions & { psArgs?: string } = {}): Promise<ContainerTopResponse> {
    const { psArgs, ...call } = options;
    return asObject<ContainerTopResponse>(await this.ctx.requester.json({
      method: 'GET', path: `/containers/${pathSegment(id, 'container id')}/top`, query: { ps_args: psArgs }, ...call,
    }), 'GET /containers/{id}/top');
  }

  /** `GET /containers/{id}/changes` — filesystem changes since creation. */
  async changes(id: string, options: CallOptions = {}): Promise<FilesystemChange[]> {
    return asArrayOrNull<FilesystemChange>(await this.ctx.requester.json({
      method: 'GET', path: `/containers/${pathSegment(id, 'container id')}/changes`, ...options,
    }), 'GET /containers/{id}/changes');
  }

  /** `POST /containers/prune` — removes stopped containers. */
  async prune(options: CallOptions & { filters?: { until?: readonly string[]; label?: readonly string[]; 'label!'?: readonly string[] } } = {}): Promise<{ ContainersDeleted: string[]; SpaceReclaimed: number }> {
    const { filters, ...call } = options;
    const v = asObject<JsonObject>(await this.ctx.requester.json({
      method: 'POST', path: '/containers/prune', query: { filters: filtersQuery(filters) }, ...call,
    }), 'POST /containers/prune');
    return {
      ContainersDeleted: asArrayOrNull<string>(v.ContainersDeleted, 'ContainersDeleted'),
      SpaceReclaimed: typeof v.SpaceReclaimed === 'number' ? v.SpaceReclaimed : 0,
    };
  }

  /** `POST /containers/{id}/update` — change resources and the restart policy of a container. */
  async update(id: string, body: ContainerUpdateRequest, options: CallOptions = {}): Promise<ContainerUpdateResponse> {
    return asObject<ContainerUpdateResponse>(await this.ctx.requester.json({
      method: 'POST', path: `/containers/${pathSegment(id, 'container id')}/update`, json: body, ...options,
    }), 'POST /containers/{id}/update');
  }

  /** `POST /containers/{id}/rename` — 409 (`ConflictError`) when the new name is in use. */
  async rename(id: string, name: string, options: CallOptions = {}): Promise<void> {
    if (!CONTAINER_NAME.test(name)) throw new DockerArgumentError(`container name "${name}" is invalid: use [a-zA-Z0-9][a-zA-Z0-9_.-]+`);
    await this.ctx.requester.empty({ method: 'POST', path: `/containers/${pathSegment(id, 'container id')}/rename`, query: { name }, ...options });
  }

  /** `POST /containers/{id}/pause` */
  async pause(id: string, options: CallOptions = {}): Promise<void> {
    await this.ctx.requester.empty({ method: 'POST', path: `/containers/${pathSegment(id, 'container id')}/pause`, ...options });
  }

  /** `POST /containers/{id}/unpause` */
  async unpause(id: string, options: CallOptions = {}): Promise<void> {
    await this.ctx.requester.empty({ method: 'POST', path: `/containers/${pathSegment(id, 'container id')}/unpause`, ...options });
  }

  /** `POST /containers/{id}/resize` — the TTY size. */
  async resize(id: string, size: { h: number; w: number }, options: CallOptions = {}): Promise<void> {
    await this.ctx.requester.empty({ method: 'POST', path: `/containers/${pathSegment(id, 'container id')}/resize`, query: { h: size.h, w: size.w }, ...options });
  }

  /** `HEAD /containers/{id}/archive` — what is at a path (404 when nothing). */
  async statPath(id: string, options: ArchiveOptions): Promise<ContainerPathStat> {
    const { path, ...call } = options;
    const res = await this.ctx.requester.empty({ method: 'HEAD', path: `/containers/${pathSegment(id, 'container id')}/archive`, query: { path }, ...call });
    return decodePathStat(res.header('x-docker-container-path-stat'));
  }

  /**
   * `GET /containers/{id}/archive` — a tar of `path` (its basename as root),
   * streamed. The caller reads or destroys `tar`.
   */
  async getArchive(id: string, options: ArchiveOptions): Promise<{ stat: ContainerPathStat; tar: Readable }> {
    const { path, ...call } = options;
    const res = await this.ctx.requester.send({
      method: 'GET', path: `/containers/${pathSegment(id, 'container id')}/archive`, query: { path }, stream: true, ...call,
    });
    try {
      return { stat: decodePathStat(res.header('x-docker-container-path-stat')), tar: res.body };
    } catch (err) {
      destroyQuietly(res.body);
      throw err;
    }
  }

  /** `PUT /containers/{id}/archive` — extracts a tar stream into an existing directory. */
  async putArchive(id: string, tar: Readable | Buffer, options: PutArchiveOptions): Promise<void> {
    const { path, noOverwriteDirNonDir, copyUIDGID, ...call } = options;
    await this.ctx.requester.empty({
      method: 'PUT', path: `/containers/${pathSegment(id, 'container id')}/archive`,
      query: { path, noOverwriteDirNonDir, copyUIDGID }, body: tar, contentType: 'application/x-tar', ...call,
    });
  }

  /**
   * `GET /containers/{id}/export` — the container's filesystem as a tar
   * stream. The caller reads or destroys it.
   */
  async export(id: string, options: CallOptions = {}): Promise<Readable> {
    const res = await this.ctx.requester.send({ method: 'GET', path: `/containers/${pathSegment(id, 'container id')}/export`, stream: true, ...options });
    return res.body;
  }
}

/** The request timeout of a stop: the grace period plus slack, never below the default. */
function graceTimeout(t: number | undefined, explicit: number | undefined): number | undefined {
  if (explicit !== undefined) return explicit;
  if (t === undefined) return undefined;
  return Math.max(300_000, (t + 60) * 1000);
}

/** Decodes `X-Docker-Container-Path-Stat` (standard base64 of JSON). */
export function decodePathStat(header: string | undefined): ContainerPathStat {
  if (!header) throw new DockerProtocolError('the engine sent no X-Docker-Container-Path-Stat header');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as unknown;
  } catch (err) {
    throw new DockerProtocolError('X-Docker-Container-Path-Stat is not base64 JSON', { cause: err });
  }
  const o = asObject<JsonObject>(parsed, 'X-Docker-Container-Path-Stat');
  return {
    name: typeof o.name === 'string' ? o.name : '',
    size: typeof o.size === 'number' ? o.size : 0,
    mode: typeof o.mode === 'number' ? o.mode : 0,
    mtime: typeof o.mtime === 'string' ? o.mtime : '',
    linkTarget: typeof o.linkTarget === 'string' ? o.linkTarget : '',
  };
}

