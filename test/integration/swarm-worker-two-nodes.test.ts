import { mkdtempSync, rmSync } from 'node:fs';
import t from 'tap';
import { Docker, LatentWorkerCrashedError, LatentWorkerFailedToSubstantiate, SwarmLatentWorker, ownedByFilter, type SwarmLatentWorkerOptions } from '../../src/index.js';
import { engineOr } from '../helpers/engines.js';
import { engineSh, freePort, interfaceExists } from '../helpers/private-engine.js';
import { acquireSwarmLock, pollUntil, releaseSwarmLock, waitForNodeToSettle } from '../helpers/swarm.js';
import { testMaster } from '../helpers/test-master.js';

/**
 * Swarm workers on a two-node swarm on one machine (two private dockerds,
 * the manager on 127.0.0.1, the worker node on 127.0.0.2, the same image
 * by the same id on both): two workers land on both nodes; a constraint
 * pins a worker to one node; a node drained under a starting worker shuts
 * its task down, the crash check fails the start, and the next start lands
 * on the other node; a node without the image rejects the task, and the
 * start fails saying so. Every worker connects back to a test master on
 * 127.0.0.1 with host networking. The machine-wide swarm lock is held
 * throughout, and both engines are stopped whatever happens.
 */

const MASTER = 'berth-test:/swarm-two';
const CONNECT_BACK = 'printf "%s %s\\n" "$WORKERNAME" "$(cat "$WORKERPASS_FILE")" | nc "$BUILDMASTER" "$BUILDMASTER_PORT"; sleep 300';

