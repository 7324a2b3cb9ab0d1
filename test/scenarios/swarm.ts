import {
  DockerArgumentError, NotFoundError, UnavailableError, isVersionConflict, type Docker,
} from '../../src/index.js';
import type { EngineName } from '../helpers/engines.js';
import { SCENARIO_SWARM, enterSwarm, exitSwarm, leaveSwarm } from '../helpers/swarm.js';
import { failure, scenario, type Scenario } from './scenario.js';

/**
 * Swarm scenarios run on the dockerd engines only (podman has no swarm), and
 * one swarm at a time on the machine: setup takes the machine-wide swarm
 * lock (test/helpers/swarm.ts) before anything becomes a swarm, cleanup
 * leaves the swarm, removes `docker_gwbridge` and releases the lock — and
 * cleanup runs even when the scenario fails.
 */
export const SWARM_ENGINES: readonly EngineName[] = ['dockerd-20.10', 'dockerd-26.1', 'dockerd-28.5'];

const LABEL = { 'berth.test': 'scenario' };

/** init → init again (503) → inspect → update → unlock key → nodes: list, inspect, update labels and availability. */
export const lifecycle = scenario({
  name: 'swarm-lifecycle',
  description: 'init a single-node swarm, inspect and update it, update its node (labels, availability)',
  engines: SWARM_ENGINES,
  setup: (docker) => enterSwarm(docker, { init: false }),
  cleanup: (docker) => exitSwarm(docker),
  async run(docker) {
    const nodeId = await docker.swarm.init({ ...SCENARIO_SWARM, Spec: { Labels: LABEL, Orchestration: { TaskHistoryRetentionLimit: 3 } } });
    const again = await failure(() => docker.swarm.init({ ...SCENARIO_SWARM }));
    const swarm = await docker.swarm.inspect();
    await docker.swarm.update({ Labels: { ...LABEL, 'berth.updated': 'yes' } });
    const updated = await docker.swarm.inspect();
    const stale = await failure(() => docker.swarm.update(updated.Spec ?? {}, { version: swarm.Version?.Index ?? 0 }));
    const unlock = await docker.swarm.unlockKey();
    const managers = await docker.nodes.list({ filters: { role: ['manager'] } });
    const node = await docker.nodes.inspect(nodeId);
    await docker.nodes.update(nodeId, { Labels: { 'berth.zone': 'a' }, Availability: 'pause' });
    const paused = await docker.nodes.inspect(nodeId);
    const byLabel = await docker.nodes.list({ filters: { 'node.label': ['berth.zone=a'] } });
    await docker.nodes.update(nodeId, (spec) => ({ ...spec, Availability: 'active' }));
    const active = await docker.nodes.inspect(nodeId);
    const changeWithVersion = await failure(() => docker.nodes.update(nodeId, (spec) => spec, { version: active.Version.Index }));
    const missingNode = await failure(() => docker.nodes.inspect('berth-no-such-node'));
    return { nodeId, again, swarm, updated, stale, unlock, managers, node, paused, byLabel, active, changeWithVersion, missingNode };
  },
  check(t, r) {
    t.match(r.nodeId, /^[0-9a-z]{25}$/, 'init answers the node id');
    t.type(r.again, UnavailableError, 'init on a swarm member is a 503');
    t.match((r.again as UnavailableError).engineMessage, /already part of a swarm/);
    t.match(r.swarm.ID, /^[0-9a-z]{25}$/);
    t.same(r.swarm.Spec?.Labels, LABEL, 'the init spec is kept');
    t.equal(r.swarm.Spec?.Orchestration?.TaskHistoryRetentionLimit, 3);
    t.same(r.swarm.DefaultAddrPool, ['10.214.0.0/16']);
    t.equal(r.swarm.SubnetSize, 24);
    t.equal(r.swarm.DataPathPort, 24789);
    t.match(r.swarm.JoinTokens?.Worker, /^SWMTKN-1-/, 'join tokens (scrubbed in fixtures)');
    t.same(r.updated.Spec?.Labels, { ...LABEL, 'berth.updated': 'yes' }, 'update replaced the labels');
    t.equal(r.updated.Spec?.Orchestration?.TaskHistoryRetentionLimit, 3, 'and kept the rest of the spec');
    t.ok((r.updated.Version?.Index ?? 0) > (r.swarm.Version?.Index ?? 0), 'the version moved on');
    t.ok(isVersionConflict(r.stale), 'a stale version is a version conflict');
    t.equal((r.stale as UnavailableError).statusCode, 500, 'dockerd answers it with 500');
    t.same(r.unlock, { UnlockKey: '' }, 'no unlock key without autolock');
    t.same(r.managers.map((n) => n.ID), [r.nodeId]);
    t.equal(r.node.Spec.Role, 'manager');
    t.equal(r.node.Spec.Availability, 'active');
    t.equal(r.node.Status?.State, 'ready');
    t.equal(r.node.ManagerStatus?.Leader, true);
    t.equal(r.node.ManagerStatus?.Addr, '127.0.0.1:24377');
    t.equal(r.paused.Spec.Availability, 'pause');
    t.same(r.paused.Spec.Labels, { 'berth.zone': 'a' });
    t.equal(r.paused.Spec.Role, 'manager', 'fields left out keep their value');
    t.ok(r.paused.Version.Index > r.node.Version.Index);
    t.same(r.byLabel.map((n) => n.ID), [r.nodeId], 'node.label filter');
    t.equal(r.active.Spec.Availability, 'active', 'a change function sees the current spec');
    t.same(r.active.Spec.Labels, { 'berth.zone': 'a' });
    t.type(r.changeWithVersion, DockerArgumentError, 'a change function needs the current spec: no version');
    t.type(r.missingNode, NotFoundError);
  },
});

