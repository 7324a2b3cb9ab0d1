import { ConflictError, DockerArgumentError, NotFoundError, ServerError, type Docker } from '../../src/index.js';
import type { EngineName } from '../helpers/engines.js';
import { enterSwarm, exitSwarm } from '../helpers/swarm.js';
import { failure, scenario, type Scenario } from './scenario.js';
import { SWARM_ENGINES } from './swarm.js';

const LABEL = { 'berth.test': 'scenario' };

type Kind = 'secrets' | 'configs';

const podman = (engine: EngineName): boolean => engine.startsWith('podman');

/** dockerd keeps secrets and configs in a swarm; podman keeps secrets without one. */
const needsSwarm = (engine: EngineName): boolean => !podman(engine);

async function removeNamed(docker: Docker, kind: Kind, name: string): Promise<void> {
  await docker[kind].remove(name).catch(() => undefined);
}

/**
 * One scenario per kind: create (with base64 data; a secret's is registered
 * so the recording masks it), refuse a duplicate (409), inspect by name,
 * list by name, update the labels (versioned), remove, and the 404s.
 */
function dataScenario(kind: Kind, engines: readonly EngineName[]): Scenario {
  const name = `berth-rec-${kind.slice(0, -1)}`;
  const content = `berth ${kind} scenario content`;
  const data = Buffer.from(content).toString('base64');
  return scenario({
    name: `swarm-${kind}`,
    description: `${kind}: create, duplicate (409), inspect, list, update labels, remove, 404s`,
    engines,
    async setup(docker, ctx) {
      if (needsSwarm(ctx.engine)) await enterSwarm(docker);
      await removeNamed(docker, kind, name);
    },
    async cleanup(docker, ctx) {
      await removeNamed(docker, kind, name);
      if (needsSwarm(ctx.engine)) await exitSwarm(docker);
    },
    async run(docker, ctx) {
      if (kind === 'secrets') ctx.secret(data);
      const api = docker[kind];
      const notBase64 = await failure(() => api.create({ Name: name, Data: content }));
      const created = await api.create({ Name: name, Data: data, Labels: LABEL });
      const duplicate = await failure(() => api.create({ Name: name, Data: data }));
      const inspected = await api.inspect(name);
      const listed = await api.list({ filters: { name: [name] } });
      const updated = await api.update(created.ID, { Labels: { ...LABEL, 'berth.updated': 'yes' } }).then(() => 'updated', (e: unknown) => e as Error);
      const after = await api.inspect(created.ID);
      await api.remove(created.ID);
      const gone = await failure(() => api.inspect(created.ID));
      const removeAgain = await failure(() => api.remove(created.ID));
      return { notBase64, created, duplicate, inspected, listed, updated, after, gone, removeAgain };
    },
    check(t, r, ctx) {
      t.type(r.notBase64, DockerArgumentError, 'Data must be base64: checked before sending');
      t.match(r.created.ID, podman(ctx.engine) ? /^[0-9a-f]{25}$/ : /^[0-9a-z]{25}$/);
      t.type(r.duplicate, ConflictError, 'a taken name is a conflict');
      t.equal((r.duplicate as ConflictError).statusCode, 409);
      t.equal(r.inspected.ID, r.created.ID, 'inspect by name');
      t.equal(r.inspected.Spec.Name, name);
      t.same(r.inspected.Spec.Labels, LABEL);
      if (kind === 'secrets') t.equal(r.inspected.Spec.Data, undefined, 'a secret never comes back');
      else t.equal(r.inspected.Spec.Data, data, 'a config does');
      t.same(r.listed.map((x) => x.ID), [r.created.ID], 'found by name');
      if (podman(ctx.engine)) {
        t.type(r.updated, ServerError, 'podman 4.3 cannot update a secret');
        t.equal((r.updated as ServerError).statusCode, 501);
        t.same(r.after.Spec.Labels, LABEL);
      } else {
        t.equal(r.updated, 'updated');
        t.same(r.after.Spec.Labels, { ...LABEL, 'berth.updated': 'yes' }, 'labels updated');
        t.ok(r.after.Version.Index > r.inspected.Version.Index, 'the version moved on');
      }
      t.type(r.gone, NotFoundError);
      t.type(r.removeAgain, NotFoundError);
    },
  });
}

export const secrets = dataScenario('secrets', [...SWARM_ENGINES, 'podman-4.3']);
export const configs = dataScenario('configs', SWARM_ENGINES);

export const scenarios: Scenario[] = [secrets, configs];
