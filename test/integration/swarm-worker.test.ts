import t from 'tap';
import {
  LatentWorkerCannotSubstantiate, LatentWorkerCrashedError, LatentWorkerFailedToSubstantiate, SwarmLatentWorker, ownedByFilter, reapSwarmOrphans, substantiationOutcome,
  type Docker, type LatentWorkerEvent,
} from '../../src/index.js';
import { dockerFor, engineOr } from '../helpers/engines.js';
import { enterSwarm, exitSwarm, pollUntil } from '../helpers/swarm.js';
import { testMaster } from '../helpers/test-master.js';

/**
 * The Swarm latent worker on a single-node swarm of a private dockerd: the
 * worker, a busybox service with host networking, reads its password from
 * the secret file and connects back with `nc` to a test master on
 * 127.0.0.1, which checks the name and password and calls `attached()`.
 * Then a build, a stop, and nothing left: no service, task, container or
 * secret. Also: a worker whose process exits before connecting, an image
 * the manager lacks, a constraint no node meets, and the reaper.
 */

const MASTER = 'berth-test:/swarm';

/** Services, secrets and task containers of the test master left on the engine. */
async function leftovers(docker: Docker): Promise<{ services: number; secrets: number; containers: number; tasks: number }> {
  const filters = ownedByFilter(MASTER);
  const services = await docker.services.list({ filters });
  const tasks = (await docker.tasks.list()).filter((x) => x.Spec?.ContainerSpec?.Labels?.['berth.master'] === MASTER);
  return {
    services: services.length, secrets: (await docker.secrets.list({ filters })).length,
    containers: (await docker.containers.list({ all: true, filters })).length, tasks: tasks.length,
  };
}

const CONNECT_BACK = 'printf "%s %s\\n" "$WORKERNAME" "$(cat "$WORKERPASS_FILE")" | nc "$BUILDMASTER" "$BUILDMASTER_PORT"; echo connected; sleep 300';

