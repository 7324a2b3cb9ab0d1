import type { Test } from 'tap';
import {
  DockerLatentWorker, ManualClock, containerName, isNotFound, ownedByFilter,
  type Clock, type Docker, type DockerLatentWorkerConfig, type LatentWorkerEvent, type BuildWithProperties, type WorkerState,
} from '../../src/index.js';
import { SCRIPT_API, type EngineScript, type Held } from './engine-script.js';
import { replay } from './replay.js';

/** The master id the worker tests and scenarios use: fixed, so recordings match. */
export const TEST_MASTER = 'berth-test:/master';

/** A Docker latent worker on a manual clock (or the clock given), with every event it emits kept. */
export interface TestWorker<C extends Clock = ManualClock> {
  readonly worker: DockerLatentWorker<BuildWithProperties>;
  readonly clock: C;
  readonly events: LatentWorkerEvent[];
}

type TestWorkerOptions = Omit<DockerLatentWorkerConfig<BuildWithProperties>, 'docker' | 'clock'>;

/** Makes a worker of `docker` on a manual clock (fixed master id, no timer fires unless the test moves time). */
export function testWorker(docker: Docker, options: TestWorkerOptions): TestWorker;
/** Makes a worker of `docker` on `clock`. */
export function testWorker<C extends Clock>(docker: Docker, options: TestWorkerOptions, clock: C): TestWorker<C>;
export function testWorker(docker: Docker, options: TestWorkerOptions, clock: Clock = new ManualClock()): TestWorker<Clock> {
  const worker = new DockerLatentWorker<BuildWithProperties>({ masterId: TEST_MASTER, masterFQDN: 'master.test:9989', ...options, docker, clock });
  const events: LatentWorkerEvent[] = [];
  worker.on('event', (e) => events.push(e));
  return { worker, clock, events };
}

/** The steps reported, in order, as `name` or `name!` for a failed one. */
export function stepsOf(events: readonly LatentWorkerEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'step' ? [e.detail?.failed === true ? `${e.step}!` : e.step] : []));
}

/** The detail of the first step event named `step`. */
export function stepDetail(events: readonly LatentWorkerEvent[], step: string): Readonly<Record<string, string | number | boolean>> | undefined {
  for (const e of events) if (e.type === 'step' && e.step === step) return e.detail ?? {};
  return undefined;
}

/** The lines of `output` (or `progress`) events. */
export function linesOf(events: readonly LatentWorkerEvent[], type: 'output' | 'progress' = 'output'): string[] {
  return events.flatMap((e) => (e.type === type ? [e.line] : []));
}

/** The containers of `masterId` on the engine, by label (every state). */
export async function ownedContainers(docker: Docker, masterId = TEST_MASTER): Promise<string[]> {
  return (await docker.containers.list({ all: true, filters: ownedByFilter(masterId) })).map((c) => c.Id);
}

/** Removes what a test may have left of `masterId` (unrecorded setup and cleanup). */
export async function removeOwned(docker: Docker, masterId = TEST_MASTER): Promise<void> {
  for (const id of await ownedContainers(docker, masterId)) {
    await docker.containers.remove(id, { force: true, volumes: true }).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }
}

/** Everything an event says, as one string: to search for secrets. */
export function everything(values: readonly unknown[]): string {
  const seen = new Set<unknown>();
  const walk = (v: unknown): string => {
    if (v instanceof Error) {
      if (seen.has(v)) return '';
      seen.add(v);
      const own = Object.getOwnPropertyNames(v).map((k) => walk((v as unknown as Record<string, unknown>)[k])).join(' ');
      return `${v.message} ${v.stack ?? ''} ${own} ${walk(v.cause)}`;
    }
    if (typeof v === 'string') return v;
    if (Array.isArray(v)) return v.map(walk).join(' ');
    if (typeof v === 'object' && v !== null) {
      if (seen.has(v)) return '';
      seen.add(v);
      return Object.values(v).map(walk).join(' ');
    }
    return String(v);
  };
  return values.map(walk).join('\n');
}

