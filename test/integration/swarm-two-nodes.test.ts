import { mkdtempSync, rmSync } from 'node:fs';
import t from 'tap';
import { Docker, UnavailableError, type Node, type ServiceSpec, type Task, type TaskSpec } from '../../src/index.js';
import { engineOr } from '../helpers/engines.js';
import { engineSh, freePort, interfaceExists } from '../helpers/private-engine.js';
import { acquireSwarmLock, pollUntil, releaseSwarmLock, waitForNodeToSettle } from '../helpers/swarm.js';

/**
 * A two-node swarm on one machine, driven through berth: two private
 * dockerds (scripts/engine.sh, short temp dirs), the manager advertising
 * 127.0.0.1 and the worker 127.0.0.2 (gossip binds ADVERTISE_IP:7946, so
 * one node per loopback address). It runs a two-replica service (one task
 * per node), pins a service to the worker with a `node.id==` constraint,
 * drains the worker and watches its tasks stop and the replicated one move.
 *
 * Only one swarm can exist on the machine at a time (docker_gwbridge is a
 * host-global interface), so the test holds the machine-wide swarm lock that
 * the swarm scenarios take too, and tears everything down — both engines
 * stopped by pid through the script, which also deletes docker_gwbridge —
 * whatever happens. It runs where the suite has dockerd 20.10 (root and
 * dockerd installed).
 */

const STOPPED = new Set(['complete', 'shutdown', 'failed', 'rejected', 'orphaned', 'remove']);

function serviceSpec(name: string, image: string, extra: TaskSpec & { replicas: number }): ServiceSpec {
  const { replicas, ...template } = extra;
  return {
    Name: name, Labels: { 'berth.test': 'two-nodes' },
    TaskTemplate: {
      // tini forwards SIGTERM, so a drained task stops at once instead of after the grace period
      ContainerSpec: { Image: image, Command: ['sleep', '300'], Init: true },
      Networks: [{ Target: 'host' }],
      ...template,
    },
    Mode: { Replicated: { Replicas: replicas } },
  };
}

const running = (tasks: Task[]): Task[] => tasks.filter((x) => x.DesiredState === 'running' && x.Status.State === 'running');

