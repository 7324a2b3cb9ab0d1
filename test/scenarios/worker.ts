import {
  LatentWorkerCannotSubstantiate, LatentWorkerCrashedError, builtImageName, containerName, isNotFound, ownerLabels, reapOrphans,
  type ContainerInspectResponse, type Docker, type LatentWorkerEvent,
} from '../../src/index.js';
import type { EngineName } from '../helpers/engines.js';
import {
  TEST_MASTER, linesOf, ownedContainers, removeOwned, stepDetail, stepsOf, testWorker,
} from '../helpers/docker-worker.js';
import { failure, scenario, type Scenario } from './scenario.js';

/**
 * The Docker latent worker against real engines, recorded: a whole
 * substantiate → build → idle stop; a container that dies before it is
 * ready; a worker whose image is built from its Dockerfile (with a target
 * stage and build arguments) and removed at the stop; leftovers removed by
 * label, and a name held by someone else's container. The workers run on a
 * manual clock, so no timer fires by itself and every run makes the same
 * requests. The generated password travels as `WORKERPASS=…`: the recorder
 * keeps it as `WORKERPASS=<redacted>`, which replays against any password.
 */

const ENGINES: readonly EngineName[] = ['dockerd-20.10', 'dockerd-28.5', 'podman-4.3'];

/**
 * The steps in order, with `ready` set apart: a quick worker may be ready
 * before the engine answered the start, so the two come in either order.
 */
function ordered(steps: readonly string[]): { steps: string[]; ready: boolean } {
  return { steps: steps.filter((s) => s !== 'ready'), ready: steps.includes('ready') };
}

/** What a scenario keeps of a worker's events: the comparable parts. */
function summary(events: readonly LatentWorkerEvent[]): { steps: string[]; output: string[]; progress: string[] } {
  return { steps: stepsOf(events), output: linesOf(events, 'output'), progress: linesOf(events, 'progress') };
}

/** substantiate (a log line says ready) → build → idle stop → shutdown, with the container looked at while it runs. */
export const lifecycle = scenario({
  name: 'worker-lifecycle',
  description: 'a worker substantiates (readiness by log line), runs a build, stops when idle; its container carries the contract',
  engines: ENGINES,
  setup: (docker) => removeOwned(docker),
  cleanup: (docker) => removeOwned(docker),
  async run(docker, ctx) {
    const { worker, clock, events } = testWorker(docker, {
      name: 'scn_life', image: ctx.image, password: null, followStartupLogs: true,
      readiness: { logLine: /^worker ready$/ },
      command: ['sh', '-c', 'echo "connecting as $WORKERNAME (password of ${#WORKERPASS} characters)"; echo worker ready; exec sleep 300'],
      hostconfig: { NetworkMode: 'none' }, volumes: ['/tmp:/host-tmp:ro', '/scratch'], labels: { team: 'ci' }, env: { FOO: 'bar' },
    });
    await worker.substantiate({ properties: { builder: 'b1' } });
    const stateAfterStart = worker.state;
    const id = worker.container?.id ?? '';
    const inspect: ContainerInspectResponse = await docker.containers.inspect(id);
    worker.buildStarted();
    worker.buildFinished({ success: true });
    await clock.flush(); // buildWaitTimeout 0: the idle stop begins
    const stateWhenIdle = worker.state;
    await worker.insubstantiate(); // joins the stop in progress
    const left = await ownedContainers(docker);
    await worker.shutdown();
    return { stateAfterStart, stateWhenIdle, inspect, left, events: summary(events), instance: worker.instance };
  },
  check(t, r) {
    t.equal(r.stateAfterStart, 'SUBSTANTIATED', 'ready when the log line came');
    t.equal(r.stateWhenIdle, 'INSUBSTANTIATING', 'the last build finished: the idle stop began');
    t.same(ordered(r.events.steps), { steps: ['render', 'connect', 'stale-cleanup', 'image-check', 'create', 'attach', 'start', 'stop', 'wait', 'remove'], ready: true });
    t.same(r.events.output, ['connecting as scn_life (password of 20 characters)', 'worker ready'], 'the startup output, from its first line');
    const env = r.inspect.Config.Env ?? [];
    for (const v of ['BUILDMASTER=master.test', 'BUILDMASTER_PORT=9989', 'WORKERNAME=scn_life', 'BUILDMASTER_PROTOCOL=pb', 'FOO=bar']) {
      t.ok(env.includes(v), `Env has ${v}`);
    }
    t.ok(env.some((e) => e.startsWith('WORKERPASS=')), 'Env has the password');
    t.match(r.inspect.Config.Labels ?? {}, { team: 'ci', 'berth.managed': 'true', 'berth.worker': 'scn_life', 'berth.master': TEST_MASTER });
    t.equal(r.inspect.HostConfig.Init, true, 'Init is on by default');
    // podman lists the anonymous volume among the binds, and adds mount options
    t.ok((r.inspect.HostConfig.Binds ?? []).some((b) => b.startsWith('/tmp:/host-tmp:ro')), 'the bind mount');
    t.ok(r.inspect.Mounts.some((m) => m.Destination === '/scratch' && m.Type === 'volume'), 'the anonymous volume');
    t.equal(r.inspect.Name, `/${containerName('scn_life', TEST_MASTER)}`);
    t.same(r.left, [], 'no container of this master is left');
    t.equal(r.instance, undefined, 'no instance after the stop');
  },
});

