import t from 'tap';
import {
  LatentWorkerCancelledError, LatentWorkerFailedToSubstantiate, ManualClock, substantiationOutcome,
  type Docker, type Task, type TaskState,
} from '../../src/index.js';
import { waitForRunningTask } from '../../src/worker/swarm/task-watch.js';

/**
 * Following a service's task on the manual clock: the reads a start makes
 * until its task runs, ends, or takes too long — with a fake manager that
 * answers the task list from a script.
 */

function task(state: TaskState, extra: { err?: string; version?: number; node?: string; exitCode?: number } = {}): Task {
  return {
    ID: `task-${extra.version ?? 1}`, Version: { Index: extra.version ?? 1 }, ServiceID: 'svc', DesiredState: 'running',
    ...(extra.node !== undefined ? { NodeID: extra.node } : {}),
    Status: {
      State: state, ...(extra.err !== undefined ? { Err: extra.err } : {}),
      ...(extra.exitCode !== undefined ? { ContainerStatus: { ExitCode: extra.exitCode } } : {}),
    },
  };
}

/** A manager whose task list answers `answers` in turn (the last one again and again). */
function manager(answers: ReadonlyArray<readonly Task[]>): { docker: Docker; reads: () => number } {
  let n = 0;
  const docker = {
    tasks: {
      list: async (options: { filters?: { service?: readonly string[] } }) => {
        if (options.filters?.service?.[0] !== 'svc') throw new Error('filtered by another service');
        return [...(answers[Math.min(n++, answers.length - 1)] ?? [])];
      },
    },
  } as unknown as Docker;
  return { docker, reads: () => n };
}

function watch(docker: Docker, clock: ManualClock, changes: string[], signal = new AbortController().signal) {
  return waitForRunningTask({
    docker, serviceId: 'svc', workerName: 'w', clock, pollMs: 250, timeoutMs: 2000, signal,
    onChange: (d) => changes.push(d), lastOutput: async () => '; last output:\nbye',
  });
}

t.test('resolves with the task once it runs, reporting each change once', async (t) => {
  const clock = new ManualClock();
  const { docker, reads } = manager([[], [task('pending')], [task('pending')], [task('running', { node: 'node-a-0123456789' })]]);
  const changes: string[] = [];
  const running = watch(docker, clock, changes);
  for (let i = 0; i < 3; i++) await clock.advance(250);
  t.match(await running, { Status: { State: 'running' } });
  t.equal(reads(), 4, 'one read per interval');
  t.same(changes, ['pending', 'running on node node-a-01234']);
});

t.test('a task that ends before running fails the start retryably, with the reason and the output', async (t) => {
  const clock = new ManualClock();
  const { docker } = manager([[task('rejected', { node: 'n1', err: 'No such image: sha256:abc' })]]);
  const err = await watch(docker, clock, []).catch((e: unknown) => e);
  t.type(err, LatentWorkerFailedToSubstantiate);
  t.equal(substantiationOutcome(err), 'retry');
  t.equal((err as Error).message,
    'the task of worker "w" ended before running: rejected on node n1: No such image: sha256:abc (that node does not have the image: load it there, by the same id); last output:\nbye');
  const failed = await watch(manager([[task('failed', { exitCode: 3, err: 'task: non-zero exit (3)' })]]).docker, clock, []).catch((e: unknown) => e);
  t.match((failed as Error).message, /ended before running: failed \(exit code 3\): task: non-zero exit \(3\); last output/);
});

t.test('the newest task counts: an old failed one does not fail a start whose new task runs', async (t) => {
  const clock = new ManualClock();
  const { docker } = manager([[task('failed', { version: 1 }), task('running', { version: 5 })]]);
  t.match(await watch(docker, clock, []), { Version: { Index: 5 } });
});

t.test('a task that stays pending fails at the timeout, with the scheduler\'s reason', async (t) => {
  const clock = new ManualClock();
  const { docker } = manager([[task('pending', { err: 'no suitable node (scheduling constraints not satisfied on 1 node)' })]]);
  let settled: unknown;
  const waiting = watch(docker, clock, []).catch((e: unknown) => { settled = e; });
  await clock.advance(1750);
  t.equal(settled, undefined, 'still waiting before the timeout');
  await clock.advance(250);
  await waiting;
  t.type(settled, LatentWorkerFailedToSubstantiate);
  t.equal((settled as Error).message, 'the task of worker "w" did not run within 2 s: pending: no suitable node (scheduling constraints not satisfied on 1 node)');
  t.equal((settled as { code: string }).code, 'ERR_WORKER_TASK_TIMEOUT');
});

t.test('a cancelled start stops reading', async (t) => {
  const clock = new ManualClock();
  const { docker, reads } = manager([[task('pending')]]);
  const abort = new AbortController();
  const waiting = watch(docker, clock, [], abort.signal).catch((e: unknown) => e);
  await clock.flush();
  abort.abort(new Error('given up'));
  t.type(await waiting, LatentWorkerCancelledError);
  const before = reads();
  await clock.advance(5000);
  t.equal(reads(), before, 'no read after the cancel');
});
