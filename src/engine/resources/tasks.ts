import type { EngineContext } from '../context.js';
import { filtersQuery, type Filters } from '../filters.js';
import { asArray, asIdentified } from '../json.js';
import { pathSegment, type CallOptions } from '../request.js';
import type { Task } from '../types/swarm.js';
import type { Frame } from '../streams/demux.js';
import type { LazyStream } from '../streams/lazy.js';
import { openOutputLogs, type ContainerLogsOptions } from './containers/logs.js';

/** Filters of `GET /tasks`. */
export interface TaskListFilters extends Filters {
  'desired-state'?: ReadonlyArray<'running' | 'shutdown' | 'accepted'>;
  id?: readonly string[];
  /** `key` or `key=value`. */
  label?: readonly string[];
  name?: readonly string[];
  /** A node id or hostname. */
  node?: readonly string[];
  /** A service id or name. */
  service?: readonly string[];
}

/** Options of {@link TasksApi.list}. */
export interface TaskListOptions extends CallOptions {
  filters?: TaskListFilters;
}

/**
 * Swarm tasks: the scheduled instances of services (manager only: 503
 * `UnavailableError` elsewhere). A task's container is
 * `Status.ContainerStatus.ContainerID` on the node `NodeID`.
 */
export class TasksApi {
  protected readonly ctx: EngineContext;

  constructor(ctx: EngineContext) {
    this.ctx = ctx;
  }

  /** `GET /tasks` — every task (finished ones too, up to the swarm's history limit), or those matching the filters. */
  async list(options: TaskListOptions = {}): Promise<Task[]> {
    const { filters, ...call } = options;
    return asArray<Task>(await this.ctx.requester.json({
      method: 'GET', path: '/tasks', query: { filters: filtersQuery(filters) }, ...call,
    }), 'GET /tasks');
  }

  /** `GET /tasks/{id}` — 404 (`NotFoundError`) when there is no such task. */
  async inspect(id: string, options: CallOptions = {}): Promise<Task> {
    return asIdentified<Task>(await this.ctx.requester.json({
      method: 'GET', path: `/tasks/${pathSegment(id, 'task id')}`, ...options,
    }), 'ID', 'GET /tasks/{id}');
  }

  /**
   * `GET /tasks/{id}/logs` — one task's output as frames (demultiplexed
   * unless it runs with a TTY), opened on the first `next()`.
   */
  logs(id: string, options: ContainerLogsOptions = {}): LazyStream<Frame> {
    const segment = pathSegment(id, 'task id');
    return openOutputLogs(this.ctx, `/tasks/${segment}/logs`, async (signal) => {
      const task = await this.inspect(id, { signal });
      return task.Spec?.ContainerSpec?.TTY === true;
    }, options);
  }
}
