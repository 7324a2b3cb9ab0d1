import { ConflictError, DockerVersionError, NotFoundError, type Docker } from '../../src/index.js';
import type { EngineName } from '../helpers/engines.js';
import { failure, scenario, type Scenario } from './scenario.js';

const LABEL = { 'berth.test': 'scenario' };

/** Engines whose API (≥ 1.42) prunes only anonymous volumes unless asked for all. */
const prunesAnonymousOnly = (engine: EngineName): boolean => engine === 'dockerd-26.1' || engine === 'dockerd-28.5';

async function removeVolumes(docker: Docker, volumes: readonly string[], containers: readonly string[] = []): Promise<void> {
  for (const c of containers) await docker.containers.remove(c, { force: true }).catch(() => undefined);
  for (const v of volumes) await docker.volumes.remove(v, { force: true }).catch(() => undefined);
}

/** Runs a container to its exit, registering the wait first. */
async function runToExit(docker: Docker, id: string): Promise<number> {
  const waiter = await docker.containers.waiter(id, { condition: 'next-exit' });
  await docker.containers.start(id);
  return (await waiter.result).StatusCode;
}

/** A named volume written by one container and read by another; removing it in use is a conflict. */
export const lifecycle = scenario({
  name: 'volumes-lifecycle',
  description: 'create a volume, mount it in two containers (write, read back), remove it in use (409), remove it',
  setup: (docker) => removeVolumes(docker, ['berth-rec-vol'], ['berth-rec-volw', 'berth-rec-volr']),
  cleanup: (docker) => removeVolumes(docker, ['berth-rec-vol'], ['berth-rec-volw', 'berth-rec-volr']),
  async run(docker, ctx) {
    const created = await docker.volumes.create({ Name: 'berth-rec-vol', Driver: 'local', Labels: LABEL });
    const again = await docker.volumes.create({ Name: 'berth-rec-vol', Driver: 'local', Labels: LABEL });
    const inspected = await docker.volumes.inspect('berth-rec-vol');
    const listed = await docker.volumes.list({ filters: { name: ['berth-rec-vol'], label: ['berth.test=scenario'], driver: ['local'] } });
    const writer = await docker.containers.create({
      Image: ctx.image, Cmd: ['sh', '-c', 'echo berth > /data/hello.txt'], Labels: LABEL,
      HostConfig: { NetworkMode: 'none', Binds: ['berth-rec-vol:/data'] },
    }, { name: 'berth-rec-volw' });
    const wrote = await runToExit(docker, writer.Id);
    const reader = await docker.containers.create({
      Image: ctx.image, Cmd: ['sh', '-c', 'test "$(cat /data/hello.txt)" = berth'], Labels: LABEL,
      HostConfig: { NetworkMode: 'none', Binds: ['berth-rec-vol:/data:ro'] },
    }, { name: 'berth-rec-volr' });
    const read = await runToExit(docker, reader.Id);
    const inUse = await docker.volumes.list({ filters: { name: ['berth-rec-vol'], dangling: [false] } });
    const removeInUse = await failure(() => docker.volumes.remove('berth-rec-vol'));
    const forceInUse = await failure(() => docker.volumes.remove('berth-rec-vol', { force: true }));
    await docker.containers.remove(writer.Id);
    await docker.containers.remove(reader.Id);
    const dangling = await docker.volumes.list({ filters: { name: ['berth-rec-vol'], dangling: [true] } });
    await docker.volumes.remove('berth-rec-vol');
    const gone = await failure(() => docker.volumes.inspect('berth-rec-vol'));
    const removeAgain = await failure(() => docker.volumes.remove('berth-rec-vol'));
    return { created, again, inspected, listed, wrote, read, inUse, removeInUse, forceInUse, dangling, gone, removeAgain };
  },
  check(t, r, ctx) {
    t.equal(r.created.Name, 'berth-rec-vol');
    t.equal(r.created.Driver, 'local');
    t.equal(r.created.Scope, 'local');
    t.same(r.created.Labels, LABEL);
    t.match(r.created.Mountpoint, /\/berth-rec-vol\/_data$/);
    t.equal(r.again.Name, 'berth-rec-vol', 'creating an existing volume returns it');
    t.equal(r.again.Mountpoint, r.created.Mountpoint);
    const { Options: createdOptions, ...created } = r.created;
    const { Options: inspectedOptions, ...inspected } = r.inspected;
    t.same(inspected, created, 'inspect says what create said');
    t.equal(createdOptions, null, 'no driver options: null');
    t.same(inspectedOptions, ctx.engine.startsWith('podman') ? {} : null, 'podman 4.3 says {} on inspect');
    t.same(r.listed.Volumes.map((v) => v.Name), ['berth-rec-vol']);
    t.same(r.listed.Warnings, [], 'null warnings become an empty list');
    t.equal(r.wrote, 0, 'the writer wrote the file');
    t.equal(r.read, 0, 'a second container read it back');
    t.same(r.inUse.Volumes.map((v) => v.Name), ['berth-rec-vol'], 'dangling=false: in use');
    t.type(r.removeInUse, ConflictError, 'a volume in use cannot be removed');
    t.equal((r.removeInUse as ConflictError).statusCode, 409, 'podman says 409 too');
    t.type(r.forceInUse, ConflictError, 'not even with force');
    t.same(r.dangling.Volumes.map((v) => v.Name), ['berth-rec-vol'], 'dangling=true once its containers are gone');
    t.type(r.gone, NotFoundError);
    t.type(r.removeAgain, NotFoundError);
  },
});

/** Prune of a named volume: which engines prune named volumes by default, and the `all` option. */
export const prune = scenario({
  name: 'volumes-prune',
  description: 'prune a named volume with all: false, by default, and with all: true',
  setup: (docker) => removeVolumes(docker, ['berth-rec-prune']),
  cleanup: (docker) => removeVolumes(docker, ['berth-rec-prune']),
  async run(docker) {
    await docker.volumes.create({ Name: 'berth-rec-prune', Labels: { 'berth.test': 'prune' } });
    const filters = { label: ['berth.test=prune'] };
    const anonymousOnly = await docker.volumes.prune({ filters, all: false }).catch((e: unknown) => e as Error);
    const byDefault = await docker.volumes.prune({ filters });
    const all = await docker.volumes.prune({ filters, all: true });
    const left = await docker.volumes.list({ filters });
    return { anonymousOnly, byDefault, all, left };
  },
  check(t, r, ctx) {
    if (prunesAnonymousOnly(ctx.engine)) {
      t.same(r.anonymousOnly, { VolumesDeleted: [], SpaceReclaimed: 0 }, 'all: false keeps named volumes');
      t.same(r.byDefault.VolumesDeleted, [], 'API ≥ 1.42 keeps named volumes by default');
      t.same(r.all.VolumesDeleted, ['berth-rec-prune'], 'all: true prunes them');
    } else {
      t.type(r.anonymousOnly, DockerVersionError, 'all: false cannot be honoured below API 1.42');
      t.match((r.anonymousOnly as Error).message, /needs API version 1\.42/);
      t.same(r.byDefault.VolumesDeleted, ['berth-rec-prune'], 'below API 1.42 named volumes are pruned by default');
      t.same(r.all.VolumesDeleted, [], 'all: true is the default there: nothing is left');
    }
    t.same(r.left.Volumes, []);
  },
});

export const scenarios: Scenario[] = [lifecycle, prune];
