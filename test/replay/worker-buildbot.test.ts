import t from 'tap';
import {
  DockerLatentWorker, LatentWorkerCannotSubstantiate, ManualClock, builtImageName, containerName,
  type BuildProperties, type BuildWithProperties, type EngineConnection,
} from '../../src/index.js';
import { EngineScript, containerId } from '../helpers/engine-script.js';
import {
  TEST_MASTER, scriptStart, scriptStop, scripted, stepsOf, testWorker,
} from '../helpers/docker-worker.js';

/**
 * Buildbot's Docker worker tests (test_docker.py) that involve an engine,
 * as scripted exchanges: which image is looked up, when a pull or a build
 * happens and when not, what reaches the create (rendered host config,
 * volumes, Init), the rendered engine address, and compatibility while a
 * container runs. The worker's build properties are Buildbot's:
 * `image=busybox:latest`, `builder=docker_worker`, `distro=wheezy`.
 */

const BUILD1 = { properties: { image: 'busybox:latest', builder: 'docker_worker', distro: 'wheezy' } };
const BUILD2 = { properties: { image: 'busybox:latest', builder: 'docker_worker2', distro: 'wheezy' } };

/** The create body of a worker with the contract's variables (password matched by wildcard). */
function createBody(worker: string, image: string, hostConfig: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Image: image,
    Env: ['BUILDMASTER=master.test', 'BUILDMASTER_PORT=9989', `WORKERNAME=${worker}`, 'WORKERPASS=<redacted>', 'BUILDMASTER_PROTOCOL=pb'],
    Labels: { 'berth.managed': 'true', 'berth.worker': worker, 'berth.master': TEST_MASTER },
    HostConfig: hostConfig,
    ...extra,
  };
}

t.test('the image is looked up as named: "busybox" and "busybox:latest" (test_start_instance_image_no_version)', async (t) => {
  const s = new EngineScript();
  const ids = { bare: containerId('bare'), tagged: containerId('tagged'), rendered: containerId('rendered') };
  for (const [worker, image, id] of [['w_bare', 'busybox', ids.bare], ['w_tagged', 'busybox:latest', ids.tagged], ['w_rendered', 'busybox:latest', ids.rendered]] as const) {
    scriptStop(s, id, scriptStart(s, { worker, id, image, body: createBody(worker, image, { Binds: [], Init: true }) }));
  }
  await scripted(t, s, 'image names as given', async (docker) => {
    const rendered = (p: BuildProperties): string => String(p.getProperty('image'));
    for (const [name, image] of [['w_bare', 'busybox'], ['w_tagged', 'busybox:latest'], ['w_rendered', rendered]] as const) {
      const { worker } = testWorker(docker, { name, image, readiness: 'running' });
      await worker.substantiate(BUILD1);
      t.match(worker.instance?.description, new RegExp(`^${name === 'w_bare' ? 'busybox' : 'busybox:latest'} on `), `${name}: the image as named`);
      await worker.shutdown();
    }
  });
});

t.test('a missing image without autopull or dockerfile is permanent, and nothing is pulled or created (…image_wrong_version)', async (t) => {
  const s = new EngineScript();
  s.listContainers([]).image('busybox:123', false);
  await scripted(t, s, 'missing image, no autopull', async (docker) => {
    const { worker, events } = testWorker(docker, { name: 'w_missing', image: 'busybox:123', alwaysPull: true });
    const err = await worker.substantiate().catch((e: unknown) => e);
    t.type(err, LatentWorkerCannotSubstantiate);
    t.match((err as Error).message, /image "busybox:123" not found on the engine \(autopull pulls it, a dockerfile builds it\)/);
    t.same(stepsOf(events), ['render', 'connect', 'stale-cleanup', 'image-check'], 'alwaysPull without autopull pulls nothing');
    await worker.shutdown();
  });
});

t.test('a present image: autopull pulls nothing, alwaysPull pulls once; a dockerfile builds nothing (…image_pull, …image_alwayspull, …buildargs)', async (t) => {
  const s = new EngineScript();
  const auto = containerId('auto');
  const always = containerId('always');
  const df = containerId('dockerfile');
  scriptStop(s, auto, scriptStart(s, { worker: 'w_auto', id: auto, image: 'tester:latest' }));
  scriptStop(s, always, scriptStart(s, { worker: 'w_always', id: always, image: 'tester:latest', pull: { repo: 'tester', tag: 'latest' } }));
  scriptStop(s, df, scriptStart(s, { worker: 'w_df', id: df, image: 'tester:latest' }));
  await scripted(t, s, 'present image: pulls and builds', async (docker) => {
    const a = testWorker(docker, { name: 'w_auto', image: 'tester:latest', autopull: true, readiness: 'running' });
    await a.worker.substantiate();
    t.notOk(stepsOf(a.events).includes('pull'), 'autopull: no pull');
    await a.worker.shutdown();
    const b = testWorker(docker, { name: 'w_always', image: 'tester:latest', autopull: true, alwaysPull: true, readiness: 'running' });
    await b.worker.substantiate();
    t.equal(stepsOf(b.events).filter((x) => x === 'pull').length, 1, 'alwaysPull: one pull');
    await b.worker.shutdown();
    const c = testWorker(docker, {
      name: 'w_df', image: 'tester:latest', dockerfile: 'FROM busybox\nRUN exit 1', buildargs: { A: 'b' }, readiness: 'running',
    });
    await c.worker.substantiate();
    t.notOk(stepsOf(c.events).includes('build'), 'no comparison, no build: the image is there');
    await c.worker.shutdown();
  });
});

