import t from 'tap';
import {
  SwarmLatentWorker, WorkerConfigError, checkConfig, renderDockerOptions, buildProperties, serviceName, serviceSpec,
  type ServiceSpecInput,
} from '../../src/index.js';

/** The service a Swarm worker makes, and the options it accepts, as pure functions. */

async function input(extra: Partial<ServiceSpecInput> = {}, options: Record<string, unknown> = {}): Promise<ServiceSpecInput> {
  const cfg = checkConfig({ name: 'w.1_x', image: 'img', masterFQDN: 'ci.example:9999', password: 'pw', masterId: 'm', ...options });
  return {
    name: serviceName('w.1_x', 'm'), workerName: 'w.1_x', masterId: 'm', password: 'pw', protocol: 'pb', masterPort: undefined,
    image: `sha256:${'a'.repeat(64)}`, options: await renderDockerOptions(cfg, buildProperties({}, {})), network: 'host',
    constraints: [], preferences: [], limits: undefined, reservations: undefined, passwordDelivery: 'secret', secret: { id: 'sid', name: 'sname' }, ...extra,
  };
}

t.test('service names are DNS labels that leave room for the secret suffix', async (t) => {
  const name = serviceName('Build.Worker_1', 'm');
  t.match(name, /^berth-build-worker-1-[0-9a-f]{12}$/);
  t.ok(serviceName('x'.repeat(200), 'm').length + 9 <= 64);
  t.not(serviceName('a_b', 'm'), serviceName('a-b', 'm'), 'names alike after sanitising stay apart');
});

t.test('the password as a secret file: WORKERPASS_FILE instead of WORKERPASS', async (t) => {
  const spec = serviceSpec(await input());
  const c = spec.TaskTemplate?.ContainerSpec;
  t.same(c?.Env, ['BUILDMASTER=ci.example', 'BUILDMASTER_PORT=9999', 'WORKERNAME=w.1_x', 'BUILDMASTER_PROTOCOL=pb', 'WORKERPASS_FILE=/run/secrets/WORKERPASS']);
  t.same(c?.Secrets, [{ SecretID: 'sid', SecretName: 'sname', File: { Name: 'WORKERPASS', UID: '0', GID: '0', Mode: 0o444 } }]);
  t.same(spec.TaskTemplate?.RestartPolicy, { Condition: 'none' });
  t.same(spec.TaskTemplate?.Networks, [{ Target: 'host' }]);
  t.same(spec.Mode, { Replicated: { Replicas: 1 } });
  t.same(spec.Labels, { 'berth.managed': 'true', 'berth.worker': 'w.1_x', 'berth.master': 'm' });
  t.same(c?.Labels, spec.Labels, 'the containers carry the owner labels too');
  t.notOk(JSON.stringify(spec).includes('"pw"') || JSON.stringify(spec).includes('=pw'), 'no password in the spec');
});

t.test('the password in the environment, placement, resources, command and entrypoint', async (t) => {
  const spec = serviceSpec(await input({
    passwordDelivery: 'env', secret: undefined, network: 'ci-overlay', constraints: ['node.role==worker'], preferences: ['node.labels.zone'],
    limits: { nanoCPUs: 2e9 }, reservations: { memoryBytes: 1024 },
  }, { command: 'run --fast', entrypoint: '/init', stopTimeout: 3, user: 'ci', workingDir: '/w' }));
  const c = spec.TaskTemplate?.ContainerSpec;
  t.ok(c?.Env?.includes('WORKERPASS=pw'));
  t.equal(c?.Secrets, undefined);
  t.same(c?.Command, ['/init'], "a service's Command is the entrypoint");
  t.same(c?.Args, ['run', '--fast'], 'and Args the command');
  t.equal(c?.StopGracePeriod, 3e9);
  t.equal(c?.User, 'ci');
  t.equal(c?.Dir, '/w');
  t.same(spec.TaskTemplate?.Placement, { Constraints: ['node.role==worker'], Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }] });
  t.same(spec.TaskTemplate?.Resources, { Limits: { NanoCPUs: 2e9 }, Reservations: { MemoryBytes: 1024 } });
  t.same(spec.TaskTemplate?.Networks, [{ Target: 'ci-overlay' }]);
});

t.test('options a service has no use for are refused, with the shared checks, all at once', async (t) => {
  const err = (() => {
    try {
      return new SwarmLatentWorker({
        name: 'w', image: 'img', hostconfig: { Init: false }, readiness: 'healthy', passwordDelivery: 'file' as never,
        limits: { gpus: 1 } as never, masterPort: 0, constraints: [''],
      } as never);
    } catch (e) {
      return e;
    }
  })();
  t.type(err, WorkerConfigError);
  t.same((err as WorkerConfigError).problems.map((p) => p.option).sort(),
    ['constraints', 'hostconfig', 'limits.gpus', 'masterPort', 'passwordDelivery', 'readiness'].sort());
});
