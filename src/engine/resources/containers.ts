import { Buffer } from 'node:buffer';
import type { Readable } from 'node:stream';
import type { EngineContext } from '../context.js';
import { DockerArgumentError, DockerProtocolError } from '../errors.js';
import { filtersQuery } from '../filters.js';
import { asArray, asArrayOrNull, asObject, isObject, stringField, type JsonObject } from '../json.js';
import { pathSegment, type CallOptions } from '../request.js';
import type { Frame } from '../streams/demux.js';
import type { LazyStream } from '../streams/lazy.js';
import type { AttachedStdio } from '../streams/stdio.js';
import {
  exportContainer, getArchive, putArchive, statPath, type ArchiveOptions, type ContainerPathStat, type PutArchiveOptions,
} from './containers/archive.js';
import { attachContainer, type ContainerAttachOptions } from './containers/attach.js';
import {
  execToBuffers, execToStreams, type ContainerExecBufferOptions, type ContainerExecOptions, type ContainerExecResult,
  type ContainerExecStreams,
} from './containers/exec-run.js';
import { logLines, logsBuffer, openLogs, type ContainerLogsBufferOptions, type ContainerLogsOptions, type LogLine } from './containers/logs.js';
import { containerStats, containerStatsStream, type ContainerStatsOptions } from './containers/stats.js';
import { ExecApi } from './exec.js';
import type {
  ContainerCreateOptions, ContainerKillOptions, ContainerListOptions, ContainerRemoveOptions, ContainerStopOptions,
  ContainerUpdateRequest, ContainerWaitOptions, ContainerWaiter, StateChangeResult,
} from './containers/options.js';

export type {
  ContainerListFilters, ContainerCreateOptions, ContainerListOptions, ContainerStopOptions, ContainerKillOptions,
  ContainerRemoveOptions, WaitCondition, ContainerWaitOptions, ContainerWaiter, StateChangeResult, ContainerUpdateRequest,
} from './containers/options.js';

export { decodePathStat, type ArchiveOptions, type ContainerPathStat, type PutArchiveOptions } from './containers/archive.js';
import type {
  ContainerCreateRequest, ContainerCreateResponse, ContainerInspectResponse, ContainerStatsResponse, ContainerSummary,
  ContainerTopResponse, ContainerUpdateResponse, ContainerWaitResponse, FilesystemChange,
} from '../types/containers.js';

/** Container names the engine accepts (`daemon/names`). */
const CONTAINER_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Containers: create, run, inspect, change and remove them. */
export class ContainersApi {
  protected readonly ctx: EngineContext;
  private readonly execs: ExecApi;