/**
 * Leaving: the last manager needs force. The swarm is made in setup, which
 * waits for its ingress sandbox: leaving while it is being set up leaves
 * dockerd 20.10 with a half-removed ingress network.
 */
export const leave = scenario({
  name: 'swarm-leave',
  description: 'leave a single-node swarm: without force (503), with force, then GET /swarm (503)',
  engines: SWARM_ENGINES,
  setup: (docker) => enterSwarm(docker),
  cleanup: (docker) => exitSwarm(docker),
  async run(docker) {
    const before = (await docker.info()).Swarm;
    const leaveLast = await failure(() => docker.swarm.leave());
    await docker.swarm.leave({ force: true });
    const after = (await docker.info()).Swarm;
    const left = await failure(() => docker.swarm.inspect());
    return { before, leaveLast, after, left };
  },
  check(t, r) {
    t.equal(r.before?.LocalNodeState, 'active');
    t.equal(r.before?.ControlAvailable, true, 'a manager');
    t.type(r.leaveLast, UnavailableError, 'the last manager leaves only with force');
    t.match((r.leaveLast as UnavailableError).engineMessage, /--force/);
    t.equal(r.after?.LocalNodeState, 'inactive', 'left');
    t.type(r.left, UnavailableError, 'no swarm after leave');
  },
});

/** Swarm calls on an engine that is not in a swarm. */
export const notMember = scenario({
  name: 'swarm-not-member',
  description: 'GET /swarm, /nodes, /services, /tasks, /swarm/unlockkey and POST /swarm/leave outside a swarm',
  async setup(docker) {
    await leaveSwarm(docker);
  },
  async run(docker: Docker) {
    const inspect = await failure(() => docker.swarm.inspect());
    const nodes = await failure(() => docker.nodes.list());
    const services = await failure(() => docker.services.list());
    const tasks = await failure(() => docker.tasks.list());
    const unlockKey = await failure(() => docker.swarm.unlockKey());
    const leave = await failure(() => docker.swarm.leave());
    return { inspect, nodes, services, tasks, unlockKey, leave };
  },
  check(t, r, ctx) {
    if (ctx.engine.startsWith('podman')) {
      for (const [name, err] of Object.entries({ inspect: r.inspect, nodes: r.nodes, services: r.services, tasks: r.tasks })) {
        t.type(err, NotFoundError, `${name}: podman 4.3 has no such endpoint`);
        t.match(err.message, /does not implement/, name);
      }
      for (const [name, err] of Object.entries({ unlockKey: r.unlockKey, leave: r.leave })) {
        t.type(err, UnavailableError, `${name}: podman 4.3 answers 503`);
        t.match((err as UnavailableError).engineMessage, /Podman does not support service/, name);
      }
      return;
    }
    for (const [name, err] of Object.entries(r)) t.type(err, UnavailableError, `${name}: 503 outside a swarm`);
    t.match((r.inspect as UnavailableError).engineMessage, /not a swarm manager/);
    t.equal((r.inspect as UnavailableError).code, 'ERR_DOCKER_UNAVAILABLE');
    t.match((r.leave as UnavailableError).engineMessage, /not part of a swarm/);
  },
});

export const scenarios: Scenario[] = [lifecycle, leave, notMember];
