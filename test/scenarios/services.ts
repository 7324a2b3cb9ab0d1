import {
  ConflictError, NotFoundError, isVersionConflict, type Docker, type Frame, type ServiceSpec, type Task,
} from '../../src/index.js';
import { enterSwarm, exitSwarm, pollUntil } from '../helpers/swarm.js';
import { failure, scenario, type Scenario } from './scenario.js';
import { SWARM_ENGINES } from './swarm.js';

const LABEL = { 'berth.test': 'scenario' };
const DONE = new Set(['complete', 'failed', 'rejected', 'shutdown', 'orphaned']);


/** The single task of a service, once it has finished. */
async function finishedTask(docker: Docker, service: string): Promise<Task> {
  const { value, met } = await pollUntil(
    () => docker.tasks.list({ filters: { service: [service] } }),
    (tasks) => tasks.length === 1 && DONE.has(tasks[0]?.Status.State ?? ''),
  );
  if (!met || !value[0]) throw new Error(`the task of ${service} did not finish: ${JSON.stringify(value.map((x) => x.Status))}`);
  return value[0];
}

/** create → duplicate (409) → task runs to completion → inspect/list → update (versioned) → stale update → remove. */
export const services = scenario({
  name: 'swarm-services',
  description: 'create a one-shot service by image id on host networking, follow its task, inspect, list, update, remove',
  engines: SWARM_ENGINES,
  setup: (docker) => enterSwarm(docker),
  cleanup: (docker) => exitSwarm(docker),
  async run(docker, ctx) {
    // by id, so nodes never ask a registry (these engines have no internet);
    // the lookup is recorded, so replay sees the id the engine had
    const image = (await docker.images.inspect(ctx.image)).Id;
    const spec: ServiceSpec = {
      Name: 'berth-rec-svc', Labels: LABEL,
      TaskTemplate: {
        ContainerSpec: { Image: image, Command: ['sh', '-c', 'echo berth-service'], Labels: LABEL },
        RestartPolicy: { Condition: 'none' },
        Networks: [{ Target: 'host' }],
      },
      Mode: { Replicated: { Replicas: 1 } },
    };
    const created = await docker.services.create(spec);
    const duplicate = await failure(() => docker.services.create(spec));
    const task = await finishedTask(docker, 'berth-rec-svc');
    const taskInspect = await docker.tasks.inspect(task.ID);
    const shutdown = await docker.tasks.list({ filters: { service: [created.ID], 'desired-state': ['shutdown'] } });
    const container = await docker.containers.inspect(task.Status.ContainerStatus?.ContainerID ?? 'berth-no-container');
    const inspected = await docker.services.inspect('berth-rec-svc');
    const withDefaults = await docker.services.inspect(created.ID, { insertDefaults: true });
    const listed = await docker.services.list({ filters: { name: ['berth-rec-svc'], label: ['berth.test=scenario'], mode: ['replicated'] }, status: true });
    const updated = await docker.services.update(created.ID, { Labels: { ...LABEL, 'berth.updated': 'yes' } });
    const after = await docker.services.inspect(created.ID);
    const stale = await failure(() => docker.services.update(created.ID, after.Spec, { version: inspected.Version.Index }));
    const missing = await failure(() => docker.services.inspect('berth-no-such-service'));
    const missingTask = await failure(() => docker.tasks.inspect('berth-no-such-task'));
    await docker.services.remove(created.ID);
    const gone = await failure(() => docker.services.inspect(created.ID));
    const removeAgain = await failure(() => docker.services.remove(created.ID));
    return { image, created, duplicate, task, taskInspect, shutdown, container, inspected, withDefaults, listed, updated, after, stale, missing, missingTask, gone, removeAgain };
  },
  check(t, r) {
    t.match(r.image, /^sha256:[0-9a-f]{64}$/);
    t.match(r.created.ID, /^[0-9a-z]{25}$/);
    t.same(r.created.Warnings, [], 'no warnings for an image given by id');
    t.type(r.duplicate, ConflictError, 'a taken service name is a conflict');
    t.equal((r.duplicate as ConflictError).statusCode, 409);
    t.equal(r.task.ServiceID, r.created.ID);
    t.equal(r.task.Status.State, 'complete', 'the one-shot task ran to completion');
    t.equal(r.task.DesiredState, 'shutdown');
    t.equal(r.task.Status.ContainerStatus?.ExitCode, 0);
    t.equal(r.task.Spec?.ContainerSpec?.Image, r.image, 'the task runs the image by id');
    t.same(r.taskInspect, r.task, 'task inspect says what the list said');
    t.same(r.shutdown.map((x) => x.ID), [r.task.ID], 'desired-state filter');
    t.equal(r.container.HostConfig.NetworkMode, 'host', 'the task container uses host networking');
    t.equal(r.container.Config.Labels?.['com.docker.swarm.service.name'], 'berth-rec-svc');
    t.equal(r.container.State.ExitCode, 0);
    t.equal(r.inspected.ID, r.created.ID);
    t.equal(r.inspected.Spec.Name, 'berth-rec-svc');
    t.same(r.inspected.Spec.Labels, LABEL);
    t.equal(r.inspected.Spec.TaskTemplate?.RestartPolicy?.Condition, 'none');
    t.equal(r.inspected.Spec.TaskTemplate?.ContainerSpec?.StopGracePeriod, undefined, 'no defaults without insertDefaults');
    t.equal(r.withDefaults.Spec.TaskTemplate?.ContainerSpec?.StopGracePeriod, 10_000_000_000, 'insertDefaults fills them');
    t.same(r.listed.map((s) => s.ID), [r.created.ID]);
    t.same(r.listed[0]?.ServiceStatus, { RunningTasks: 0, DesiredTasks: 1, CompletedTasks: 0 }, 'status: a replicated service still desires its task (only jobs count completions)');
    t.same(r.updated.Warnings, []);
    t.same(r.after.Spec.Labels, { ...LABEL, 'berth.updated': 'yes' }, 'update replaced the labels');
    t.equal(r.after.Spec.TaskTemplate?.ContainerSpec?.Image, r.image, 'and kept the rest of the spec');
    t.ok(r.after.Version.Index > r.inspected.Version.Index, 'the version moved on');
    t.same(r.after.PreviousSpec?.Labels, LABEL, 'the previous spec is kept for rollback');
    t.ok(isVersionConflict(r.stale), 'a stale version is a version conflict');
    t.type(r.missing, NotFoundError);
    t.match((r.missing as NotFoundError).engineMessage, /service berth-no-such-service not found/);
    t.type(r.missingTask, NotFoundError);
    t.type(r.gone, NotFoundError);
    t.type(r.removeAgain, NotFoundError);
  },
});

