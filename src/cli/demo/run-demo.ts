import { Buffer } from 'node:buffer';
import { DockerAbortError, abortError, type Docker } from '../../engine/index.js';
import {
  DockerLatentWorker, PASSWORD_LENGTH, generatePassword, ownedByFilter, reapOrphans, systemClock,
  type Clock, type LatentWorkerEvent, type WorkerState,
} from '../../worker/index.js';
import type { Output } from '../output.js';
import type { ProgressRenderer, Spinner } from '../progress/index.js';
import type { DemoEngine } from './engine-choice.js';
import { scaledClock } from './scaled-clock.js';
import { DemoMaster, type LoginEvent } from './master.js';
import { DEMO_IMAGE, DEMO_MASTER_ID, LOGIN_LINE, WORKER_SCRIPT, buildCommands, workerName } from './plan.js';
import { EventTally, formatDuration, type DemoSummary } from './summary.js';
import { provideWorkerImage, type WorkerImage } from './worker-image.js';

/**
 * One run of the demo: a master with a queue of builds, run on a pool of
 * Docker latent workers. The image is provided first; each worker then
 * takes its share of the queue (build n goes to worker (n-1) mod K, so a
 * run makes the same requests every time), substantiating on its first
 * build, running each build's commands in its container, and is stopped by
 * its idle timer after its last one. Every container is removed on every
 * path; the reaper sweeps by label if one survived.
 */

/** How much faster than real time a replay runs the workers' timers. */
export const REPLAY_TIME_SCALE = 100;

/** What a run of the demo needs: its engine, its parameters, where it shows what happens. */
export interface DemoOptions {
  readonly engine: DemoEngine;
  readonly builds: number;
  readonly workers: number;
  /** The workers' `buildWaitTimeout`, in seconds. */
  readonly idleSeconds: number;
  /** Keep the image this run built. */
  readonly keep: boolean;
  readonly out: Output;
  readonly progress: ProgressRenderer;
  readonly signal: AbortSignal;
  /** Told each worker password before it is used (a recorder masks them). */
  readonly onSecret?: ((secret: string) => void) | undefined;
}

/** How the builds went. */
interface Outcome {
  succeeded: number;
  failed: number;
  /** Stopped part-way by an interruption. */
  interrupted: number;
}

interface Pool {
  readonly workers: DockerLatentWorker[];
  readonly master: DemoMaster | undefined;
  readonly tally: EventTally;
}

