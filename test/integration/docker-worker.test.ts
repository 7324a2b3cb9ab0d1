import t, { type Test } from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  DockerLatentWorker, LatentWorkerCannotSubstantiate, LatentWorkerCrashedError, LatentWorkerFailedToSubstantiate, ManualClock, systemClock, builtImageName, isNotFound, reapOrphans, REDACTED_TEXT,
  type BuildWithProperties, type Docker, type LatentWorkerEvent,
} from '../../src/index.js';
import {
  advanceWhenArmed, everything, linesOf, nextEvent, ownedContainers, removeOwned, stateReached, stepsOf, testWorker,
} from '../helpers/docker-worker.js';
import { dockerFor, engineOr, registriesOr, type EngineName, type TestEngine } from '../helpers/engines.js';
import { tarOf } from '../helpers/tar.js';
import { shortTempDir } from '../helpers/tmp.js';
import { stagedDockerfile } from '../scenarios/worker.js';
import { TestMaster, connectBackCommand } from '../helpers/worker-master.js';

/**
 * Docker latent workers on real engines, the way a master uses them: the
 * container's worker connects back (busybox `nc` on the host's network) to
 * a TCP "master" in the test and presents WORKERNAME and WORKERPASS; the
 * master checks them and calls `attached()`. Builds, the idle stop, the
 * startup output with the password redacted, volumes and binds, Init, a
 * pull from a private registry with credentials, a build from a Dockerfile,
 * a crash before connecting, a container removed behind the worker's back,
 * and the readiness strategies. Time is a manual clock: no timer fires
 * unless a test moves it.
 */

const ENGINES: readonly EngineName[] = ['dockerd-20.10', 'podman-4.3', 'dockerd-28.5'];
const MASTER = 'berth-it:/docker-worker';
const PASSWORD = 'Pw-5ecret-never-shown';

/** For each engine that is up: a client, and a teardown that leaves no container of this master behind. */
async function onEngines(t: Test, body: (t: Test, docker: Docker, engine: TestEngine) => Promise<void>): Promise<void> {
  for (const name of ENGINES) {
    await t.test(name, async (t) => {
      const engine = engineOr(t, name);
      if (!engine) return;
      const docker = dockerFor(t, engine);
      await removeOwned(docker, MASTER);
      // containers and built images (with podman's labelled layers of a failed build)
      t.teardown(() => reapOrphans({ docker, masterId: MASTER }));
      await body(t, docker, engine);
      t.same(await ownedContainers(docker, MASTER), [], 'no container of this master is left (by label)');
    });
  }
}

/** The first output event whose line matches `re`. */
function outputLine(worker: Parameters<typeof nextEvent>[0], re: RegExp): Promise<LatentWorkerEvent> {
  return nextEvent(worker, (e) => e.type === 'output' && re.test(e.line), `an output line matching ${String(re)}`);
}

