import { ConflictError, ForbiddenError, NotFoundError, ServerError, type Docker, type NetworkSummary } from '../../src/index.js';
import type { EngineName } from '../helpers/engines.js';
import { failure, scenario, type Scenario } from './scenario.js';

/**
 * Networks on engines without a default bridge or iptables: an `Internal`
 * bridge network with its own subnet needs neither NAT nor firewall rules,
 * and works on all four engines (dockerd creates the `br-…` interface at
 * create time; podman's netavark creates it when the first container starts
 * and removes it with the last one). Each engine gets its own subnet so
 * engines running side by side never share one.
 */

const LABEL = { 'berth.test': 'scenario' };

const SUBNET: Record<EngineName, string> = {
  'dockerd-20.10': '10.213.20',
  'dockerd-26.1': '10.213.26',
  'dockerd-28.5': '10.213.28',
  'dockerd-tls': '10.213.21',
  'podman-4.3': '10.213.43',
};

const podman = (engine: EngineName): boolean => engine.startsWith('podman');

/** Removes leftover containers and every network with one of these exact names (dockerd 20.10 allows duplicates). */
export async function removeNetworks(docker: Docker, networks: readonly string[], containers: readonly string[] = []): Promise<void> {
  for (const c of containers) await docker.containers.remove(c, { force: true }).catch(() => undefined);
  for (const name of networks) {
    const found = await docker.networks.list({ filters: { name: [name] } }).catch(() => []);
    for (const n of found.filter((x) => x.Name === name)) await docker.networks.remove(n.Id).catch(() => undefined);
  }
}

/** create → duplicate (409) → inspect/list → a running container on it → disconnect → connect with a fixed address → remove in use (403) → remove. */
export const lifecycle = scenario({
  name: 'networks-lifecycle',
  description: 'create an internal bridge network, refuse a duplicate, attach a container, reconnect it with a fixed address, remove',
  setup: (docker) => removeNetworks(docker, ['berth-rec-net'], ['berth-rec-netc']),
  cleanup: (docker) => removeNetworks(docker, ['berth-rec-net'], ['berth-rec-netc']),
  async run(docker, ctx) {
    const subnet = SUBNET[ctx.engine];
    const created = await docker.networks.create({
      Name: 'berth-rec-net', Driver: 'bridge', Internal: true, Labels: LABEL,
      IPAM: { Config: [{ Subnet: `${subnet}.0/24`, Gateway: `${subnet}.1` }] },
    });
    const duplicate = await failure(() => docker.networks.create({ Name: 'berth-rec-net', Internal: true }));
    const inspected = await docker.networks.inspect('berth-rec-net');
    const listed = await docker.networks.list({ filters: { label: ['berth.test=scenario'], name: ['berth-rec-net'], driver: ['bridge'] } });
    // podman 4.3 does not know the type filter: record what it answers
    const custom = await docker.networks.list({ filters: { name: ['berth-rec-net'], type: ['custom'] } }).catch((e: unknown) => e as Error);
    const { Id } = await docker.containers.create({
      Image: ctx.image, Cmd: ['sleep', '300'], Labels: LABEL, HostConfig: { NetworkMode: 'berth-rec-net', Init: true },
    }, { name: 'berth-rec-netc' });
    await docker.containers.start(Id);
    const attached = await docker.networks.inspect(created.Id);
    await docker.networks.disconnect('berth-rec-net', { Container: Id });
    const detached = await docker.networks.inspect(created.Id);
    await docker.networks.connect('berth-rec-net', {
      Container: 'berth-rec-netc', EndpointConfig: { IPAMConfig: { IPv4Address: `${subnet}.7` }, Aliases: ['berth-alias'] },
    });
    const reconnected = (await docker.containers.inspect(Id)).NetworkSettings.Networks?.['berth-rec-net'];
    const removeInUse = await failure(() => docker.networks.remove('berth-rec-net'));
    // podman 4.3 refuses by name, but given the full id it removes a network
    // in use (204) and leaks its host bridge and veth: not done there
    const removeInUseById = podman(ctx.engine) ? undefined : await failure(() => docker.networks.remove(created.Id));
    await docker.containers.remove(Id, { force: true });
    await docker.networks.remove(created.Id);
    const gone = await failure(() => docker.networks.inspect(created.Id));
    return { created, duplicate, inspected, listed, custom, attached, detached, reconnected, removeInUse, removeInUseById, gone, containerId: Id };
  },
  check(t, r, ctx) {
    const subnet = SUBNET[ctx.engine];
    t.match(r.created.Id, /^[0-9a-f]{64}$/);
    t.equal(r.created.Warning, '');
    t.type(r.duplicate, ConflictError, 'a taken name is a conflict');
    t.equal((r.duplicate as ConflictError).statusCode, podman(ctx.engine) ? 500 : 409, 'podman says 500 with a cause');
    t.equal(r.inspected.Id, r.created.Id);
    t.equal(r.inspected.Name, 'berth-rec-net');
    t.equal(r.inspected.Driver, 'bridge');
    t.equal(r.inspected.Scope, 'local');
    t.equal(r.inspected.Internal, true);
    t.same(r.inspected.Labels, LABEL);
    t.equal(r.inspected.IPAM?.Config?.[0]?.Subnet, `${subnet}.0/24`);
    t.equal(r.inspected.IPAM?.Config?.[0]?.Gateway, `${subnet}.1`);
    t.same(r.inspected.Containers, {}, 'no container yet');
    t.same(r.listed.map((n) => n.Id), [r.created.Id], 'list by label, name and driver finds exactly it');
    if (podman(ctx.engine)) {
      t.type(r.custom, ServerError, 'podman 4.3 has no type filter');
      t.match((r.custom as ServerError).engineMessage, /invalid filter "type"/);
    } else {
      t.same((r.custom as NetworkSummary[]).map((n) => n.Id), [r.created.Id], 'type=custom finds it');
    }
    t.same(Object.keys(r.attached.Containers ?? {}), [r.containerId], 'the running container is attached');
    t.match(r.attached.Containers?.[r.containerId]?.IPv4Address, new RegExp(`^${subnet.replace(/\./g, '\\.')}\\.\\d+/24$`));
    t.same(r.detached.Containers, {}, 'disconnect detached it');
    t.equal(r.reconnected?.IPAddress, `${subnet}.7`, 'reconnected with the fixed address');
    t.ok(r.reconnected?.Aliases?.includes('berth-alias'), 'with the alias');
    t.type(r.removeInUse, ForbiddenError, 'a network in use cannot be removed (dockerd 403; podman 500 with a cause)');
    t.equal((r.removeInUse as ForbiddenError).statusCode, podman(ctx.engine) ? 500 : 403);
    if (!podman(ctx.engine)) t.type(r.removeInUseById, ForbiddenError, 'by id too');
    t.type(r.gone, NotFoundError);
  },
});