/** The container exits before it is ready: its exit is seen, the crash check says why, the stop removes it. */
export const crash = scenario({
  name: 'worker-crash',
  description: 'a worker container exits before connecting: the start fails early with its exit code and last lines',
  engines: ENGINES,
  setup: (docker) => removeOwned(docker),
  cleanup: (docker) => removeOwned(docker),
  async run(docker, ctx) {
    const { worker, events } = testWorker(docker, {
      name: 'scn_crash', image: ctx.image, checkInstanceInterval: null,
      command: ['sh', '-c', 'echo preparing; echo "fatal: cannot reach the master" >&2; exit 3'],
      hostconfig: { NetworkMode: 'none' },
    });
    const error = await failure(() => worker.substantiate());
    await worker.insubstantiate(); // the failed start's stop
    const left = await ownedContainers(docker);
    await worker.shutdown();
    return { error, left, events: summary(events), quarantined: worker.isQuarantined };
  },
  check(t, r) {
    t.type(r.error, LatentWorkerCrashedError, 'a crash, retryable');
    t.match(r.error.message, /crashed before attaching: container [0-9a-f]{12} exited with code 3; its last output:\n/);
    // stdout and stderr are two streams: engines do not keep their relative order
    t.same(r.error.message.split('its last output:\n')[1]?.split('\n').sort(), ['fatal: cannot reach the master', 'preparing'], 'both last lines');
    t.same(r.events.steps, ['render', 'connect', 'stale-cleanup', 'image-check', 'create', 'attach', 'start', 'stop', 'wait', 'remove']);
    t.same(r.left, []);
  },
});

/**
 * A Dockerfile with a base stage taking the build argument GREETING, a
 * `worker` stage running `cmd`, and a `broken` stage whose step fails.
 */
export function stagedDockerfile(image: string, cmd: readonly string[]): string {
  return [
    `FROM ${image} AS base`,
    'ARG GREETING=none',
    'RUN echo "greeting: $GREETING" > /greeting',
    'FROM base AS worker',
    `CMD ${JSON.stringify(cmd)}`,
    'FROM base AS broken',
    'RUN echo "about to fail" && exit 7',
  ].join('\n');
}

const BUILD_DOCKERFILE = (image: string): string => stagedDockerfile(image, ['sh', '-c', 'cat /greeting; echo worker ready; exec sleep 300']);

/** A worker with only a Dockerfile: the image is built (target, build args, labels) and removed at the stop. */
export const build = scenario({
  name: 'worker-build',
  description: 'a Dockerfile-only worker builds its image (target stage, build arguments), runs it, and removes it at the stop',
  engines: ENGINES,
  setup: async (docker) => {
    await removeOwned(docker);
    await docker.images.remove(builtImageName('scn_build', TEST_MASTER)).catch((err: unknown) => { if (!isNotFound(err)) throw err; });
  },
  cleanup: (docker) => removeOwned(docker),
  async run(docker, ctx) {
    const { worker, events } = testWorker(docker, {
      name: 'scn_build', dockerfile: BUILD_DOCKERFILE(ctx.image), target: 'worker', buildargs: { GREETING: 'hello from buildargs' },
      readiness: { logLine: /^worker ready$/ }, followStartupLogs: true, hostconfig: { NetworkMode: 'none' },
    });
    await worker.substantiate();
    const image = builtImageName('scn_build', TEST_MASTER);
    const labels = (await docker.images.inspect(image)).Config?.Labels ?? {};
    await worker.insubstantiate();
    const imageLeft = await docker.images.exists(image);
    await worker.shutdown();
    return { labels, imageLeft, events: summary(events), removal: stepDetail(events, 'image-remove') };
  },
  check(t, r) {
    t.same(ordered(r.events.steps), {
      steps: ['render', 'connect', 'stale-cleanup', 'image-check', 'build', 'create', 'attach', 'start', 'stop', 'wait', 'remove', 'image-remove'], ready: true,
    });
    t.same(r.events.output, ['greeting: hello from buildargs', 'worker ready'], 'the build argument reached the target stage');
    t.notOk(r.events.progress.some((l) => /exit 7/.test(l)), 'the stage after the target was not built');
    t.ok(r.events.progress.length > 0, 'the build output was reported');
    t.match(r.labels, ownerLabels('scn_build', TEST_MASTER), 'the built image carries the owner labels');
    t.same(r.removal, { removed: true });
    t.equal(r.imageLeft, false, 'the built image is gone');
  },
});