/**
 * Lets the worker run until a timer falls due within `ms` of the clock's
 * now (a retry or poll it arms once an answer came back), then moves the
 * clock by `ms`. No sleeping: the event loop turns until the timer is there.
 */
export async function advanceWhenArmed(clock: ManualClock, ms: number): Promise<void> {
  for (let turns = 0; clock.nextDue === undefined || clock.nextDue > clock.now() + ms; turns++) {
    if (turns > 100_000) throw new Error(`no timer within ${ms} ms was armed`);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await clock.advance(ms);
}

/** Lets the event loop turn until `condition` holds (answers travel over real sockets). */
export async function until(condition: () => boolean, what: string): Promise<void> {
  for (let turns = 0; !condition(); turns++) {
    if (turns > 100_000) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Resolves with the first event of `worker` (from now on) that `match`es;
 * a bounded wait for real engines: rejects after `ms` real milliseconds.
 */
export function nextEvent(worker: DockerLatentWorker<BuildWithProperties>, match: (e: LatentWorkerEvent) => boolean, what: string,
  ms = 60_000): Promise<LatentWorkerEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      worker.off('event', listener);
      reject(new Error(`no ${what} within ${ms} ms`));
    }, ms);
    const listener = (e: LatentWorkerEvent): void => {
      if (!match(e)) return;
      clearTimeout(timer);
      worker.off('event', listener);
      resolve(e);
    };
    worker.on('event', listener);
  });
}

/** Resolves when `worker` enters `state` (at once when it is there already); bounded like {@link nextEvent}. */
export async function stateReached(worker: DockerLatentWorker<BuildWithProperties>, state: WorkerState, ms = 60_000): Promise<void> {
  if (worker.state === state) return;
  await nextEvent(worker, (e) => e.type === 'state' && e.to === state, `state ${state}`, ms);
}

/** Runs `body` against a replay of a hand-written script (API pinned to the script's version). */
export async function scripted<R>(t: Test, script: EngineScript, description: string, body: (docker: Docker) => Promise<R>): Promise<R> {
  return replay(t, [script.fixture(description)], ({ docker }) => body(docker), { docker: { apiVersion: SCRIPT_API } });
}

/** The held parts of a scripted start: the end of its output, and its exit. */
export interface StartedScript {
  readonly attachEnd: Held;
  readonly exit: Held;
}

/** What {@link scriptStart} scripts. */
export interface ScriptedStart {
  readonly worker: string;
  readonly id: string;
  readonly image: string;
  /** The image is found (default), or missing and then pulled (`pulled`). */
  readonly pull?: { readonly repo: string; readonly tag: string };
  readonly output?: ReadonlyArray<{ stream: 'stdout' | 'stderr'; text: string }>;
  readonly startFailure?: { status: number; message: string };
  /** The create's body, when the test pins it. */
  readonly body?: unknown;
}

/**
 * The exchanges of a start up to `POST /start`: no leftovers, the image
 * present (and pulled again when `pull` is given), created, attached, exit
 * awaited, started.
 */
export function scriptStart(s: EngineScript, o: ScriptedStart): StartedScript {
  s.listContainers([]).image(o.image, true);
  if (o.pull) s.pull(o.pull.repo, o.pull.tag, [{ status: `Status: Image is up to date for ${o.image}` }]);
  s.create(containerName(o.worker, TEST_MASTER), o.id, undefined, o.body);
  const attachEnd = s.attach(o.id, o.output ?? []);
  const exit = s.wait(o.id, 0);
  s.start(o.id, o.startFailure);
  return { attachEnd, exit };
}

/** A stop of a running container: stop, the exit, remove, the end of the output. */
export function scriptStop(s: EngineScript, id: string, held: StartedScript): void {
  s.stop(id);
  held.exit.after();
  held.attachEnd.after();
  s.remove(id);
}
