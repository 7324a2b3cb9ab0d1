import type { EngineContext } from '../context.js';
import { DockerArgumentError, DockerProtocolError } from '../errors.js';
import { asIdentified, asObject, isObject, type JsonObject } from '../json.js';
import type { CallOptions } from '../request.js';
import type { Swarm, SwarmInitRequest, SwarmJoinRequest, SwarmSpec, SwarmUnlockRequest, UnlockKeyResponse } from '../types/swarm.js';
import { updateVersioned, versionIndex, type SpecChange, type VersionedUpdateOptions } from './versioned.js';

/** Options of {@link SwarmApi.leave}. */
export interface SwarmLeaveOptions extends CallOptions {
  /** Leave even as the last manager (which erases the swarm) or when it breaks the quorum. */
  force?: boolean;
}

/** Options of {@link SwarmApi.update}. */
export interface SwarmUpdateOptions extends VersionedUpdateOptions {
  rotateWorkerToken?: boolean;
  rotateManagerToken?: boolean;
  rotateManagerUnlockKey?: boolean;
}

/**
 * The swarm this engine belongs to: create one, join one, leave it, change
 * its settings. Calls that need a manager fail with a 503
 * (`UnavailableError`) on an engine that is not one; podman has no swarm
 * (404, `NotFoundError`). Nodes, services, tasks, secrets and configs are
 * the sibling groups `docker.nodes`, `docker.services`, `docker.tasks`,
 * `docker.secrets` and `docker.configs`.
 */
export class SwarmApi {
  protected readonly ctx: EngineContext;

  constructor(ctx: EngineContext) {
    this.ctx = ctx;
  }

  /** `GET /swarm` — the swarm and its join tokens; 503 (`UnavailableError`) when this engine is not a manager. */
  async inspect(options: CallOptions = {}): Promise<Swarm> {
    return asIdentified<Swarm>(await this.ctx.requester.json({ method: 'GET', path: '/swarm', ...options }), 'ID', 'GET /swarm');
  }

  /**
   * `POST /swarm/init` — makes this engine the first manager of a new
   * swarm; resolves with its node id. 503 (`UnavailableError`) when it is
   * already in a swarm.
   */
  async init(body: SwarmInitRequest = {}, options: CallOptions = {}): Promise<string> {
    const v = await this.ctx.requester.json({ method: 'POST', path: '/swarm/init', json: body, ...options }, 'POST /swarm/init');
    if (typeof v !== 'string' || v === '') throw new DockerProtocolError('POST /swarm/init: the engine sent no node id');
    return v;
  }

  /**
   * `POST /swarm/join` — joins the swarm of `RemoteAddrs` as a worker or a
   * manager (as the token says). 503 (`UnavailableError`) when already in a
   * swarm; the join token never appears in errors.
   */
  async join(body: SwarmJoinRequest, options: CallOptions = {}): Promise<void> {
    if (!isObject(body) || typeof body.ListenAddr !== 'string' || body.ListenAddr === '') {
      throw new DockerArgumentError('swarm join: ListenAddr must be a non-empty string');
    }
    if (!Array.isArray(body.RemoteAddrs) || body.RemoteAddrs.length === 0 || !body.RemoteAddrs.every((a) => typeof a === 'string' && a !== '')) {
      throw new DockerArgumentError('swarm join: RemoteAddrs must list at least one manager address');
    }
    if (typeof body.JoinToken !== 'string' || body.JoinToken === '') throw new DockerArgumentError('swarm join: JoinToken must be a non-empty string');
    await this.ctx.requester.empty({ method: 'POST', path: '/swarm/join', json: body, ...options });
  }

  /**
   * `POST /swarm/leave` — 503 (`UnavailableError`) when not in a swarm, or
   * when this is the last manager and `force` is not set. The engine keeps
   * its `docker_gwbridge` network: remove it (`networks.remove`) to free the
   * host interface. dockerd 20.10 can fail to remove its ingress network
   * when the leave races a node update (or the ingress setup right after
   * init); docker_gwbridge then stays in use until the engine restarts.
   */
  async leave(options: SwarmLeaveOptions = {}): Promise<void> {
    const { force, ...call } = options;
    await this.ctx.requester.empty({ method: 'POST', path: '/swarm/leave', query: { force }, ...call });
  }

  /**
   * `POST /swarm/update` — changes the swarm's spec (see
   * {@link VersionedUpdateOptions.version} for how the version is found),
   * and rotates join tokens or the unlock key on request.
   */
  async update(change: SpecChange<SwarmSpec>, options: SwarmUpdateOptions = {}): Promise<void> {
    const { version, rotateWorkerToken, rotateManagerToken, rotateManagerUnlockKey, ...call } = options;
    await updateVersioned('swarm update', change, version,
      async () => {
        const swarm = await this.inspect(call);
        return { spec: swarm.Spec ?? {}, version: versionIndex(swarm, 'GET /swarm') };
      },
      (spec, v) => this.ctx.requester.empty({
        method: 'POST', path: '/swarm/update', json: spec,
        query: { version: v, rotateWorkerToken, rotateManagerToken, rotateManagerUnlockKey }, ...call,
      }));
  }

  /** `GET /swarm/unlockkey` — the key that unlocks a manager after a restart; empty when autolock is off. */
  async unlockKey(options: CallOptions = {}): Promise<UnlockKeyResponse> {
    const obj = asObject<JsonObject>(await this.ctx.requester.json({ method: 'GET', path: '/swarm/unlockkey', ...options }), 'GET /swarm/unlockkey');
    return { UnlockKey: typeof obj.UnlockKey === 'string' ? obj.UnlockKey : '' };
  }

  /** `POST /swarm/unlock` — unlocks a locked manager with its unlock key. */
  async unlock(body: SwarmUnlockRequest, options: CallOptions = {}): Promise<void> {
    if (!isObject(body) || typeof body.UnlockKey !== 'string' || body.UnlockKey === '') {
      throw new DockerArgumentError('swarm unlock: UnlockKey must be a non-empty string');
    }
    await this.ctx.requester.empty({ method: 'POST', path: '/swarm/unlock', json: body, ...options });
  }
}