t.test('a two-node swarm: spread, placement constraint, drain', async (t) => {
  if (!engineOr(t, 'dockerd-20.10')) return;
  await acquireSwarmLock();
  const dir = mkdtempSync('/tmp/bsn-');
  const clients: Docker[] = [];
  try {
    const [managerHost, workerHost] = await Promise.all([engineSh('start', 'dockerd', `${dir}/m`), engineSh('start', 'dockerd', `${dir}/w`)]);
    const manager = new Docker({ host: managerHost, env: {} });
    const worker = new Docker({ host: workerHost, env: {} });
    clients.push(manager, worker);

    // the same image, by the same id, on both nodes: build it once, save it on one and load it on the other
    const image = await engineSh('image', `${dir}/m/docker.sock`);
    const saved = await manager.images.save('busybox:test');
    // no images.load yet: the raw call
    await worker.requester.empty({ method: 'POST', path: '/images/load', query: { quiet: true }, body: saved, contentType: 'application/x-tar' });
    t.equal((await worker.images.inspect(image)).Id, image, 'the worker has the image by the same id');

    const port = await freePort();
    const managerId = await manager.swarm.init({ ListenAddr: `127.0.0.1:${port}`, AdvertiseAddr: `127.0.0.1:${port}` });
    const token = (await manager.swarm.inspect()).JoinTokens?.Worker ?? '';
    t.match(token, /^SWMTKN-1-/);
    await worker.swarm.join({ ListenAddr: `127.0.0.2:${port}`, AdvertiseAddr: `127.0.0.2:${port}`, RemoteAddrs: [`127.0.0.1:${port}`], JoinToken: token });

    const nodes = await pollUntil(() => manager.nodes.list(), (ns: Node[]) => ns.length === 2 && ns.every((n) => n.Status?.State === 'ready'));
    t.ok(nodes.met, 'two ready nodes');
    const workerNode = nodes.value.find((n) => n.ID !== managerId);
    const workerId = workerNode?.ID ?? '';
    t.equal(workerNode?.Spec.Role, 'worker');
    t.equal((await worker.info()).Swarm?.NodeID, workerId, 'the worker knows its node id');
    t.same((await manager.nodes.list({ filters: { role: ['worker'] } })).map((n) => n.ID), [workerId], 'role filter');
    await t.rejects(worker.nodes.list(), UnavailableError, 'a worker cannot list nodes (503)');

    // two replicas: one task per node
    const spread = await manager.services.create(serviceSpec('berth-two-spread', image, { replicas: 2 }));
    const spreadTasks = await pollUntil(() => manager.tasks.list({ filters: { service: [spread.ID] } }), (ts) => running(ts).length === 2);
    t.ok(spreadTasks.met, 'both replicas run');
    t.same(running(spreadTasks.value).map((x) => x.NodeID).sort(), [managerId, workerId].sort(), 'one task per node');
    const onWorker = await worker.containers.list({ filters: { label: [`com.docker.swarm.service.id=${spread.ID}`] } });
    t.equal(onWorker.length, 1, "the worker's engine runs one task container");

    // a placement constraint pins a service to the worker
    const pinned = await manager.services.create(serviceSpec('berth-two-pinned', image, {
      replicas: 1, Placement: { Constraints: [`node.id==${workerId}`] },
    }));
    const pinnedTasks = await pollUntil(() => manager.tasks.list({ filters: { service: [pinned.ID] } }), (ts) => running(ts).length === 1);
    t.ok(pinnedTasks.met, 'the pinned task runs');
    t.equal(running(pinnedTasks.value)[0]?.NodeID, workerId, 'on the worker');

    // drain the worker: its tasks stop; the replicated one moves to the manager, the pinned one has nowhere to go
    await manager.nodes.update(workerId, { Availability: 'drain' });
    t.equal((await manager.nodes.inspect(workerId)).Spec.Availability, 'drain');
    const drained = await pollUntil(
      () => manager.tasks.list({ filters: { service: [spread.ID, pinned.ID] } }),
      (ts) => ts.filter((x) => x.NodeID === workerId).every((x) => STOPPED.has(x.Status.State))
        && running(ts.filter((x) => x.ServiceID === spread.ID)).length === 2
        && ts.some((x) => x.ServiceID === pinned.ID && x.Status.State === 'pending'),
    );
    t.ok(drained.met, 'the drain settled');
    const tasks = drained.value;
    t.ok(tasks.filter((x) => x.NodeID === workerId).every((x) => x.DesiredState === 'shutdown'), "the worker's tasks are shut down");
    t.same(running(tasks.filter((x) => x.ServiceID === spread.ID)).map((x) => x.NodeID), [managerId, managerId], 'the replicated task moved to the manager');
    const waiting = tasks.find((x) => x.ServiceID === pinned.ID && x.Status.State === 'pending');
    t.match(waiting?.Status.Err ?? '', /no suitable node/, 'the pinned task waits for a suitable node');
    t.equal(waiting?.NodeID, undefined, 'unassigned');
    t.same(await worker.containers.list({ filters: { label: ['com.docker.swarm.service.name'] } }), [], 'no task container runs on the worker');

    await manager.services.remove(spread.ID);
    await manager.services.remove(pinned.ID);
    t.ok(await waitForNodeToSettle(manager, workerId), 'the drained node settled');
    await worker.swarm.leave({ force: true });
    await manager.swarm.leave({ force: true });
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(['w', 'm'].map((n) => engineSh('stop', `${dir}/${n}`).catch((err: unknown) => t.fail(`stopping ${n}: ${String(err)}`))));
    t.notOk(await interfaceExists('docker_gwbridge'), 'no docker_gwbridge left behind');
    rmSync(dir, { recursive: true, force: true });
    releaseSwarmLock();
  }
});