t.test('a worker connects back, runs builds, stops when idle; output redacted, volumes and binds, Init', async (t) => {
  await onEngines(t, async (t, docker, engine) => {
    const master = await TestMaster.start(t);
    const dir = shortTempDir(t);
    mkdirSync(join(dir, 'vol'));
    mkdirSync(join(dir, 'bind'));
    writeFileSync(join(dir, 'vol', 'a.txt'), 'from volumes\n');
    writeFileSync(join(dir, 'bind', 'b.txt'), 'from hostconfig.Binds\n');
    const { worker, clock, events } = testWorker(docker, {
      name: 'it_conn', masterId: MASTER, image: engine.image, password: PASSWORD, followStartupLogs: true, masterFQDN: master.address,
      command: connectBackCommand('cat /vol/a.txt /bind/b.txt; echo "pid 1 is $(cat /proc/1/comm)"'),
      volumes: [`${dir}/vol:/vol:ro`], hostconfig: { NetworkMode: 'host', Binds: [`${dir}/bind:/bind:ro`] },
    });
    t.teardown(() => worker.shutdown());
    // the output is followed until the worker attaches: let the last line before the connection arrive first
    master.register(worker, PASSWORD, outputLine(worker, /dialing/));
    await worker.substantiate();
    t.equal(worker.state, 'SUBSTANTIATED');
    t.same(master.logins, [{ name: 'it_conn', accepted: true }], 'the worker presented its name and password');
    const id = worker.container?.id ?? '';
    const inspect = await docker.containers.inspect(id);
    t.equal(inspect.HostConfig.Init, true, 'Init is on by default');
    const binds = inspect.HostConfig.Binds ?? [];
    t.ok(binds.some((b) => b.startsWith(`${dir}/vol:/vol:ro`)), 'volumes are among the binds');
    t.ok(binds.some((b) => b.startsWith(`${dir}/bind:/bind:ro`)), 'hostconfig.Binds kept beside them');
    const output = linesOf(events);
    t.same(output.slice(0, 3), ['from volumes', 'from hostconfig.Binds', `pid 1 is ${engine.kind === 'podman' ? 'podman-init' : 'docker-init'}`],
      'both mounts are readable, and an init process runs the command');
    t.match(output[3], new RegExp(`^worker it_conn dialing 127\\.0\\.0\\.1:\\d+ \\(pb\\) with password ${REDACTED_TEXT.replace(/[[\]]/g, '\\$&')}$`), 'the password is redacted');

    worker.buildStarted();
    worker.buildStarted();
    worker.buildFinished({ success: true });
    await clock.flush();
    t.equal(worker.state, 'SUBSTANTIATED', 'a build still runs: no idle stop');
    worker.buildFinished({ success: true });
    await clock.flush(); // buildWaitTimeout 0: the stop begins once idle
    await stateReached(worker, 'NOT_SUBSTANTIATED');
    t.same(await ownedContainers(docker, MASTER), [], 'the idle stop removed the container');
    const steps = stepsOf(events).filter((s) => s !== 'ready');
    t.same(steps, ['render', 'connect', 'stale-cleanup', 'image-check', 'create', 'attach', 'start', 'stop', 'wait', 'remove']);
    t.notOk(everything(events).includes(PASSWORD), 'no event carries the password');
  });
});

t.test('an image pulled from a private registry with credentials; no secret in any event or error', async (t) => {
  const reg = registriesOr(t);
  if (!reg) return;
  await onEngines(t, async (t, docker, engine) => {
    const image = `${reg.auth}/berth-worker/${engine.name.replace('.', '-')}:pull`;
    const auth = { username: reg.user, password: reg.password, serveraddress: reg.auth };
    await docker.images.tag(engine.image, image);
    await docker.images.push(image, { auth });
    await docker.images.remove(image);
    t.teardown(() => docker.images.remove(image).catch((err: unknown) => { if (!isNotFound(err)) throw err; }));
    t.equal(await docker.images.exists(image), false, 'the engine does not have the image');

    const master = await TestMaster.start(t);
    const { worker, clock, events } = testWorker(docker, {
      name: 'it_pull', masterId: MASTER, image, autopull: true, registryAuth: auth, followStartupLogs: true,
      masterFQDN: master.address, command: connectBackCommand(), hostconfig: { NetworkMode: 'host' },
    });
    t.teardown(() => worker.shutdown());
    // a generated password: the master asks the worker for it
    master.register(worker, worker.password, outputLine(worker, /dialing/));
    await worker.substantiate();
    t.same(master.logins, [{ name: 'it_pull', accepted: true }]);
    t.ok(stepsOf(events).includes('pull'), 'pulled');
    t.ok(linesOf(events, 'progress').length > 0, 'with progress');
    await worker.insubstantiate();
    await clock.flush();

    // wrong credentials: the start fails, and neither password shows anywhere
    await docker.images.remove(image).catch(() => undefined);
    const wrongPassword = `${reg.password}-but-wrong`;
    const bad = testWorker(docker, {
      name: 'it_pull_bad', masterId: MASTER, image, autopull: true, masterFQDN: master.address,
      registryAuth: { username: reg.user, password: wrongPassword, serveraddress: reg.auth }, hostconfig: { NetworkMode: 'host' },
    });
    t.teardown(() => bad.worker.shutdown());
    const err = await bad.worker.substantiate().catch((e: unknown) => e);
    t.type(err, LatentWorkerCannotSubstantiate, 'a pull refused by the registry is permanent');
    t.match((err as Error).message, /not found on the engine, and pulling it failed/);
    const said = everything([...events, ...bad.events, err]);
    const base64 = (user: string, pass: string): string => Buffer.from(`${user}:${pass}`).toString('base64');
    for (const secret of [worker.password, bad.worker.password, reg.password, wrongPassword, base64(reg.user, reg.password), base64(reg.user, wrongPassword)]) {
      t.notOk(said.includes(secret), 'a secret is in no event or error');
    }
  });
});

