import { EventEmitter } from 'node:events';
import { DockerAbortError, DockerConnectionError, type Docker } from '../engine/index.js';
import type { Clock } from './clock.js';
import { EnginePoolError, asError } from './errors.js';
import { EngineHealth } from './pool/engine-health.js';
import type { EnginePoolEventBody, EnginePoolEvent, EnginePoolEvents } from './pool/pool-events.js';
import { poolSettings, type EnginePoolOptions, type PoolEngineSettings } from './pool/pool-options.js';
import { place, type EngineLoad, type PlacementRequest } from './pool/placement.js';
import { reapOrphans, type ReapOptions, type ReapResult } from './reaper.js';

/** What a start asks of {@link EnginePool.acquire}. */
export interface EngineRequest extends PlacementRequest {
  /** The worker asking (events). */
  readonly worker: string;
  /** Gives up waiting for a slot. */
  readonly signal?: AbortSignal;
}

/**
 * An engine handed to one worker for one instance: held from the start of
 * the instance until it is gone. Give it back with {@link release} (once;
 * later calls are ignored).
 */
export interface EngineLease {
  /** The engine's name in the pool. */
  readonly engine: string;
  readonly docker: Docker;
  /** The start is over (it succeeded or failed): frees its start slot; the worker slot stays until {@link release}. */
  started(): void;
  /** The start could not reach the engine: the engine is down until a health check finds it answering. */
  unreachable(cause: unknown): void;
  /** The instance is gone: frees the engine's worker slot. */
  release(): void;
}

/** One engine's state, as {@link EnginePool.engines} reports it (the limits as configured; undefined: none). */
export type PoolEngineStatus = Omit<EngineLoad, 'weight' | 'lastPicked' | 'maxStarts'> & { readonly maxConcurrentStarts: number | undefined };

/** What {@link EnginePool.reapOrphans} did on one engine. */
export type PoolReapResult =
  | ({ readonly engine: string; readonly error?: undefined } & ReapResult)
  | { readonly engine: string; readonly error: Error };

interface EngineState {
  readonly settings: PoolEngineSettings;
  readonly health: EngineHealth;
  workers: number;
  starting: number;
  lastPicked: number;
}

interface Waiter {
  readonly request: EngineRequest;
  readonly resolve: (lease: EngineLease) => void;
  readonly reject: (err: Error) => void;
  readonly cleanup: () => void;
}

/**
 * Several engines, each its own `Docker` client, shared by latent workers:
 * each start draws the least busy engine that carries the labels the worker
 * requires, within each engine's limits (workers at once, starts at once),
 * and gives it back when its instance is gone. Engines are pinged on the
 * pool's clock; one that stops answering — or that a start could not reach
 * — gets no starts until it answers again. Placement decisions and health
 * changes are `event`s.
 *
 * ```ts
 * const pool = new EnginePool({ engines: [
 *   { name: 'a', docker: new Docker({ host: 'tcp://build-a:2376' }), maxWorkers: 8, maxConcurrentStarts: 2 },
 *   { name: 'b', docker: new Docker({ host: 'tcp://build-b:2376' }), labels: { arch: 'arm64' } },
 * ] });
 * const worker = new DockerLatentWorker({ name: 'w1', image: 'buildbot/buildbot-worker', pool });
 * ```
 *
 * The pool never closes the clients it was given; {@link close} stops its pings.
 */
export class EnginePool extends EventEmitter<EnginePoolEvents> {
  private readonly clock: Clock;
  private readonly states: EngineState[];
  private readonly waiters: Waiter[] = [];
  private picks = 0;
  private closed = false;

  /** @throws WorkerConfigError listing every invalid option */
  constructor(options: EnginePoolOptions) {
    super();
    const settings = poolSettings(options);
    this.clock = settings.clock;
    this.states = settings.engines.map((s) => {
      const state: EngineState = {
        settings: s, workers: 0, starting: 0, lastPicked: 0,
        health: new EngineHealth(s.docker, settings.clock, settings.healthIntervalMs, settings.healthTimeoutMs, (up, reason) => {
          this.report(up ? { type: 'engine-up', engine: s.name } : { type: 'engine-down', engine: s.name, reason });
          // up: waiting starts may fit now; down: those that had only this engine are told there is none
          this.pump();
        }),
      };
      return state;
    });
  }

  /** Every engine's state now. */
  get engines(): PoolEngineStatus[] {
    return this.loads().map(({ weight, lastPicked, maxStarts, ...status }) => ({ ...status, maxConcurrentStarts: maxStarts }));
  }

  /** The client of engine `name`. @throws EnginePoolError when the pool has no such engine */
  docker(name: string): Docker {
    return this.state(name).settings.docker;
  }