  constructor(ctx: EngineContext) {
    this.ctx = ctx;
    this.execs = new ExecApi(ctx);
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

  /**
   * `GET /containers/{id}/logs` — the output as frames (`{ stream, data }`),
   * opened on the first `next()`:
   *
   * ```ts
   * for await (const { stream, data } of docker.containers.logs(id, { follow: true, signal })) …
   * ```
   *
   * Demultiplexed from the Content-Type on API ≥ 1.42, else from the
   * container's `Config.Tty` (one inspect; a TTY's output is all
   * `stdout`). With `follow` the stream has its own connection without a
   * body timeout and ends when the container stops; `signal` ends it with a
   * `DockerAbortError`, `break` quietly. 404 (`NotFoundError`) from the first
   * `next()` when there is no such container; an engine error frame
   * ("Error grabbing logs") is a `DockerStreamError`.
   */
  logs(id: string, options: ContainerLogsOptions = {}): LazyStream<Frame> {
    return openLogs(this.ctx, id, options);
  }

  /**
   * `GET /containers/{id}/logs` without follow, read whole: stdout and
   * stderr as buffers (stdin echoes count as stdout), at most `maxBytes`.
   */
  logsBuffer(id: string, options: ContainerLogsBufferOptions = {}): Promise<{ stdout: Buffer; stderr: Buffer }> {
    return logsBuffer(this.ctx, id, options);
  }

  /**
   * `GET /containers/{id}/logs` as lines of text (UTF-8), per stream; with
   * `timestamps` each line carries its time. Follows like {@link logs}.
   */
  logLines(id: string, options: ContainerLogsOptions = {}): AsyncGenerator<LogLine, void, undefined> {
    return logLines(this.ctx, id, options);
  }

  /**
   * `POST /containers/{id}/attach` on a hijacked connection: the stdio of
   * the container, as `docker run` uses it — attach before `start` to lose
   * no output. Write stdin with `write`/`send`, half-close it with `end`
   * (a container created with `OpenStdin` and `StdinOnce` then sees end of
   * file), and read the output with `frames()` or `outputStreams()` until
   * the engine closes. 404 when there is no such container, 409 when it is
   * paused.
   */
  attach(id: string, options: ContainerAttachOptions = {}): Promise<AttachedStdio> {
    return attachContainer(this.ctx, id, options);
  }

  /**
   * `GET /containers/{id}/stats?stream=0` — one sample. Without `oneShot`
   * the engine waits for a second sample (about a second) to fill
   * `precpu_stats`. podman sends nothing for a container that is not
   * running: a `DockerProtocolError`.
   */
  stats(id: string, options: ContainerStatsOptions = {}): Promise<ContainerStatsResponse> {
    return containerStats(this.ctx, id, options);
  }

  /**
   * `GET /containers/{id}/stats` — a sample every second, as a stream opened
   * on the first `next()`, until `break` or `signal` (a `DockerAbortError`).
   */
  statsStream(id: string, options: CallOptions = {}): LazyStream<ContainerStatsResponse> {
    return containerStatsStream(this.ctx, id, options);
  }

  /**
   * Runs a command in a running container, as `docker exec` does, and
   * returns its exit code and output: `POST /containers/{id}/exec`,
   * `POST /exec/{id}/start` (hijacked; `stdin` is written, then half-closed
   * while the output is read), and `GET /exec/{id}/json` for the exit code
   * once the output ended. 409 (`ConflictError`) when the container is not
   * running.
   *
   * ```ts
   * const { exitCode, stdout } = await docker.containers.exec(id, ['sh', '-c', 'wc -l'], { stdin: 'a\nb\n' });
   * ```
   */
  exec(id: string, cmd: readonly string[], options: ContainerExecBufferOptions = {}): Promise<ContainerExecResult> {
    return execToBuffers(this.execs, id, cmd, options);
  }

  /**
   * Like {@link exec}, with the output as two Readables (backpressure) and
   * the exit code as a promise that settles once the output has ended —
   * read or destroy both outputs.
   */
  execStream(id: string, cmd: readonly string[], options: ContainerExecOptions = {}): Promise<ContainerExecStreams> {
    return execToStreams(this.execs, id, cmd, options);
  }

  /** `HEAD /containers/{id}/archive` — what is at a path (404 when nothing). */
  statPath(id: string, options: ArchiveOptions): Promise<ContainerPathStat> {
    return statPath(this.ctx, id, options);
  }

  /**
   * `GET /containers/{id}/archive` — a tar of `path` (its basename as root),
   * streamed. The caller reads or destroys `tar`.
   */
  getArchive(id: string, options: ArchiveOptions): Promise<{ stat: ContainerPathStat; tar: Readable }> {
    return getArchive(this.ctx, id, options);
  }

  /** `PUT /containers/{id}/archive` — extracts a tar stream into an existing directory. */
  putArchive(id: string, tar: Readable | Buffer, options: PutArchiveOptions): Promise<void> {
    return putArchive(this.ctx, id, tar, options);
  }

  /**
   * `GET /containers/{id}/export` — the container's filesystem as a tar
   * stream. The caller reads or destroys it.
   */
  export(id: string, options: CallOptions = {}): Promise<Readable> {
    return exportContainer(this.ctx, id, options);
  }
}

/** The request timeout of a stop: the grace period plus slack, never below the default. */
function graceTimeout(t: number | undefined, explicit: number | undefined): number | undefined {
  if (explicit !== undefined) return explicit;
  if (t === undefined) return undefined;
  return Math.max(300_000, (t + 60) * 1000);
}
