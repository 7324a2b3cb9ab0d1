import type { CallOptions } from '../../request.js';
import type { Filters } from '../../filters.js';
import type { Resources, RestartPolicy } from '../../types/common.js';
import type { ContainerWaitResponse } from '../../types/containers.js';

/** Options and results of the container calls. */

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