/** Resolves once `worker` is in `state` (or at once when it is). */
function reaching(worker: DockerLatentWorker, state: WorkerState, signal: AbortSignal): Promise<void> {
  if (worker.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onEvent = (e: LatentWorkerEvent): void => {
      if (e.type === 'state' && e.to === state) { stop(); resolve(); }
    };
    const onAbort = (): void => { stop(); reject(abortError(signal)); };
    const stop = (): void => { worker.off('event', onEvent); signal.removeEventListener('abort', onAbort); };
    if (signal.aborted) { onAbort(); return; }
    worker.on('event', onEvent);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Shows the events a person wants to see while the demo runs. */
function showEvent(progress: ProgressRenderer, out: Output, e: LatentWorkerEvent): void {
  const s = out.errStyle;
  switch (e.type) {
    case 'output':
      progress.note(s.dim(`  ${e.worker} | ${e.line}`));
      break;
    case 'step':
      if (e.detail?.failed === true) break;
      if (e.step === 'create') progress.note(`${e.worker}: container ${String(e.detail?.id ?? '')} created (${formatDuration(e.durationMs)})`);
      if (e.step === 'remove') progress.note(`${e.worker}: container removed (${formatDuration(e.durationMs)})`);
      break;
    case 'idle':
      progress.note(`${e.worker}: idle ${e.reason === 'detached' ? '(its connection dropped)' : 'past its buildWaitTimeout'}: stopping`);
      break;
    case 'start-error':
    case 'substantiation-failed':
    case 'stop-error':
      progress.note(s.red(`${e.worker}: ${e.type}: ${e.error.message}`));
      break;
    default:
      break;
  }
}

function loginNote(progress: ProgressRenderer, e: LoginEvent): void {
  if (e.kind === 'login') progress.note(`master: worker ${e.worker} logged in`);
  else if (e.kind === 'refused') progress.note(`master: refused a login as ${e.worker}: ${e.why}`);
  else progress.note(`master: worker ${e.worker} disconnected`);
}

async function makePool(o: DemoOptions, image: WorkerImage, clock: Clock): Promise<Pool> {
  const replaying = o.engine.mode === 'replay';
  const master = replaying ? undefined : await DemoMaster.start((e) => loginNote(o.progress, e));
  const tally = new EventTally();
  const workers: DockerLatentWorker[] = [];
  for (let i = 0; i < o.workers; i++) {
    // the recorded session has its passwords masked with `*`: replay logs in with the mask, which redaction then hides
    const password = replaying ? '*'.repeat(PASSWORD_LENGTH) : generatePassword();
    o.onSecret?.(password);
    const worker = new DockerLatentWorker({
      name: workerName(i), image: image.name, docker: o.engine.docker, masterId: DEMO_MASTER_ID, password,
      masterFQDN: `127.0.0.1:${master?.port ?? 9989}`, command: ['sh', '-c', WORKER_SCRIPT], hostconfig: { NetworkMode: 'host' },
      followStartupLogs: true, buildWaitTimeout: o.idleSeconds, missingTimeout: 60, checkInstanceInterval: null, stopTimeout: 5,
      readiness: replaying ? { logLine: LOGIN_LINE } : 'attached', clock,
    });
    worker.on('event', (e) => { tally.add(e); showEvent(o.progress, o.out, e); });
    master?.add({
      name: worker.name, password,
      attached: () => { if (worker.state === 'SUBSTANTIATING_STARTING' || worker.state === 'SUBSTANTIATED') worker.attached(); },
      detached: () => { if (worker.connected) worker.detached(); },
    });
    workers.push(worker);
  }
  return { workers, master, tally };
}

/** Runs build `n` on `worker`'s container; true when every command exited 0. */
async function runBuild(o: DemoOptions, worker: DockerLatentWorker, n: number): Promise<boolean> {
  const id = worker.container?.id;
  if (id === undefined) return false;
  const s = o.out.errStyle;
  for (const command of buildCommands(n)) {
    const result = await o.engine.docker.containers.exec(id, command.cmd, { signal: o.signal });
    const text = (b: Buffer): string[] => b.toString('utf8').split('\n').filter((l) => l !== '');
    const lines = [...text(result.stdout), ...text(result.stderr).map((l) => s.red(l))];
    o.progress.note(`build ${n} on ${worker.name}: ${command.name}${result.exitCode === 0 ? '' : s.red(` (exit ${result.exitCode})`)}`);
    for (const line of lines) o.progress.note(`  ${line}`);
    if (result.exitCode !== 0) return false;
  }
  return true;
}

/** Runs `queue` on `worker`, one build after another; counts into `outcome`. */
async function runQueue(o: DemoOptions, worker: DockerLatentWorker, queue: readonly number[],
  outcome: Outcome): Promise<void> {
  for (const n of queue) {
    if (o.signal.aborted) return;
    let spinner: Spinner | undefined;
    if (!worker.isSubstantiated) spinner = o.progress.spinner(`${worker.name}: starting a container for build ${n}, waiting for the worker to connect`);
    try {
      await worker.substantiate({ properties: { buildnumber: n } }, { signal: o.signal });
      spinner?.succeed(`${worker.name}: worker connected`);
    } catch (err) {
      if (err instanceof DockerAbortError || o.signal.aborted) {
        spinner?.fail(`${worker.name}: no worker for build ${n}`);
        throw err;
      }
      // this worker's share of the queue is not run; the others go on. A failed spinner shows even with --quiet.
      const why = `${worker.name}: no worker for build ${n}: ${err instanceof Error ? err.message : String(err)}`;
      if (spinner !== undefined) spinner.fail(why);
      else o.progress.note(o.out.errStyle.red(why));
      return;
    }
    worker.buildStarted();
    let ok = false;
    try {
      ok = await runBuild(o, worker, n);
    } catch (err) {
      if (err instanceof DockerAbortError || o.signal.aborted) throw err;
      o.progress.note(o.out.errStyle.red(`build ${n} on ${worker.name}: ${err instanceof Error ? err.message : String(err)}`));
    } finally {
      worker.buildFinished({ success: ok });
      if (ok) outcome.succeeded++;
      else if (o.signal.aborted) outcome.interrupted++;
      else outcome.failed++;
    }
    o.progress.note(ok ? `build ${n}: ${o.out.errStyle.green('success')}` : `build ${n}: ${o.out.errStyle.red('failure')}`);
  }
}

/** Counts the containers of the demo's master still on the engine; sweeps them when there are any. */
async function leftovers(docker: Docker, progress: ProgressRenderer): Promise<number> {
  const listed = await docker.containers.list({ all: true, filters: ownedByFilter(DEMO_MASTER_ID) });
  if (listed.length === 0) return 0;
  progress.note(`${listed.length} container(s) of the demo are still there: removing them by label`);
  await reapOrphans({ docker, masterId: DEMO_MASTER_ID });
  return (await docker.containers.list({ all: true, filters: ownedByFilter(DEMO_MASTER_ID) })).length;
}

/** Runs the demo; resolves with its summary (also when builds failed or it was interrupted). */
export async function runDemo(o: DemoOptions): Promise<DemoSummary> {
  const started = Date.now();
  const replaying = o.engine.mode === 'replay';
  const clock = replaying ? scaledClock(systemClock, REPLAY_TIME_SCALE) : systemClock;
  const docker = o.engine.docker;
  const outcome: Outcome = { succeeded: 0, failed: 0, interrupted: 0 };
  let image: WorkerImage | undefined;
  let pool: Pool | undefined;
  let imageRemoved = false;
  let left = 0;
  let failure: unknown;
  const onAbort = (): void => o.progress.note('interrupted: stopping the builds and removing the containers (Ctrl-C again to exit at once)');
  o.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const swept = await reapOrphans({ docker, masterId: DEMO_MASTER_ID, signal: o.signal });
    if (swept.containers.length > 0) o.progress.note(`removed ${swept.containers.length} container(s) left by an earlier run`);
    image = await provideWorkerImage({ docker, progress: o.progress, signal: o.signal, now: () => Date.now(), replaying });
    pool = await makePool(o, image, clock);
    if (pool.master !== undefined) o.progress.note(`master: listening on 127.0.0.1:${pool.master.port} for ${o.workers} worker(s)`);
    const queues = pool.workers.map((_, w) => Array.from({ length: o.builds }, (_v, i) => i + 1).filter((n) => (n - 1) % o.workers === w));
    const p = pool;
    await Promise.all(p.workers.map((worker, w) => runQueue(o, worker, queues[w] ?? [], outcome)));
    const idle = o.progress.spinner(`all builds ran: waiting for the idle workers to be stopped (buildWaitTimeout ${o.idleSeconds} s${replaying ? `, run ${REPLAY_TIME_SCALE}× faster in replay` : ''})`);
    await Promise.all(p.workers.map((worker) => reaching(worker, 'NOT_SUBSTANTIATED', o.signal)))
      .then(() => idle.succeed('every worker was stopped for being idle'), (err: unknown) => { idle.fail(); throw err; });
  } catch (err) {
    failure = err;
  }
  o.signal.removeEventListener('abort', onAbort);
  // cleanup runs whatever happened, and without the (possibly aborted) signal
  if (pool !== undefined) {
    await Promise.allSettled(pool.workers.map((w) => w.shutdown()));
    await pool.master?.close();
  }
  try {
    left = await leftovers(docker, o.progress);
    if (image?.built === true && !o.keep) {
      await docker.images.remove(image.name);
      imageRemoved = true;
      o.progress.note(`removed the image ${image.name} (keep it with --keep)`);
    }
  } catch (err) {
    failure ??= err;
  }
  const interrupted = o.signal.aborted;
  if (failure !== undefined && !interrupted) throw failure;
  const tally = pool?.tally ?? new EventTally();
  const notRun = o.builds - outcome.succeeded - outcome.failed - outcome.interrupted;
  return {
    ok: !interrupted && outcome.failed === 0 && notRun === 0 && left === 0,
    mode: o.engine.mode, engine: o.engine.description, workers: o.workers,
    builds: { total: o.builds, ...outcome, notRun },
    containers: { created: tally.created, removed: tally.removed, left },
    image: { name: image?.name ?? DEMO_IMAGE, built: image?.built ?? false, base: image?.base ?? null, removed: imageRemoved },
    phasesMs: { ...tally.phases, image: image?.durationMs ?? 0 },
    totalMs: Date.now() - started, interrupted,
  };
}
