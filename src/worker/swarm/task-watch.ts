import type { Docker, Task } from '../../engine/index.js';
import { delay, type Clock } from '../clock.js';
import { LatentWorkerCancelledError, LatentWorkerFailedToSubstantiate } from '../errors.js';

/**
 * Following a service's task by reading it (`GET /tasks?filters=service`)
 * on the worker's clock: until it runs, fails, or takes too long.
 *
 * A task that ends before running (`failed`, `rejected`: the image missing
 * on the node, a mount that cannot be made; `complete`, `shutdown`) fails
 * the start **retryably**: the next start is a new task that the scheduler
 * may place elsewhere, and the worker's quarantine spaces the attempts. A
 * task that stays `pending` (no node satisfies the constraints or has the
 * resources) fails retryably at `taskStartTimeout`, with the scheduler's
 * reason. What retrying cannot fix (an image the manager lacks, a spec the
 * manager refuses) is found before the service exists, and is permanent.
 */

/** The states a task does not leave. */
export const FINAL_TASK_STATES: ReadonlySet<string> = new Set(['complete', 'shutdown', 'failed', 'rejected', 'orphaned', 'remove']);

/** A task's state in words: `rejected: No such image: sha256:…` (the engine's error, else its message). */
export function describeTask(task: Task): string {
  const why = task.Status.Err ?? task.Status.Message;
  const node = task.NodeID !== undefined && task.NodeID !== '' ? ` on node ${task.NodeID.slice(0, 12)}` : '';
  const exit = task.Status.ContainerStatus?.ExitCode;
  return `${task.Status.State}${node}${exit !== undefined && exit !== 0 ? ` (exit code ${exit})` : ''}${why ? `: ${why}` : ''}`;
}

/** The newest task of a service (the one with the highest version). */
function newest(tasks: readonly Task[]): Task | undefined {
  let best: Task | undefined;
  for (const x of tasks) if (best === undefined || x.Version.Index > best.Version.Index) best = x;
  return best;
}

/**
 * Runs `fn` with the process held alive: the worker's clock does not hold
 * it (its timers are unref'd, so an idle worker never keeps a master from
 * exiting), but a start or a stop waiting between two reads must, or a
 * script whose only work is that wait would exit in the middle of it.
 */
async function holdingProcess<T>(fn: () => Promise<T>): Promise<T> {
  const hold = setInterval(() => undefined, 60_000);
  try {
    return await fn();
  } finally {
    clearInterval(hold);
  }
}

/** What {@link waitForRunningTask} needs. */
export interface TaskWait {
  readonly docker: Docker;
  readonly serviceId: string;
  readonly workerName: string;
  readonly clock: Clock;
  readonly pollMs: number;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  /** Told of every change of the task's state, in words. */
  readonly onChange: (description: string) => void;
  /** The last output of the service, for the error of a task that ended before running (redacted, `''` when none). */
  readonly lastOutput: () => Promise<string>;
}

/**
 * Resolves with the service's task once it runs.
 * @throws LatentWorkerFailedToSubstantiate when it ended first, or did not run within the timeout
 */
export function waitForRunningTask(w: TaskWait): Promise<Task> {
  return holdingProcess(() => followTask(w));
}

async function followTask(w: TaskWait): Promise<Task> {
  const deadline = w.clock.now() + w.timeoutMs;
  let last = '';
  for (;;) {
    const task = newest(await w.docker.tasks.list({ filters: { service: [w.serviceId] }, signal: w.signal }));
    if (task !== undefined) {
      const description = describeTask(task);
      if (description !== last) w.onChange(description);
      last = description;
      if (task.Status.State === 'running') return task;
      if (FINAL_TASK_STATES.has(task.Status.State)) {
        const hint = /No such image/i.test(task.Status.Err ?? '') ? ' (that node does not have the image: load it there, by the same id)' : '';
        const output = await w.lastOutput().catch(() => '');
        throw new LatentWorkerFailedToSubstantiate(w.workerName,
          `the task of worker "${w.workerName}" ended before running: ${description}${hint}${output}`, { code: 'ERR_WORKER_TASK_FAILED' });
      }
    }
    if (w.clock.now() >= deadline) {
      throw new LatentWorkerFailedToSubstantiate(w.workerName,
        `the task of worker "${w.workerName}" did not run within ${w.timeoutMs / 1000} s: ${last || 'no task was made'}`, { code: 'ERR_WORKER_TASK_TIMEOUT' });
    }
    if (!await delay(w.clock, w.pollMs, w.signal)) throw new LatentWorkerCancelledError(w.workerName, w.signal.reason);
  }
}

/**
 * Waits until the service's tasks are gone from the swarm and its
 * containers from the engine `docker` (the manager). The manager drops a
 * removed service's task only once its node reported the container
 * stopped, so a task gone means a worker process gone on every node; the
 * container itself is removed by the node's agent right after, which only
 * that node's engine can see. Resolves false when they are still there
 * after `timeoutMs`.
 */
export function waitForServiceGone(docker: Docker, service: ServiceRef, clock: Clock, pollMs: number, timeoutMs: number): Promise<boolean> {
  return holdingProcess(() => untilServiceGone(docker, service, clock, pollMs, timeoutMs));
}

/** A service by its id and its name. */
export interface ServiceRef {
  readonly id: string;
  readonly name: string;
}

async function untilServiceGone(docker: Docker, service: ServiceRef, clock: Clock, pollMs: number, timeoutMs: number): Promise<boolean> {
  const serviceId = service.id;
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    // by task name (`<service>.<slot>.<id>`), not by service: once the service is gone the engine cannot resolve
    // it, and a service filter lists none; the id check keeps another service's tasks out
    const tasks = (await docker.tasks.list({ filters: { name: [service.name] } })).filter((x) => x.ServiceID === serviceId);
    const containers = tasks.length > 0 ? [] : await docker.containers.list({ all: true, filters: { label: [`com.docker.swarm.service.id=${serviceId}`] } });
    if (tasks.length === 0 && containers.length === 0) return true;
    if (clock.now() >= deadline) return false;
    await delay(clock, pollMs);
  }
}