t.test('a missing image with a rendered dockerfile is built under the worker\'s stable name, then removed (…noimage_renderabledockerfile)', async (t) => {
  const id = containerId('built');
  const image = builtImageName('w_built', TEST_MASTER);
  const s = new EngineScript();
  s.listContainers([]).image(image, false)
    .build(image, { 'berth.managed': 'true', 'berth.worker': 'w_built', 'berth.master': TEST_MASTER },
      [{ stream: 'Step 1/1 : FROM debian:wheezy\n' }, { aux: { ID: `sha256:${'d'.repeat(64)}` } }, { stream: `Successfully tagged ${image}\n` }], { buildargs: '{}' });
  s.create(containerName('w_built', TEST_MASTER), id);
  const held = { attachEnd: s.attach(id, []), exit: s.wait(id, 0) };
  s.start(id);
  scriptStop(s, id, held);
  s.removeImage(image);
  await scripted(t, s, 'rendered dockerfile built', async (docker) => {
    const { worker, events } = testWorker(docker, {
      name: 'w_built', dockerfile: (p: BuildProperties) => `FROM debian:${String(p.getProperty('distro'))}`, readiness: 'running',
    });
    await worker.substantiate(BUILD1);
    t.same(events.flatMap((e) => (e.type === 'progress' && e.step === 'build' ? [e.line] : [])), ['Step 1/1 : FROM debian:wheezy', `Successfully tagged ${image}`]);
    await worker.insubstantiate();
    t.same(stepsOf(events).slice(-4), ['stop', 'wait', 'remove', 'image-remove'], 'the image built for the worker goes with its container');
    await worker.shutdown();
  });
});

t.test('rendered host config, volumes and engine address reach the engine; Init stays as configured (…hostconfig_renderable, …volume_renderable, …docker_host_renderable)', async (t) => {
  const id = containerId('render');
  const s = new EngineScript();
  const body = createBody('w_render', 'busybox:latest', {
    NetworkMode: 'net-docker_worker', Binds: ['/src/webapp:/opt/webapp:ro', '/data:/worker/docker_worker/build'], Init: false,
  }, { Volumes: { '/scratch': {} } });
  scriptStop(s, id, scriptStart(s, { worker: 'w_render', id, image: 'busybox:latest', body }));
  await scripted(t, s, 'rendered create', async (docker) => {
    const connections: EngineConnection[] = [];
    const worker = new DockerLatentWorker<BuildWithProperties>({
      name: 'w_render', masterId: TEST_MASTER, masterFQDN: 'master.test:9989', clock: new ManualClock(), readiness: 'running',
      image: (p) => String(p.getProperty('image')),
      dockerHost: (p) => `tcp://value-${String(p.getProperty('builder'))}:2375`,
      hostconfig: { NetworkMode: (p) => `net-${String(p.getProperty('builder'))}`, Init: false, Binds: ['/src/webapp:/opt/webapp:ro'] },
      volumes: [(p) => `/data:/worker/${String(p.getProperty('builder'))}/build`, '/scratch'],
      // the engine-pool form: told the rendered connection, gives the client
      docker: (connection) => {
        connections.push(connection);
        return docker;
      },
    });
    await worker.substantiate(BUILD1);
    t.same(connections.map((c) => c.dockerHost), ['tcp://value-docker_worker:2375'], 'the rendered engine address, asked for once');
    await worker.shutdown();
  });
});

t.test('a running container takes only builds that render the same; a stopped worker takes any (…reject_incompatible_build_while_running)', async (t) => {
  const first = containerId('compat1');
  const second = containerId('compat2');
  const s = new EngineScript();
  const bodyFor = (builder: string): Record<string, unknown> => createBody('w_compat', 'busybox:latest', { Binds: [`/data:/worker/${builder}/build`], Init: true });
  scriptStop(s, first, scriptStart(s, { worker: 'w_compat', id: first, image: 'busybox:latest', body: bodyFor('docker_worker') }));
  scriptStop(s, second, scriptStart(s, { worker: 'w_compat', id: second, image: 'busybox:latest', body: bodyFor('docker_worker2') }));
  await scripted(t, s, 'compatibility by rendering', async (docker) => {
    const { worker } = testWorker(docker, {
      name: 'w_compat', image: 'busybox:latest', readiness: 'running',
      volumes: [(p: BuildProperties) => `/data:/worker/${String(p.getProperty('builder'))}/build`],
    });
    await worker.substantiate(BUILD1);
    t.equal(await worker.isCompatibleWithBuild(BUILD1), true, 'the build it was started for');
    t.equal(await worker.isCompatibleWithBuild(BUILD2), false, 'another builder renders another volume');
    await worker.insubstantiate();
    t.equal(await worker.isCompatibleWithBuild(BUILD2), true, 'once stopped, any build');
    await worker.substantiate(BUILD2);
    t.equal(worker.container?.id, second, 'a fresh container, rendered for the new build');
    await worker.shutdown();
  });
});