t.test('Swarm workers on two nodes: spread, constraint, drain', async (t) => {
  if (!engineOr(t, 'dockerd-20.10')) return;
  await acquireSwarmLock();
  const dir = mkdtempSync('/tmp/bsw-');
  const clients: Docker[] = [];
  const workers: SwarmLatentWorker[] = [];
  try {
    const [managerHost, nodeHost] = await Promise.all([engineSh('start', 'dockerd', `${dir}/m`), engineSh('start', 'dockerd', `${dir}/w`)]);
    const manager = new Docker({ host: managerHost, env: {} });
    const node = new Docker({ host: nodeHost, env: {} });
    clients.push(manager, node);
    const image = await engineSh('image', `${dir}/m/docker.sock`);
    await node.images.load(await manager.images.save('busybox:test'));
    t.equal((await node.images.inspect(image)).Id, image, 'the same image, by the same id, on both nodes');

    const port = await freePort();
    const managerId = await manager.swarm.init({ ListenAddr: `127.0.0.1:${port}`, AdvertiseAddr: `127.0.0.1:${port}` });
    const token = (await manager.swarm.inspect()).JoinTokens?.Worker ?? '';
    await node.swarm.join({ ListenAddr: `127.0.0.2:${port}`, AdvertiseAddr: `127.0.0.2:${port}`, RemoteAddrs: [`127.0.0.1:${port}`], JoinToken: token });
    const nodes = await pollUntil(() => manager.nodes.list(), (ns) => ns.length === 2 && ns.every((n) => n.Status?.State === 'ready'));
    t.ok(nodes.met, 'two ready nodes');
    const nodeId = nodes.value.find((n) => n.ID !== managerId)?.ID ?? '';
    await manager.nodes.update(nodeId, (spec) => ({ ...spec, Labels: { ...spec.Labels, zone: 'b' } }));
    await manager.nodes.update(managerId, (spec) => ({ ...spec, Labels: { ...spec.Labels, zone: 'a' } }));

    const master = await testMaster(t);
    const worker = (name: string, extra: Partial<SwarmLatentWorkerOptions> = {}): SwarmLatentWorker => {
      const w = new SwarmLatentWorker({
        name, masterId: MASTER, docker: manager, image: 'busybox:test', masterFQDN: `127.0.0.1:${master.port}`,
        entrypoint: ['sh', '-c'], command: [CONNECT_BACK], stopSignal: 'SIGKILL', missingTimeout: 60, ...extra,
      });
      workers.push(w);
      return w;
    };
    /** Starts `w` and attaches it when its login arrives. */
    const start = async (w: SwarmLatentWorker): Promise<void> => {
      const login = pollUntil(async () => master.logins.some((l) => l.name === w.name), (seen) => seen, 600, 100);
      const started = w.substantiate();
      if ((await login).met) w.attached();
      await started;
    };

    // two workers: one on each node
    const w1 = worker('two-1');
    await start(w1);
    const w2 = worker('two-2');
    await start(w2);
    t.same([w1.service?.nodeId, w2.service?.nodeId].sort(), [managerId, nodeId].sort(), 'one worker per node');
    t.equal((await node.containers.list({ filters: ownedByFilter(MASTER) })).length, 1, "the worker node's engine runs one worker container");

    // a constraint pins a worker to the worker node (zone b)
    const pinned = worker('two-pinned', { constraints: ['node.labels.zone==b'] });
    await start(pinned);
    t.equal(pinned.service?.nodeId, nodeId, 'the pinned worker runs on the node of zone b');
    await pinned.insubstantiate();
    // the manager drops the task once the node reported its container stopped; the node's agent removes it right after
    const left = await node.containers.list({ all: true, filters: ownedByFilter(MASTER, 'two-pinned') });
    t.notOk(left.some((c) => c.State === 'running'), "its container no longer runs on the node's engine");
    const gone = await pollUntil(() => node.containers.list({ all: true, filters: ownedByFilter(MASTER, 'two-pinned') }), (cs) => cs.length === 0, 100, 100);
    t.ok(gone.met, "and is soon removed from the node's engine");

    // the worker on the worker node stops; the next start goes there (fewer tasks) and the node is drained under it
    const [onNode, onManager] = w1.service?.nodeId === nodeId ? [w1, w2] : [w2, w1];
    await onNode.insubstantiate();
    const drained = worker('two-drained', { checkInstanceInterval: 0.5, command: ['sleep 300'] });
    const failed = drained.substantiate().catch((e: unknown) => e);
    const placed = await pollUntil(async () => drained.service?.nodeId, (id) => id !== undefined, 300, 100);
    t.equal(placed.value, nodeId, 'the new start runs on the worker node');
    await manager.nodes.update(nodeId, { Availability: 'drain' });
    const err = await failed;
    t.type(err, LatentWorkerCrashedError, 'the crash check saw the task leave running');
    t.match((err as Error).message, /its task (is being shut down|left running: shutdown)/);
    await drained.insubstantiate();
    const again = worker('two-drained-2', { checkInstanceInterval: 0.5 });
    await start(again);
    t.equal(again.service?.nodeId, managerId, 'the next start lands on the other node');

    await manager.nodes.update(nodeId, { Availability: 'active' });
    for (const w of [onManager, again]) await w.insubstantiate();

    // a node without the image: the task is rejected there, and the error says what to do
    await pollUntil(() => node.containers.list({ all: true, filters: ownedByFilter(MASTER) }), (cs) => cs.length === 0, 100, 100);
    await node.images.remove(image, { force: true });
    const lacking = worker('two-noimage', { constraints: ['node.labels.zone==b'], taskStartTimeout: 30 });
    const noImage = await lacking.substantiate().catch((e: unknown) => e);
    t.type(noImage, LatentWorkerFailedToSubstantiate);
    t.match((noImage as Error).message, /ended before running: rejected on node \w+: .*No such image.*\(that node does not have the image: load it there, by the same id\)/s);
    await lacking.insubstantiate();
    for (const docker of [manager, node]) {
      t.same(await docker.containers.list({ all: true, filters: ownedByFilter(MASTER) }), [], `no worker container left on ${docker.endpoint.url}`);
    }
    t.same(await manager.services.list({ filters: ownedByFilter(MASTER) }), [], 'no service left');
    t.same(await manager.secrets.list({ filters: ownedByFilter(MASTER) }), [], 'no secret left');
    t.ok(await waitForNodeToSettle(manager, nodeId), 'the node settled');
    await node.swarm.leave({ force: true });
    await manager.swarm.leave({ force: true });
  } finally {
    await Promise.all(workers.map((w) => w.shutdown().catch(() => undefined)));
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(['w', 'm'].map((n) => engineSh('stop', `${dir}/${n}`).catch((err: unknown) => t.fail(`stopping ${n}: ${String(err)}`))));
    t.notOk(await interfaceExists('docker_gwbridge'), 'no docker_gwbridge left behind');
    rmSync(dir, { recursive: true, force: true });
    releaseSwarmLock();
  }
});