const DOCKERFILE = (image: string): string => stagedDockerfile(image, connectBackCommand('cat /greeting'));

t.test('a missing image is built from the Dockerfile (target, build args), run, and removed at the stop; a failing build fails the start', async (t) => {
  await onEngines(t, async (t, docker, engine) => {
    const master = await TestMaster.start(t);
    const image = builtImageName('it_build', MASTER);
    t.teardown(() => docker.images.remove(image).catch((err: unknown) => { if (!isNotFound(err)) throw err; }));
    const { worker, events } = testWorker(docker, {
      name: 'it_build', masterId: MASTER, dockerfile: DOCKERFILE(engine.image), target: 'worker', buildargs: { GREETING: 'hello from buildargs' },
      followStartupLogs: true, masterFQDN: master.address, hostconfig: { NetworkMode: 'host' },
    });
    t.teardown(() => worker.shutdown());
    master.register(worker, worker.password, outputLine(worker, /dialing/));
    await worker.substantiate();
    t.equal(linesOf(events)[0], 'greeting: hello from buildargs', 'the target stage, with the build argument');
    t.match((await docker.images.inspect(image)).Config?.Labels ?? {}, { 'berth.managed': 'true', 'berth.worker': 'it_build', 'berth.master': MASTER });
    await worker.insubstantiate();
    t.equal(await docker.images.exists(image), false, 'the image built for the worker is removed with it');

    const broken = testWorker(docker, {
      name: 'it_build_bad', masterId: MASTER, dockerfile: DOCKERFILE(engine.image), target: 'broken', hostconfig: { NetworkMode: 'host' },
    });
    t.teardown(() => broken.worker.shutdown());
    t.teardown(() => docker.images.remove(builtImageName('it_build_bad', MASTER)).catch(() => undefined));
    const before = (await docker.containers.list({ all: true })).length;
    const err = await broken.worker.substantiate().catch((e: unknown) => e);
    t.equal((await docker.containers.list({ all: true })).length, before, 'the failed step left no container behind (forcerm)');
    t.type(err, LatentWorkerCannotSubstantiate, 'a failing build is permanent');
    t.match((err as Error).message, /about to fail/, 'with the tail of the build log');
    t.notOk(stepsOf(broken.events).includes('create'), 'no container was made');
  });
});

t.test('a crash before connecting fails the start early, with the exit code and the last lines', async (t) => {
  await onEngines(t, async (t, docker, engine) => {
    const { worker } = testWorker(docker, {
      name: 'it_crash', masterId: MASTER, image: engine.image, checkInstanceInterval: null, hostconfig: { NetworkMode: 'none' },
      command: ['sh', '-c', `echo "connecting with $WORKERPASS"; echo "fatal: no master" >&2; exit 3`],
    });
    t.teardown(() => worker.shutdown());
    // no clock moves and polling is off: the exit the waiter saw triggers the check
    const err = await worker.substantiate().catch((e: unknown) => e);
    t.type(err, LatentWorkerCrashedError);
    t.match((err as Error).message, /exited with code 3; its last output:\n/);
    const lines = ((err as Error).message.split('its last output:\n')[1] ?? '').split('\n').sort();
    t.same(lines, ['connecting with [redacted]', 'fatal: no master']);
    await worker.insubstantiate();
  });
});