  /**
   * An engine for one start (see `pool/placement.ts` for the rule). Waits
   * while every engine that could take it is at a limit; rejects with an
   * {@link EnginePoolError} when none can (labels, down, excluded), and with
   * a `DockerAbortError` when `signal` aborts the wait.
   */
  acquire(request: EngineRequest): Promise<EngineLease> {
    if (this.closed) return Promise.reject(new EnginePoolError('the engine pool is closed'));
    if (request.signal?.aborted === true) return Promise.reject(abortError(request.signal));
    return new Promise<EngineLease>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(abortError(request.signal));
      };
      const waiter: Waiter = { request, resolve, reject, cleanup: () => request.signal?.removeEventListener('abort', onAbort) };
      request.signal?.addEventListener('abort', onAbort, { once: true });
      if (!this.tryPlace(waiter, true)) this.waiters.push(waiter);
    });
  }

  /** Pings every engine now; resolves with the engines' states afterwards. */
  async checkHealth(): Promise<PoolEngineStatus[]> {
    await Promise.all(this.states.map((s) => s.health.check()));
    return this.engines;
  }

  /**
   * Removes the orphans of master `masterId` on every engine of the pool
   * (see `reapOrphans`), engine by engine; an engine that cannot be swept
   * (down, refusing) is reported with its error and the others are still swept.
   */
  async reapOrphans(masterId: string, options: Omit<ReapOptions, 'docker' | 'masterId'> = {}): Promise<PoolReapResult[]> {
    return Promise.all(this.states.map(async (s): Promise<PoolReapResult> => {
      try {
        return { engine: s.settings.name, ...await reapOrphans({ ...options, docker: s.settings.docker, masterId }) };
      } catch (err) {
        return { engine: s.settings.name, error: asError(err) };
      }
    }));
  }

  /** Stops the health checks; waiting starts are rejected. Leases out stay valid. The clients are the caller's. */
  close(): void {
    this.closed = true;
    for (const s of this.states) s.health.close();
    for (const w of this.waiters.splice(0)) {
      w.cleanup();
      w.reject(new EnginePoolError('the engine pool was closed while the start waited for an engine'));
    }
  }

  private state(name: string): EngineState {
    const s = this.states.find((x) => x.settings.name === name);
    if (s === undefined) throw new EnginePoolError(`the engine pool has no engine "${name}"`);
    return s;
  }

  private loads(): EngineLoad[] {
    return this.states.map((s) => ({
      name: s.settings.name, up: s.health.up, labels: s.settings.labels, workers: s.workers, starting: s.starting,
      maxWorkers: s.settings.maxWorkers, maxStarts: s.settings.maxStarts, weight: s.settings.weight, lastPicked: s.lastPicked,
    }));
  }

  /** Places a waiter if it can be; true when it was settled (granted or rejected). */
  private tryPlace(waiter: Waiter, first: boolean): boolean {
    const { request } = waiter;
    const decision = place(this.loads(), request);
    if (decision.kind === 'wait') {
      if (first) this.report({ type: 'waiting', worker: request.worker, reason: decision.reason });
      return false;
    }
    waiter.cleanup();
    if (decision.kind === 'none') {
      this.report({ type: 'unplaced', worker: request.worker, reason: decision.reason });
      waiter.reject(new EnginePoolError(`no engine for worker "${request.worker}": ${decision.reason}`));
      return true;
    }
    const s = this.state(decision.engine);
    s.workers++;
    s.starting++;
    s.lastPicked = ++this.picks;
    this.report({ type: 'placed', worker: request.worker, engine: s.settings.name, workers: s.workers });
    waiter.resolve(this.lease(s, request.worker));
    return true;
  }

  private lease(s: EngineState, worker: string): EngineLease {
    let starting = true;
    let held = true;
    const started = (): void => {
      if (!starting) return;
      starting = false;
      s.starting--;
      this.pump();
    };
    return {
      engine: s.settings.name,
      docker: s.settings.docker,
      started,
      unreachable: (cause) => s.health.markDown(asError(cause).message),
      release: () => {
        if (!held) return;
        held = false;
        if (starting) {
          starting = false;
          s.starting--;
        }
        s.workers--;
        this.report({ type: 'released', worker, engine: s.settings.name });
        this.pump();
      },
    };
  }

  /** Gives waiting starts the slots that came free, in the order they asked. */
  private pump(): void {
    for (const w of [...this.waiters]) {
      if (this.tryPlace(w, false)) this.waiters.splice(this.waiters.indexOf(w), 1);
    }
  }

  private report(body: EnginePoolEventBody): void {
    const event = { ...body, at: this.clock.now() } as EnginePoolEvent;
    try {
      this.emit('event', event);
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }
}

/** True when `err` (or a cause of it) says the engine could not be reached: another engine may do. */
export function isUnreachable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof DockerConnectionError) return true;
  }
  return false;
}

function abortError(signal: AbortSignal | undefined): DockerAbortError {
  return new DockerAbortError(signal?.reason ?? 'the wait for an engine of the pool was cancelled');
}
