import t from 'tap';
import {
  RenderError, WorkerConfigError, buildProperties, checkConfig, containerSpec, renderDockerOptions,
  type DockerLatentWorkerOptions, type DockerWorkerConfig, type HostConfig, type RenderedDockerOptions,
} from '../../../src/index.js';

const BUILD1 = buildProperties({ image: 'busybox:latest', builder: 'docker_worker', distro: 'wheezy' });

function problemsOf(options: DockerLatentWorkerOptions): string[] {
  try {
    checkConfig(options);
  } catch (err) {
    if (err instanceof WorkerConfigError) return err.problems.map((p) => `${p.option}: ${p.message}`);
    throw err;
  }
  return [];
}

async function rendered(options: Partial<DockerLatentWorkerOptions>, props = BUILD1): Promise<{ config: DockerWorkerConfig; r: RenderedDockerOptions }> {
  const config = checkConfig({ name: 'bot', image: 'busybox', masterId: 'fake:/master', masterFQDN: 'master.example', ...options });
  return { config, r: await renderDockerOptions(config, props) };
}

t.test('construction: minimal, defaults, generated password', async (t) => {
  const c = checkConfig({ name: 'bot', password: 'pass', dockerHost: 'tcp://1234:2375', image: 'worker' });
  t.equal(c.settings.name, 'bot');
  t.equal(c.password, 'pass');
  t.notOk(c.passwordGenerated);
  t.equal(c.options.dockerHost, 'tcp://1234:2375', 'kept as given');
  t.equal(c.settings.buildWaitMs, 0, 'the Docker worker stops after each last build by default');
  t.equal(c.settings.missingMs, 3_600_000);
  t.equal(c.settings.checkIntervalMs, 10_000);
  t.equal(c.readiness, 'attached');
  t.equal(c.masterProtocol, 'pb');
  t.match(c.masterId, /:/, 'default master id is host:cwd');
  const g = checkConfig({ name: 'bot', password: null, image: 'worker' });
  t.ok(g.passwordGenerated);
  t.match(g.password, /^[A-Za-z0-9]{20}$/);
  t.ok(checkConfig({ name: 'bot', dockerfile: 'FROM ubuntu' }), 'a dockerfile alone is enough');
  t.ok(checkConfig({ name: 'bot', image: 'x', dockerfile: 'FROM x', target: 'builder', buildargs: { A: '1' } }), 'target works');
  t.ok(checkConfig({ name: 'bot', image: 'x', hostname: 'myworker_hostname' }));
  const re = checkConfig({ name: 'bot', image: 'x', readiness: { logLine: /connected/gy } });
  t.same(re.readiness, { logLine: /connected/ }, 'stateful RegExp flags are dropped');
});