/** Collects frames into one text per stream. */
async function texts(frames: AsyncIterable<Frame>): Promise<{ stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  for await (const f of frames) if (f.stream !== 'stdin') out[f.stream] += f.data.toString('utf8');
  return out;
}

/** Service and task logs: demultiplexed from Content-Type (API ≥ 1.42) or from the spec's TTY (20.10). */
export const serviceLogs = scenario({
  name: 'swarm-service-logs',
  description: 'a one-shot service writing to stdout and stderr; GET /services/{id}/logs and GET /tasks/{id}/logs',
  engines: SWARM_ENGINES,
  setup: (docker) => enterSwarm(docker),
  cleanup: (docker) => exitSwarm(docker),
  async run(docker, ctx) {
    const image = (await docker.images.inspect(ctx.image)).Id;
    const created = await docker.services.create({
      Name: 'berth-rec-svc-logs', Labels: LABEL,
      TaskTemplate: {
        ContainerSpec: { Image: image, Command: ['sh', '-c', 'echo to-stdout; echo to-stderr >&2'], Labels: LABEL },
        RestartPolicy: { Condition: 'none' },
        Networks: [{ Target: 'host' }],
      },
      Mode: { Replicated: { Replicas: 1 } },
    });
    const task = await finishedTask(docker, 'berth-rec-svc-logs');
    const service = await texts(docker.services.logs(created.ID));
    const onlyStderr = await texts(docker.services.logs(created.ID, { stdout: false }));
    const ofTask = await texts(docker.tasks.logs(task.ID));
    const missing = await failure(() => texts(docker.services.logs('berth-no-such-service')));
    await docker.services.remove(created.ID);
    return { service, onlyStderr, ofTask, missing };
  },
  check(t, r) {
    t.same(r.service, { stdout: 'to-stdout\n', stderr: 'to-stderr\n' }, 'service logs, demultiplexed');
    t.same(r.onlyStderr, { stdout: '', stderr: 'to-stderr\n' }, 'stdout: false');
    t.same(r.ofTask, r.service, 'the task\'s logs are the service\'s (one task)');
    t.type(r.missing, NotFoundError);
  },
});

export const scenarios: Scenario[] = [services, serviceLogs];