t.test('a container removed behind the worker\'s back is noticed by the crash check', async (t) => {
  await onEngines(t, async (t, docker, engine) => {
    const { worker, clock, events } = testWorker(docker, {
      name: 'it_gone', masterId: MASTER, image: engine.image, hostconfig: { NetworkMode: 'none' },
      command: ['sh', '-c', 'echo "waiting for nothing"; exec sleep 600'],
    });
    t.teardown(() => worker.shutdown());
    const started = nextEvent(worker, (e) => e.type === 'step' && e.step === 'start', 'the start');
    const starting = worker.substantiate().catch((e: unknown) => e);
    await started;
    await docker.containers.remove(worker.container?.id ?? '', { force: true });
    // the exit seen by the waiter checks at once; the poll (every 10 s of the clock) would too
    await advanceWhenArmed(clock, 10_000);
    const err = await starting;
    t.type(err, LatentWorkerCrashedError);
    // dockerd may still be removing it when the check looks (the waiter saw the kill): `is being removed`
    t.match((err as Error).message, /(was|is being) removed behind the worker's back.*; its last output:\nwaiting for nothing/);
    t.ok(events.some((e) => e.type === 'check' && !e.ok), 'a failed check was reported');
    await worker.insubstantiate();
  });
});

t.test('readiness: a log line, or running', async (t) => {
  await onEngines(t, async (t, docker, engine) => {
    const byLine = testWorker(docker, {
      name: 'it_line', masterId: MASTER, image: engine.image, readiness: { logLine: /^listening on \d+$/ }, hostconfig: { NetworkMode: 'none' },
      command: ['sh', '-c', 'echo starting; echo "listening on 8010"; exec sleep 600'],
    });
    t.teardown(() => byLine.worker.shutdown());
    await byLine.worker.substantiate();
    t.equal(byLine.worker.state, 'SUBSTANTIATED', 'ready when the line came');
    t.same(byLine.events.flatMap((e) => (e.type === 'step' && e.step === 'ready' ? [e.detail?.readiness] : [])), ['logLine']);
    await byLine.worker.insubstantiate();

    const running = testWorker(docker, {
      name: 'it_running', masterId: MASTER, image: engine.image, readiness: 'running', hostconfig: { NetworkMode: 'none' },
      command: ['sleep', '600'],
    });
    t.teardown(() => running.worker.shutdown());
    await running.worker.substantiate();
    t.equal((await docker.containers.inspect(running.worker.container?.id ?? '')).State.Running, true, 'ready once it runs');
    await running.worker.insubstantiate();
  });
});

t.test('stopSignal and stopTimeout reach the container: the stop sends the configured signal', async (t) => {
  await onEngines(t, async (t, docker, engine) => {
    const { worker, events } = testWorker(docker, {
      name: 'it_signal', masterId: MASTER, image: engine.image, hostconfig: { NetworkMode: 'none' }, readiness: { logLine: /^ready$/ },
      stopSignal: 'SIGUSR1', stopTimeout: 5,
      // exits 0 on SIGUSR1; the default SIGTERM would end it with 143
      command: ['sh', '-c', 'trap "exit 0" USR1; echo ready; while true; do sleep 0.1; done'],
    });
    t.teardown(() => worker.shutdown());
    await worker.substantiate();
    const config = (await docker.containers.inspect(worker.container?.id ?? '')).Config;
    t.equal(config.StopSignal, engine.kind === 'podman' ? '10' : 'SIGUSR1', 'podman shows the signal\'s number');
    t.equal(config.StopTimeout, 5);
    await worker.insubstantiate();
    t.same(events.flatMap((e) => (e.type === 'step' && e.step === 'wait' ? [e.detail] : [])), [{ exitCode: 0 }], 'it exited by its USR1 trap');
  });
});

t.test('the other options reach a real engine: a custom context, entrypoint, user, working dir, host name, env, labels, contract, AutoRemove, a pinned API version', async (t) => {
  await onEngines(t, async (t, docker, engine) => {
    const dir = shortTempDir(t);
    const archive = join(dir, 'context.tar.gz');
    writeFileSync(archive, gzipSync(await tarOf({
      Dockerfile: `FROM ${engine.image}\nARG FLAVOUR\nCOPY hello.txt /etc/hello.txt\nRUN echo "$FLAVOUR" > /etc/flavour\n`,
      'hello.txt': 'hello from the custom context\n',
    })));
    const image = builtImageName('it_opts', MASTER);
    t.teardown(() => docker.images.remove(image).catch((err: unknown) => { if (!isNotFound(err)) throw err; }));
    // a client of its own, from the address and the pinned version (a given client would bring its own)
    const worker = new DockerLatentWorker<BuildWithProperties>({
      name: 'it_opts', masterId: MASTER, dockerHost: engine.host, clock: new ManualClock(), dockerfile: archive, customContext: true, encoding: 'gzip', buildargs: { FLAVOUR: 'vanilla' },
      entrypoint: ['sh', '-c'], command: ['echo "$(cat /etc/hello.txt) / $(cat /etc/flavour) / $(id -u):$(id -g) in $(pwd) on $(hostname) for $BUILDMASTER:$BUILDMASTER_PORT $BUILDMASTER_PROTOCOL $TEAM"; exec sleep 600'],
      user: '1234:5678', workingDir: '/tmp', hostname: 'worker-host', env: { TEAM: 'infra' }, labels: { team: 'infra' },
      masterFQDN: 'master.example', masterPort: 9000, masterProtocol: 'msgpack_experimental_v7', autoRemove: true, version: '1.41',
      followStartupLogs: true, readiness: { logLine: / for / }, hostconfig: { NetworkMode: 'none' },
    });
    const events: LatentWorkerEvent[] = [];
    worker.on('event', (e) => events.push(e));
    t.teardown(() => worker.shutdown());
    await worker.substantiate();
    t.same(linesOf(events), ['hello from the custom context / vanilla / 1234:5678 in /tmp on worker-host for master.example:9000 msgpack_experimental_v7 infra']);
    t.match(events.find((e) => e.type === 'step' && e.step === 'connect'), { detail: { apiVersion: '1.41' } }, 'the pinned version');
    const inspect = await docker.containers.inspect(worker.container?.id ?? '');
    t.equal(inspect.HostConfig.AutoRemove, true);
    t.match(inspect.Config.Labels ?? {}, { team: 'infra', 'berth.worker': 'it_opts' });
    await worker.insubstantiate();
    t.same(events.filter((e) => e.type === 'stop-error'), [], 'a container the engine removes itself is a finished stop');
  });
});

t.test('readiness "healthy" on dockerd: the healthcheck decides; unhealthy fails the start with its log', async (t) => {
  await onEngines(t, async (t, docker, engine) => {
    // podman runs healthchecks from systemd timers, which these engines do not have
    if (engine.kind === 'podman') return;
    const check = (test: string[]): { Test: string[]; Interval: number; Timeout: number; Retries: number } =>
      ({ Test: test, Interval: 100_000_000, Timeout: 1_000_000_000, Retries: 1 });
    // the health is polled on the worker's clock: the system's here, the test only awaits the outcome
    const healthy = testWorker(docker, {
      name: 'it_healthy', masterId: MASTER, image: engine.image, readiness: 'healthy', healthcheck: check(['CMD', 'true']),
      command: ['sleep', '600'], hostconfig: { NetworkMode: 'none' },
    }, systemClock);
    t.teardown(() => healthy.worker.shutdown());
    await healthy.worker.substantiate();
    t.equal((await docker.containers.inspect(healthy.worker.container?.id ?? '')).State.Health?.Status, 'healthy');
    await healthy.worker.shutdown();

    const sick = testWorker(docker, {
      name: 'it_sick', masterId: MASTER, image: engine.image, readiness: 'healthy', healthcheck: check(['CMD-SHELL', 'echo database unreachable; exit 1']),
      command: ['sleep', '600'], hostconfig: { NetworkMode: 'none' },
    }, systemClock);
    t.teardown(() => sick.worker.shutdown());
    const err = await sick.worker.substantiate().catch((e: unknown) => e);
    t.type(err, LatentWorkerFailedToSubstantiate);
    t.match((err as Error).message, /is unhealthy: the last healthchecks said:\n(exit 1: database unreachable\n?)+$/);
    await sick.worker.shutdown();
  });
});

t.test('networkingConfig and platform reach a real engine', async (t) => {
  await onEngines(t, async (t, docker, engine) => {
    const network = `berth-it-worker-net`;
    await docker.networks.remove(network).catch((err: unknown) => { if (!isNotFound(err)) throw err; });
    await docker.networks.create({ Name: network, Driver: 'bridge', Internal: true });
    t.teardown(() => docker.networks.remove(network).catch((err: unknown) => { if (!isNotFound(err)) throw err; }));
    const { worker } = testWorker(docker, {
      name: 'it_net', masterId: MASTER, image: engine.image, readiness: 'running', command: ['sleep', '600'],
      hostconfig: { NetworkMode: network }, networkingConfig: { EndpointsConfig: { [network]: { Aliases: ['build-worker'] } } },
      platform: `linux/${process.arch === 'arm64' ? 'arm64' : 'amd64'}`,
    });
    t.teardown(() => worker.shutdown());
    await worker.substantiate();
    const inspect = await docker.containers.inspect(worker.container?.id ?? '');
    t.ok((inspect.NetworkSettings.Networks?.[network]?.Aliases ?? []).includes('build-worker'), 'on the network, with its alias');
    await worker.insubstantiate();
  });
});