t.test('a Swarm worker on a single-node swarm', async (t) => {
  const engine = engineOr(t, 'dockerd-20.10');
  if (!engine) return;
  const docker = dockerFor(t, engine);
  await enterSwarm(docker);
  t.teardown(() => exitSwarm(docker));
  const master = await testMaster(t);
  const made: SwarmLatentWorker[] = [];
  t.teardown(() => Promise.all(made.map((w) => w.shutdown())));
  const worker = (name: string, extra: Partial<ConstructorParameters<typeof SwarmLatentWorker>[0]> = {}): { w: SwarmLatentWorker; events: LatentWorkerEvent[] } => {
    const w = new SwarmLatentWorker({
      name, masterId: MASTER, docker, image: engine.image, masterFQDN: `127.0.0.1:${master.port}`, password: 'swarm-secret-pw-1',
      entrypoint: ['sh', '-c'], command: [CONNECT_BACK], stopSignal: 'SIGKILL', missingTimeout: 60, ...extra,
    });
    made.push(w);
    const events: LatentWorkerEvent[] = [];
    w.on('event', (e) => events.push(e));
    return { w, events };
  };

  await t.test('substantiate: the task runs, the worker reads the secret file and connects back; insubstantiate leaves nothing', async (t) => {
    const { w, events } = worker('sw-1');
    const login = master.next();
    const started = w.substantiate();
    const l = await login;
    t.same(l, { name: 'sw-1', password: 'swarm-secret-pw-1' }, 'the password came from /run/secrets/WORKERPASS');
    w.attached();
    await started;
    const service = w.service;
    t.ok(service?.taskId, 'the task is known');
    const inspected = await docker.services.inspect(service?.id ?? '');
    const spec = inspected.Spec?.TaskTemplate?.ContainerSpec;
    t.equal(spec?.Image, engine.imageId, 'the image by id');
    t.match(inspected.Spec?.Labels, { 'berth.managed': 'true', 'berth.worker': 'sw-1', 'berth.master': MASTER });
    t.notOk(spec?.Env?.some((e) => e.startsWith('WORKERPASS=')), 'no password in the environment');
    t.ok(spec?.Env?.includes('WORKERPASS_FILE=/run/secrets/WORKERPASS'));
    t.same(inspected.Spec?.TaskTemplate?.RestartPolicy?.Condition, 'none');
    t.same((await leftovers(docker)), { services: 1, secrets: 1, containers: 1, tasks: 1 }, 'one service, one secret, one container');
    const container = (await docker.containers.list({ filters: ownedByFilter(MASTER, 'sw-1') }))[0];
    t.equal(container?.HostConfig?.NetworkMode, 'host');
    w.buildStarted();
    w.buildFinished({ success: true });
    await w.insubstantiate();
    t.same(await leftovers(docker), { services: 0, secrets: 0, containers: 0, tasks: 0 }, 'service, task, container and secret gone');
    const steps = events.flatMap((e) => (e.type === 'step' ? [e.step] : []));
    // the worker may connect before the poll sees its task running: `ready` can come before `task` ends
    t.same(steps.filter((s) => s !== 'ready'), ['render', 'connect', 'stale-cleanup', 'image-check', 'secret-create', 'service-create', 'task', 'service-remove', 'secret-remove']);
    t.equal(steps.filter((s) => s === 'ready').length, 1);
    t.notOk(JSON.stringify(events).includes('swarm-secret-pw-1'), 'the password is in no event');
  });

  await t.test('a worker that exits after its task ran: the crash check fails the start with its state and output', async (t) => {
    // it runs while a gate answers, and exits once the gate closed: after its task was seen running, whatever the load
    const gate = await testMaster(t);
    const { w } = worker('sw-crash', {
      command: [`echo "cannot reach the master swarm-secret-pw-1"; while printf "held\\n" | nc 127.0.0.1 ${gate.port}; do sleep 0.2; done; exit 3`],
      checkInstanceInterval: 0.5,
    });
    const failed = w.substantiate().catch((e: unknown) => e);
    const seen = await pollUntil(async () => w.service?.taskId, (id) => id !== undefined, 600, 50);
    t.ok(seen.met, 'its task was seen running');
    t.ok(gate.logins.length > 0 || (await gate.next()) !== undefined, 'it reached the gate');
    gate.hangUp();
    const err = await failed;
    t.type(err, LatentWorkerCrashedError);
    t.match((err as Error).message, /its task left running: failed on node \w+ \(exit code 3\): task: non-zero exit \(3\)/);
    t.match((err as Error).message, /last output:\ncannot reach the master \[redacted\]/, 'the last output, password redacted');
    await w.insubstantiate();
    t.same(await leftovers(docker), { services: 0, secrets: 0, containers: 0, tasks: 0 });
  });

  await t.test('a task that never runs (its entrypoint is missing) fails the start retryably, with the engine\'s reason', async (t) => {
    const { w } = worker('sw-never', { entrypoint: ['/berth/no-such-entrypoint'] });
    const err = await w.substantiate().catch((e: unknown) => e);
    t.type(err, LatentWorkerFailedToSubstantiate);
    t.notOk(err instanceof LatentWorkerCrashedError, 'found by the task watch, not the crash check');
    t.equal(substantiationOutcome(err), 'retry');
    t.match((err as Error).message, /the task of worker "sw-never" ended before running: (rejected|failed) on node \w+.*no-such-entrypoint/s);
    await w.insubstantiate();
    t.same(await leftovers(docker), { services: 0, secrets: 0, containers: 0, tasks: 0 });
  });

  await t.test('an image the manager does not have is a permanent failure, before any service exists', async (t) => {
    const { w } = worker('sw-noimage', { image: 'berth-missing:nope' });
    const err = await w.substantiate().catch((e: unknown) => e);
    t.type(err, LatentWorkerCannotSubstantiate);
    t.match((err as Error).message, /image "berth-missing:nope" is not on the swarm manager/);
    t.same(await leftovers(docker), { services: 0, secrets: 0, containers: 0, tasks: 0 }, 'the secret was never made');
  });

  await t.test('a constraint no node meets: the task stays pending and the start fails retryably with the reason', async (t) => {
    const { w, events } = worker('sw-nowhere', { constraints: ['node.labels.berth-none==yes'], taskStartTimeout: 2 });
    const err = await w.substantiate().catch((e: unknown) => e);
    t.type(err, LatentWorkerFailedToSubstantiate);
    t.equal(substantiationOutcome(err), 'retry');
    t.match((err as Error).message, /did not run within 2 s: pending: no suitable node/);
    t.ok(events.some((e) => e.type === 'progress' && /pending/.test(e.line)), 'the task states were reported');
    await w.insubstantiate();
    t.same(await leftovers(docker), { services: 0, secrets: 0, containers: 0, tasks: 0 });
  });

  await t.test('the reaper removes the services and secrets a crashed master left', async (t) => {
    await docker.secrets.create({ Name: 'berth-orphan-secret', Labels: { 'berth.managed': 'true', 'berth.worker': 'gone', 'berth.master': MASTER }, Data: 'eA==' });
    await docker.services.create({
      Name: 'berth-orphan', Labels: { 'berth.managed': 'true', 'berth.worker': 'gone', 'berth.master': MASTER },
      TaskTemplate: { ContainerSpec: { Image: engine.imageId, Command: ['sleep', '300'], Labels: { 'berth.managed': 'true', 'berth.master': MASTER } }, Networks: [{ Target: 'host' }], RestartPolicy: { Condition: 'none' } },
      Mode: { Replicated: { Replicas: 1 } },
    });
    const swept = await reapSwarmOrphans({ docker, masterId: MASTER });
    t.same(swept.services.map((s) => s.name), ['berth-orphan']);
    t.same(swept.secrets.map((s) => s.name), ['berth-orphan-secret']);
    t.same(swept.failures, []);
    t.same(await leftovers(docker), { services: 0, secrets: 0, containers: 0, tasks: 0 });
  });
});
