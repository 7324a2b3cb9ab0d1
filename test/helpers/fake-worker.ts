import {
  LatentWorker, ManualClock, type InstanceCheck, type InstanceInfo, type LatentWorkerEvent, type LatentWorkerOptions,
} from '../../src/index.js';

/** A promise with its resolve and reject at hand. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

/** A build as the fake host sees it; `kind` decides compatibility. */
export interface FakeBuild {
  readonly id: string;
  readonly kind?: string;
}

export interface StartCall {
  readonly build: FakeBuild | undefined;
  readonly signal: AbortSignal;
  readonly result: Deferred<boolean | InstanceInfo>;
}

export interface StopCall {
  readonly fast: boolean;
  readonly result: Deferred<void>;
}

/**
 * A latent worker whose start, stop and (in {@link CheckedFakeWorker})
 * crash check are promises the test settles by hand. Every event is kept.
 */
export class FakeWorker extends LatentWorker<FakeBuild> {
  readonly starts: StartCall[] = [];
  readonly stops: StopCall[] = [];
  readonly events: LatentWorkerEvent[] = [];
  /** Throw synchronously from the next stopInstance/startInstance call. */
  throwOnStop: Error | undefined;
  throwOnStart: Error | undefined;

  private readonly manualClock: ManualClock;

  constructor(options: Partial<Omit<LatentWorkerOptions, 'clock'>> & { clock: ManualClock }) {
    super({ name: 'w1', ...options });
    this.manualClock = options.clock;
    this.on('event', (e) => this.events.push(e));
  }

  protected startInstance(build: FakeBuild | undefined, signal: AbortSignal): Promise<boolean | InstanceInfo> {
    if (this.throwOnStart) {
      const err = this.throwOnStart;
      this.throwOnStart = undefined;
      throw err;
    }
    const result = deferred<boolean | InstanceInfo>();
    this.starts.push({ build, signal, result });
    return result.promise;
  }

  protected stopInstance(fast: boolean): Promise<void> {
    if (this.throwOnStop) {
      const err = this.throwOnStop;
      this.throwOnStop = undefined;
      throw err;
    }
    const result = deferred<void>();
    this.stops.push({ fast, result });
    return result.promise;
  }

  protected override renderCompatibilityKey(build: FakeBuild | undefined): unknown {
    return build?.kind;
  }

  /** The last start call (fails the test helper if none). */
  lastStart(): StartCall {
    const s = this.starts.at(-1);
    if (!s) throw new Error('startInstance was not called');
    return s;
  }

  lastStop(): StopCall {
    const s = this.stops.at(-1);
    if (!s) throw new Error('stopInstance was not called');
    return s;
  }

  /** Lets the last start return `result`, then the worker inside attach, letting reactions run after each. */
  async startAndAttach(result: boolean | InstanceInfo = true): Promise<void> {
    this.lastStart().result.resolve(result);
    await this.manualClock.flush();
    this.attached();
    await this.manualClock.flush();
  }

  /** The events of one type, in order. */
  eventsOf<T extends LatentWorkerEvent['type']>(type: T): Array<Extract<LatentWorkerEvent, { type: T }>> {
    return this.events.filter((e): e is Extract<LatentWorkerEvent, { type: T }> => e.type === type);
  }

  /** The states the worker went through, as `from>to` pairs. */
  transitions(): string[] {
    return this.eventsOf('state').map((e) => `${e.from}>${e.to}`);
  }
}

/** A fake worker with a crash check whose answers the test gives. */
export class CheckedFakeWorker extends FakeWorker {
  readonly checks: Array<Deferred<InstanceCheck>> = [];

  protected override checkInstance(): Promise<InstanceCheck> {
    const d = deferred<InstanceCheck>();
    this.checks.push(d);
    return d.promise;
  }
}

/** Records how a promise settles without letting a rejection go unhandled. */
export function track<T>(promise: Promise<T>): { readonly settled: boolean; readonly value: T | undefined; readonly error: unknown } {
  const state: { settled: boolean; value: T | undefined; error: unknown } = { settled: false, value: undefined, error: undefined };
  promise.then((v) => { state.settled = true; state.value = v; }, (e: unknown) => { state.settled = true; state.error = e; });
  return state;
}