t.test('checkConfig lists every problem, naming the option', async (t) => {
  t.same(problemsOf({ name: 'bot' }), ['image: give an image, a dockerfile, or both']);
  const all = problemsOf({
    name: 'bot', image: 'Bad Image', volumes: ['abcd=efgh', (p) => String(p.getProperty('x'))], dockerHost: 'ftp://x',
    hostconfig: { network_mode: 'host', Binds: ['/a:/b:bogus'], Init: 'yes' }, version: '1.12', masterFQDN: 'http://h:9989',
    masterProtocol: 'xmpp' as 'pb', encoding: 'zip' as 'gzip', labels: { 'berth.worker': 'x' }, env: { WORKERPASS: 'x' },
    user: 'a b', workingDir: 'rel', platform: 'Linux', stopSignal: 'term', stopTimeout: -1, readiness: 'soon' as 'running',
    customContext: true, command: `'unclosed`, password: '', autoRemove: true, buildWaitTimeout: Number.NaN,
  });
  const options = all.map((p) => p.split(':')[0]);
  t.same(options.sort(), [
    'buildWaitTimeout', 'command', 'customContext', 'dockerHost', 'env.WORKERPASS', 'encoding',
    'hostconfig.Binds', 'hostconfig.Init', 'hostconfig.network_mode', 'image', 'labels.berth.worker', 'masterFQDN',
    'masterProtocol', 'password', 'platform', 'readiness', 'stopSignal', 'stopTimeout', 'user', 'version', 'volumes[0]', 'workingDir',
  ].sort(), all.join('\n'));
  t.match(all.join('\n'), /hostconfig\.network_mode: berth takes Engine API names \(PascalCase\), not docker-py's: write NetworkMode/);
  t.match(all.join('\n'), /volumes\[0\]: invalid volume "abcd=efgh"/);
  t.match(all.join('\n'), /masterFQDN: .*not to a web URL/);
  t.match(problemsOf({ name: 'bot', image: 'x', autoRemove: true, hostconfig: { AutoRemove: false } }), [/^autoRemove: contradicts/]);
  t.match(problemsOf({ name: 'bot', image: 'x', volumes: ['/a:/x'], hostconfig: { Binds: ['/b:/x'] } }), [/^volumes: .*already mounted/]);
  const err = t.throws(() => checkConfig({ name: 'bot' }), WorkerConfigError);
  if (err instanceof WorkerConfigError) t.match(err.message, /^invalid options for worker "bot": image: /);
});

t.test('rendering: every renderable option, deep', async (t) => {
  const { r } = await rendered({
    image: (p) => String(p.getProperty('image')),
    dockerHost: (p) => `tcp://value-${String(p.getProperty('builder'))}`,
    volumes: ['/src/webapp:/opt/webapp:ro', (p) => `/data:/worker/${String(p.getProperty('builder'))}/build`],
    hostconfig: { CgroupParent: (p) => `value-${String(p.getProperty('builder'))}`, NetworkMode: 'fake' },
    dockerfile: (p) => `FROM debian:${String(p.getProperty('distro'))}`,
    command: async () => 'twistd --pidfile= -ny buildbot.tac',
    env: { FROM_PROP: (p) => String(p.getProperty('distro')) },
  });
  t.equal(r.image, 'busybox:latest');
  t.equal(r.dockerHost, 'tcp://value-docker_worker');
  t.same(r.volumes, ['/src/webapp:/opt/webapp:ro', '/data:/worker/docker_worker/build']);
  t.same(r.hostconfig, { CgroupParent: 'value-docker_worker', NetworkMode: 'fake' });
  t.equal(r.dockerfile, 'FROM debian:wheezy');
  t.same(r.command, ['twistd', '--pidfile=', '-ny', 'buildbot.tac'], 'a string command is split like a shell');
  t.same(r.env, { FROM_PROP: 'wheezy' });
  t.equal(r.encoding, 'gzip');
  t.equal(r.masterFQDN, 'master.example');
});

t.test('a renderable that renders badly fails at start, not at construction', async (t) => {
  const config = checkConfig({ name: 'bot', image: 'busybox', volumes: [() => '/data==/worker/build:/x:y'] });
  const err = await renderDockerOptions(config, BUILD1).catch((e: unknown) => e);
  t.type(err, WorkerConfigError);
  t.match(err, { problems: [{ option: 'volumes[0]' }] });
  const throwing = checkConfig({ name: 'bot', image: 'busybox', hostconfig: { Dns: () => { throw new Error('no dns property'); } } });
  const err2 = await renderDockerOptions(throwing, BUILD1).catch((e: unknown) => e);
  t.type(err2, RenderError);
  t.match(err2, { path: 'hostconfig.Dns', message: /rendering hostconfig\.Dns failed: no dns property/ });
  const neither = checkConfig({ name: 'bot', image: () => '', dockerfile: () => '' });
  t.match(await renderDockerOptions(neither, BUILD1).catch((e: unknown) => e), { problems: [{ option: 'image' }] });
});

t.test('container spec: name, env contract, labels, Binds merged, Init default, pass-through', async (t) => {
  const { config, r } = await rendered({
    volumes: ['/tmp:/tmp:ro', '/scratch'],
    hostconfig: { NetworkMode: 'fake', Dns: ['1.1.1.1'], Binds: ['/etc/ssl:/etc/ssl:ro'], ShmSize: 1 << 30 },
    labels: { team: 'ci' }, env: { WORKER_ENVIRONMENT_BLACKLIST: 'WORKERPASS AWS_*' }, hostname: 'myworker_hostname',
    command: ['twistd', '-ny', 'buildbot.tac'], entrypoint: '/usr/bin/dumb-init', user: 'buildbot', workingDir: '/buildbot',
    stopSignal: 'SIGINT', stopTimeout: 30, autoRemove: true, platform: 'linux/amd64', masterFQDN: '[::1]:9990',
  });
  const spec = containerSpec({
    workerName: 'bot', masterId: config.masterId, password: 's3cret', protocol: 'msgpack_experimental_v7',
    masterPort: undefined, image: 'busybox:latest', options: r,
  });
  t.match(spec.name, /^berth-bot-[0-9a-f]{12}$/);
  t.equal(spec.platform, 'linux/amd64');
  t.same(spec.body, {
    Image: 'busybox:latest',
    Env: [
      'WORKER_ENVIRONMENT_BLACKLIST=WORKERPASS AWS_*', 'BUILDMASTER=::1', 'BUILDMASTER_PORT=9990', 'WORKERNAME=bot',
      'WORKERPASS=s3cret', 'BUILDMASTER_PROTOCOL=msgpack_experimental_v7',
    ],
    Labels: { team: 'ci', 'berth.managed': 'true', 'berth.worker': 'bot', 'berth.master': 'fake:/master' },
    HostConfig: {
      NetworkMode: 'fake', Dns: ['1.1.1.1'], ShmSize: 1 << 30, Binds: ['/etc/ssl:/etc/ssl:ro', '/tmp:/tmp:ro'], Init: true, AutoRemove: true,
    },
    Cmd: ['twistd', '-ny', 'buildbot.tac'], Entrypoint: ['/usr/bin/dumb-init'], Hostname: 'myworker_hostname', User: 'buildbot',
    WorkingDir: '/buildbot', StopSignal: 'SIGINT', StopTimeout: 30, Volumes: { '/scratch': {} },
  });
});

t.test('container spec: Buildbot\'s host-config cases', async (t) => {
  const make = async (options: Partial<DockerLatentWorkerOptions>): Promise<HostConfig | undefined> => {
    const { config, r } = await rendered(options);
    return containerSpec({ workerName: 'bot', masterId: config.masterId, password: 'p', protocol: 'pb', masterPort: 9989, image: 'i', options: r }).body.HostConfig;
  };
  t.same(await make({ volumes: ['/tmp:/tmp:ro'], hostconfig: { NetworkMode: 'fake', Dns: ['1.1.1.1', '1.2.3.4'] } }),
    { NetworkMode: 'fake', Dns: ['1.1.1.1', '1.2.3.4'], Binds: ['/tmp:/tmp:ro'], Init: true });
  t.same(await make({ hostconfig: { Init: false } }), { Init: false, Binds: [] }, 'Init: false stays false');
  t.same(await make({ hostconfig: { CgroupParent: (p) => `value-${String(p.getProperty('builder'))}` } }),
    { CgroupParent: 'value-docker_worker', Binds: [], Init: true }, 'a renderable value; Binds injected even with no volumes');
  const { r } = await rendered({ volumes: ['/a:/x'], hostconfig: { Binds: ['/b:/x'] } }).catch(() => ({ r: undefined }));
  t.equal(r, undefined, 'a user bind and a volume on the same path are refused');
});