/** Missing and pre-defined networks, argument checks, and prune by label. */
export const errors = scenario({
  name: 'networks-errors',
  description: 'inspect a missing network (404), remove a pre-defined one (403), prune by label',
  setup: (docker) => removeNetworks(docker, ['berth-rec-prune']),
  cleanup: (docker) => removeNetworks(docker, ['berth-rec-prune']),
  async run(docker) {
    const missing = await failure(() => docker.networks.inspect('berth-no-such-network'));
    const removeMissing = await failure(() => docker.networks.remove('berth-no-such-network'));
    const removeHost = await failure(() => docker.networks.remove('host'));
    const emptyName = await failure(() => docker.networks.create({ Name: ' ' }));
    const emptyContainer = await failure(() => docker.networks.connect('berth-rec-prune', { Container: '' }));
    const { Id } = await docker.networks.create({ Name: 'berth-rec-prune', Internal: true, Labels: { 'berth.test': 'prune' } });
    const kept = await docker.networks.prune({ filters: { label: ['berth.test=no-such-value'] } });
    const pruned = await docker.networks.prune({ filters: { label: ['berth.test=prune'] } });
    const after = await docker.networks.list({ filters: { label: ['berth.test=prune'] } });
    return { missing, removeMissing, removeHost, emptyName, emptyContainer, id: Id, kept, pruned, after };
  },
  check(t, r, ctx) {
    t.type(r.missing, NotFoundError);
    t.type(r.removeMissing, NotFoundError);
    if (podman(ctx.engine)) {
      t.type(r.removeHost, NotFoundError, 'podman has no host network object');
    } else {
      t.type(r.removeHost, ForbiddenError, 'a pre-defined network cannot be removed');
      t.match((r.removeHost as ForbiddenError).engineMessage, /pre-defined/);
    }
    t.match(r.emptyName.message, /Name must be a non-empty string/, 'checked before sending');
    t.match(r.emptyContainer.message, /Container must be a non-empty string/, 'checked before sending');
    t.same(r.kept.NetworksDeleted, [], 'a label nobody has prunes nothing');
    t.same(r.pruned.NetworksDeleted, ['berth-rec-prune'], 'prune answers with names');
    t.same(r.after, []);
  },
});

export const scenarios: Scenario[] = [lifecycle, errors];
