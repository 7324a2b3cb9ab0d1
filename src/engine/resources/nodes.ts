import type { EngineContext } from '../context.js';
import { filtersQuery, type Filters } from '../filters.js';
import { asArray, asIdentified } from '../json.js';
import { pathSegment, type CallOptions } from '../request.js';
import type { Node, NodeSpec } from '../types/swarm.js';
import { updateVersioned, versionIndex, type SpecChange, type VersionedUpdateOptions } from './versioned.js';

/** Filters of `GET /nodes`. */
export interface NodeListFilters extends Filters {
  id?: readonly string[];
  /** An engine label (`key` or `key=value`), as set in the engine's configuration. */
  label?: readonly string[];
  membership?: ReadonlyArray<'accepted' | 'pending'>;
  name?: readonly string[];
  /** A node label (`key` or `key=value`), as set with {@link NodesApi.update}. */
  'node.label'?: readonly string[];
  role?: ReadonlyArray<'manager' | 'worker'>;
}

/** Options of {@link NodesApi.list}. */
export interface NodeListOptions extends CallOptions {
  filters?: NodeListFilters;
}

/** Options of {@link NodesApi.remove}. */
export interface NodeRemoveOptions extends CallOptions {
  /** Remove a node that is still up (it is then cut off from the swarm). */
  force?: boolean;
}

/** The nodes of the swarm (manager only: 503 `UnavailableError` elsewhere). */
export class NodesApi {
  protected readonly ctx: EngineContext;

  constructor(ctx: EngineContext) {
    this.ctx = ctx;
  }

  /** `GET /nodes` — every node, or those matching the filters. */
  async list(options: NodeListOptions = {}): Promise<Node[]> {
    const { filters, ...call } = options;
    return asArray<Node>(await this.ctx.requester.json({
      method: 'GET', path: '/nodes', query: { filters: filtersQuery(filters) }, ...call,
    }), 'GET /nodes');
  }

  /** `GET /nodes/{id}` (id or hostname) — 404 (`NotFoundError`) when there is no such node. */
  async inspect(id: string, options: CallOptions = {}): Promise<Node> {
    return asIdentified<Node>(await this.ctx.requester.json({
      method: 'GET', path: `/nodes/${pathSegment(id, 'node id')}`, ...options,
    }), 'ID', 'GET /nodes/{id}');
  }

  /**
   * `POST /nodes/{id}/update` — changes a node's availability
   * (`active`, `pause`, `drain`), labels or role. The engine replaces the
   * whole spec and wants the version it was based on: berth reads the node,
   * applies `change` (fields given replace, fields left out stay), sends it
   * with the node's `Version.Index`, and retries once when another writer
   * got in between (see {@link VersionedUpdateOptions.version}).
   *
   * ```ts
   * await docker.nodes.update(id, { Availability: 'drain' });
   * await docker.nodes.update(id, (spec) => ({ ...spec, Labels: { ...spec.Labels, zone: 'a' } }));
   * ```
   */
  async update(id: string, change: SpecChange<NodeSpec>, options: VersionedUpdateOptions = {}): Promise<void> {
    const { version, ...call } = options;
    const path = `/nodes/${pathSegment(id, 'node id')}/update`;
    await updateVersioned('node update', change, version,
      async () => {
        const node = await this.inspect(id, call);
        return { spec: node.Spec, version: versionIndex(node, 'GET /nodes/{id}') };
      },
      (spec, v) => this.ctx.requester.empty({ method: 'POST', path, query: { version: v }, json: spec, ...call }));
  }

  /** `DELETE /nodes/{id}` — removes a node from the swarm (a node that is up needs `force`). */
  async remove(id: string, options: NodeRemoveOptions = {}): Promise<void> {
    const { force, ...call } = options;
    await this.ctx.requester.empty({ method: 'DELETE', path: `/nodes/${pathSegment(id, 'node id')}`, query: { force }, ...call });
  }
}