/** Leftovers are found by label and removed; a name held by a container that is not this worker's is a permanent failure. */
export const stale = scenario({
  name: 'worker-stale',
  description: 'a leftover container of the worker is removed by label before the start; a foreign container holding the name stops the start',
  engines: ENGINES,
  async setup(docker, ctx) {
    await removeOwned(docker);
    await docker.containers.remove('berth-scn-leftover', { force: true }).catch(() => undefined);
    await docker.containers.remove(containerName('scn_taken', TEST_MASTER), { force: true }).catch(() => undefined);
    await docker.containers.create({ Image: ctx.image, Cmd: ['true'], Labels: ownerLabels('scn_stale', TEST_MASTER), HostConfig: { NetworkMode: 'none' } },
      { name: 'berth-scn-leftover' });
    await docker.containers.create({ Image: ctx.image, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } }, { name: containerName('scn_taken', TEST_MASTER) });
  },
  async cleanup(docker) {
    await removeOwned(docker);
    await docker.containers.remove(containerName('scn_taken', TEST_MASTER), { force: true }).catch(() => undefined);
  },
  async run(docker, ctx) {
    const first = testWorker(docker, { name: 'scn_stale', image: ctx.image, readiness: 'running', command: ['sleep', '300'], hostconfig: { NetworkMode: 'none' } });
    await first.worker.substantiate();
    await first.worker.shutdown();
    const taken = testWorker(docker, { name: 'scn_taken', image: ctx.image, readiness: 'running', command: ['sleep', '300'], hostconfig: { NetworkMode: 'none' } });
    const error = await failure(() => taken.worker.substantiate());
    await taken.worker.shutdown();
    const foreign = await docker.containers.inspect(containerName('scn_taken', TEST_MASTER));
    return {
      staleRemoved: stepDetail(first.events, 'stale-cleanup'), error, takenSteps: stepsOf(taken.events), foreignStays: foreign.Name,
      left: await ownedContainers(docker),
    };
  },
  check(t, r) {
    t.same(r.staleRemoved, { removed: 1 }, 'the leftover (another name, this worker\'s labels) was removed');
    t.type(r.error, LatentWorkerCannotSubstantiate, 'permanent: retrying cannot free the name');
    t.match(r.error.message, /a container named "berth-scn-taken-[0-9a-f]{12}" exists and is not worker "scn_taken"'s/);
    t.same(r.takenSteps, ['render', 'connect', 'stale-cleanup', 'image-check', 'create!']);
    t.equal(r.foreignStays, `/${containerName('scn_taken', TEST_MASTER)}`, 'the foreign container was left alone');
    t.same(r.left, []);
  },
});

const REAP_NAMES = {
  orphanRunning: 'berth-scn-orphan-running', orphanCreated: 'berth-scn-orphan-created', kept: 'berth-scn-kept',
  foreign: 'berth-scn-foreign-master', unlabelled: `${containerName('scn_gone', TEST_MASTER)}-copy`,
} as const;
const REAP_VOLUMES = { orphan: 'berth-scn-orphan-volume', kept: 'berth-scn-kept-volume' } as const;
const REAP_NETWORK = 'berth-scn-orphan-net';

/** Removes the reap scenario's containers and image, whatever is left of them. */
async function removeReapObjects(docker: Docker): Promise<void> {
  await removeOwned(docker);
  for (const name of Object.values(REAP_NAMES)) {
    await docker.containers.remove(name, { force: true, volumes: true }).catch((err: unknown) => { if (!isNotFound(err)) throw err; });
  }
  await docker.images.remove(builtImageName('scn_gone', TEST_MASTER)).catch((err: unknown) => { if (!isNotFound(err)) throw err; });
  for (const name of Object.values(REAP_VOLUMES)) await docker.volumes.remove(name).catch((err: unknown) => { if (!isNotFound(err)) throw err; });
  await docker.networks.remove(REAP_NETWORK).catch((err: unknown) => { if (!isNotFound(err)) throw err; });
}

/** The orphans of a crashed master, and what must survive the sweep: found by label, never by name. */
export const reap = scenario({
  name: 'worker-reap',
  description: 'reapOrphans removes the containers (running or not) and built images of a master by label; kept workers, other masters and look-alike names stay',
  engines: ENGINES,
  async setup(docker, ctx) {
    await removeReapObjects(docker);
    const make = async (name: string, labels: Record<string, string>, start = false): Promise<void> => {
      const { Id } = await docker.containers.create({ Image: ctx.image, Cmd: ['sleep', '300'], Labels: labels, HostConfig: { NetworkMode: 'none', Init: true } }, { name });
      if (start) await docker.containers.start(Id);
    };
    await docker.images.build({ tag: builtImageName('scn_gone', TEST_MASTER), dockerfileContent: `FROM ${ctx.image}\nCMD ["sleep", "300"]`, labels: ownerLabels('scn_gone', TEST_MASTER) });
    await make(REAP_NAMES.orphanRunning, ownerLabels('scn_gone', TEST_MASTER), true);
    await make(REAP_NAMES.orphanCreated, ownerLabels('scn_gone_too', TEST_MASTER));
    await make(REAP_NAMES.kept, ownerLabels('scn_kept', TEST_MASTER));
    await make(REAP_NAMES.foreign, ownerLabels('scn_gone', 'another-master:/elsewhere'));
    // named like the worker's container, but not labelled: someone else's (Buildbot removed such by name prefix, #3800)
    await make(REAP_NAMES.unlabelled, {});
    // what a host labels as its master's: swept too, unless its worker is kept
    await docker.volumes.create({ Name: REAP_VOLUMES.orphan, Labels: ownerLabels('scn_gone', TEST_MASTER) });
    await docker.volumes.create({ Name: REAP_VOLUMES.kept, Labels: ownerLabels('scn_kept', TEST_MASTER) });
    await docker.networks.create({ Name: REAP_NETWORK, Driver: 'bridge', Internal: true, Labels: ownerLabels('scn_gone', TEST_MASTER) });
  },
  cleanup: (docker) => removeReapObjects(docker),
  async run(docker) {
    const result = await reapOrphans({ docker, masterId: TEST_MASTER, keep: ['scn_kept'] });
    const survivors: string[] = [];
    for (const name of [REAP_NAMES.kept, REAP_NAMES.foreign, REAP_NAMES.unlabelled]) {
      survivors.push((await docker.containers.inspect(name)).Name);
    }
    const imageLeft = await docker.images.exists(builtImageName('scn_gone', TEST_MASTER));
    return {
      containers: result.containers.map((c) => ({ name: c.name, worker: c.worker, state: c.state })).sort((a, b) => a.name.localeCompare(b.name)),
      imageWorkers: [...new Set(result.images.map((i) => i.worker))], imageTags: result.images.flatMap((i) => i.tags),
      volumes: result.volumes.map((v) => `${v.name} of ${v.worker}`), networks: result.networks.map((n) => `${n.name} of ${n.worker}`),
      keptVolume: (await docker.volumes.inspect(REAP_VOLUMES.kept)).Name,
      failures: result.failures.map((f) => f.error.message), survivors, imageLeft, again: await reapOrphans({ docker, masterId: TEST_MASTER, keep: ['scn_kept'] }),
    };
  },
  check(t, r) {
    t.same(r.containers, [
      { name: REAP_NAMES.orphanCreated, worker: 'scn_gone_too', state: 'created' },
      { name: REAP_NAMES.orphanRunning, worker: 'scn_gone', state: 'running' },
    ], 'the orphans of this master, running or not');
    t.same(r.imageWorkers, ['scn_gone'], 'the image its worker built');
    t.ok(r.imageTags.some((tag) => tag.endsWith(builtImageName('scn_gone', TEST_MASTER))), 'by its tag');
    t.same(r.failures, []);
    t.same(r.survivors, [REAP_NAMES.kept, REAP_NAMES.foreign, REAP_NAMES.unlabelled].map((n) => `/${n}`), 'kept, foreign and unlabelled containers stay');
    t.equal(r.imageLeft, false);
    t.same(r.volumes, [`${REAP_VOLUMES.orphan} of scn_gone`], 'the labelled volume');
    t.same(r.networks, [`${REAP_NETWORK} of scn_gone`], 'the labelled network');
    t.equal(r.keptVolume, REAP_VOLUMES.kept, 'a kept worker\'s volume stays');
    t.same(r.again, { containers: [], images: [], volumes: [], networks: [], failures: [] }, 'a second sweep finds nothing');
  },
});

export const scenarios: Scenario[] = [lifecycle, crash, build, stale, reap];
