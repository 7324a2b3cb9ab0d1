import t from 'tap';
import {
  LatentWorkerCannotSubstantiate, LatentWorkerCrashedError, LatentWorkerError, LatentWorkerFailedToSubstantiate,
  containerName, substantiationOutcome,
} from '../../src/index.js';
import { EngineScript, containerId } from '../helpers/engine-script.js';
import {
  TEST_MASTER, advanceWhenArmed, everything, linesOf, scriptStart, scriptStop, scripted, stepDetail, stepsOf, testWorker, until, type StartedScript,
} from '../helpers/docker-worker.js';

/**
 * What real engines will not do on demand, from hand-written fixtures: a
 * start refused for the wrong operating system, stops and removals of
 * containers already gone, an image that appears only after a pull or
 * vanishes before the create, a name taken by a leftover, an engine that
 * fails every removal, containers that die, vanish or loop, and healthchecks.
 */

const IMAGE = 'busybox:test';

/** A start of `worker` on the busybox test image. */
function started(s: EngineScript, worker: string, id: string, output: ReadonlyArray<{ stream: 'stdout' | 'stderr'; text: string }> = [],
  startFailure?: { status: number; message: string }): StartedScript {
  return scriptStart(s, { worker, id, image: IMAGE, output, ...(startFailure ? { startFailure } : {}) });
}

const stopped = scriptStop;

t.test('a start refused because the image is for another operating system is permanent; the container is removed', async (t) => {
  const id = containerId('os');
  const s = new EngineScript();
  const held = started(s, 'w_os', id, [], { status: 500, message: 'The container operating system does not match the host operating system.' });
  s.stop(id, 304);
  held.exit.after();
  held.attachEnd.after();
  s.remove(id);
  await scripted(t, s, 'start refused: OS mismatch', async (docker) => {
    const { worker, events } = testWorker(docker, { name: 'w_os', image: IMAGE });
    const err = await worker.substantiate().catch((e: unknown) => e);
    t.type(err, LatentWorkerCannotSubstantiate);
    t.match((err as Error).message, /image "busybox:test" cannot run on this engine: The container operating system does not match/);
    t.equal(substantiationOutcome(err), 'exception', 'not retried');
    await worker.shutdown();
    t.same(stepsOf(events), ['render', 'connect', 'stale-cleanup', 'image-check', 'create', 'attach', 'start!', 'stop', 'wait', 'remove']);
  });
});

t.test('a stop that finds the container gone (404) is a finished stop', async (t) => {
  const id = containerId('stop404');
  const s = new EngineScript();
  const held = started(s, 'w_gone', id);
  s.stop(id, 404);
  held.exit.after();
  held.attachEnd.after();
  await scripted(t, s, 'stop answers 404', async (docker) => {
    const { worker, events } = testWorker(docker, { name: 'w_gone', image: IMAGE, readiness: 'running' });
    await worker.substantiate();
    await worker.insubstantiate();
    t.same(events.filter((e) => e.type === 'stop-error'), [], 'no stop error');
    t.same(stepDetail(events, 'stop'), { gone: true });
    t.notOk(stepsOf(events).includes('remove'), 'nothing left to remove');
    t.same(worker.pendingCleanups, []);
    await worker.shutdown();
  });
});

t.test('a removal that finds the container gone (404, or a removal in progress) is a finished removal', async (t) => {
  for (const [status, message] of [[404, 'No such container'], [409, 'removal of container x is already in progress']] as const) {
    await t.test(`remove answers ${status}`, async (t) => {
      const id = containerId(`rm${status}`);
      const s = new EngineScript();
      const held = started(s, 'w_rm', id);
      s.stop(id);
      held.exit.after();
      held.attachEnd.after();
      s.remove(id, status, message);
      await scripted(t, s, `remove answers ${status}`, async (docker) => {
        const { worker, events } = testWorker(docker, { name: 'w_rm', image: IMAGE, readiness: 'running' });
        await worker.substantiate();
        await worker.insubstantiate();
        t.same(events.filter((e) => e.type === 'stop-error'), []);
        t.same(stepDetail(events, 'remove'), { gone: true });
        t.same(stepDetail(events, 'wait'), { exitCode: 0 }, 'the exit came from the waiter registered before the start');
        await worker.shutdown();
      });
    });
  }
});

t.test('an image missing on the engine and pulled with autopull; the progress is reported', async (t) => {
  const id = containerId('pull');
  const s = new EngineScript();
  s.listContainers([]).image('alpine:3', false)
    .pull('alpine', '3', [{ status: 'Pulling from library/alpine', id: '3' }, { status: 'Downloading', id: 'a1', progressDetail: { current: 1, total: 2 } },
      { status: 'Pull complete', id: 'a1' }, { status: 'Digest: sha256:' + 'c'.repeat(64) }, { status: 'Status: Downloaded newer image for alpine:3' }])
    .create(containerName('w_pull', TEST_MASTER), id);
  const held = { attachEnd: s.attach(id, []), exit: s.wait(id, 0) };
  s.start(id);
  stopped(s, id, held);
  await scripted(t, s, 'image appears after a pull', async (docker) => {
    const { worker, events } = testWorker(docker, { name: 'w_pull', image: 'alpine:3', autopull: true, readiness: 'running' });
    await worker.substantiate();
    t.same(stepDetail(events, 'image-check'), { present: false });
    t.same(stepDetail(events, 'pull'), { digest: `sha256:${'c'.repeat(64)}` });
    t.same(events.flatMap((e) => (e.type === 'progress' ? [`${e.step}: ${e.line}`] : [])), [
      'pull: 3: Pulling from library/alpine', 'pull: a1: Pull complete', `pull: Digest: sha256:${'c'.repeat(64)}`,
      'pull: Status: Downloaded newer image for alpine:3',
    ], 'status lines, not progress ticks');
    await worker.shutdown();
  });
});

t.test('a pull that fails leaves a missing image missing: permanent, with the registry\'s reason', async (t) => {
  const s = new EngineScript();
  s.listContainers([]).image('berth/none:1', false).pull('berth/none', '1', [{ errorDetail: { message: 'manifest unknown' }, error: 'manifest unknown' }]);
  await scripted(t, s, 'pull fails in-band', async (docker) => {
    const { worker } = testWorker(docker, { name: 'w_nopull', image: 'berth/none:1', autopull: true });
    const err = await worker.substantiate().catch((e: unknown) => e);
    t.type(err, LatentWorkerCannotSubstantiate);
    t.match((err as Error).message, /image "berth\/none:1" not found on the engine, and pulling it failed: manifest unknown/);
    await worker.shutdown();
  });
});

t.test('a refresh (alwaysPull) that fails uses the image the engine has', async (t) => {
  const id = containerId('refresh');
  const s = new EngineScript();
  s.listContainers([]).image(IMAGE, true).pull('busybox', 'test', [{ message: 'registry unreachable' }], 500).create(containerName('w_refresh', TEST_MASTER), id);
  const held = { attachEnd: s.attach(id, []), exit: s.wait(id, 0) };
  s.start(id);
  stopped(s, id, held);
  await scripted(t, s, 'alwaysPull fails, local image used', async (docker) => {
    const { worker, events } = testWorker(docker, { name: 'w_refresh', image: IMAGE, autopull: true, alwaysPull: true, readiness: 'running' });
    await worker.substantiate();
    t.match(stepDetail(events, 'pull'), { failed: true, code: 'ERR_DOCKER_SERVER' }, 'the failed pull is reported');
    t.ok(stepsOf(events).includes('create'), 'the start went on');
    await worker.shutdown();
  });
});

t.test('an image that vanished before the create is pulled once and the create retried; without autopull it is permanent', async (t) => {
  const id = containerId('vanish');
  const s = new EngineScript();
  s.listContainers([]).image(IMAGE, true)
    .create(containerName('w_vanish', TEST_MASTER), id, { status: 404, message: 'No such image: busybox:test' })
    .pull('busybox', 'test', [{ status: 'Status: Downloaded newer image for busybox:test' }])
    .create(containerName('w_vanish', TEST_MASTER), id);
  const held = { attachEnd: s.attach(id, []), exit: s.wait(id, 0) };
  s.start(id);
  stopped(s, id, held);
  s.listContainers([]).image(IMAGE, true).create(containerName('w_nopull2', TEST_MASTER), id, { status: 404, message: 'No such image: busybox:test' });
  await scripted(t, s, 'image vanishes before create', async (docker) => {
    const a = testWorker(docker, { name: 'w_vanish', image: IMAGE, autopull: true, readiness: 'running' });
    await a.worker.substantiate();
    t.same(stepDetail(a.events, 'create'), { id: id.slice(0, 12), recovered: 'pulled' });
    await a.worker.shutdown();
    const b = testWorker(docker, { name: 'w_nopull2', image: IMAGE });
    const err = await b.worker.substantiate().catch((e: unknown) => e);
    t.type(err, LatentWorkerCannotSubstantiate);
    t.match((err as Error).message, /not found on the engine when creating the container/);
    await b.worker.shutdown();
  });
});

t.test('a name held by a leftover of this worker is freed and the create retried', async (t) => {
  const id = containerId('named');
  const holder = containerId('holder');
  const name = containerName('w_named', TEST_MASTER);
  const s = new EngineScript();
  s.listContainers([]).image(IMAGE, true)
    .create(name, id, { status: 409, message: `Conflict. The container name "/${name}" is already in use by container "${holder}".` })
    .inspect(name, { Status: 'created' }, { id: holder, labels: { 'berth.managed': 'true', 'berth.master': TEST_MASTER, 'berth.worker': 'w_named' } })
    .remove(holder).create(name, id);
  const held = { attachEnd: s.attach(id, []), exit: s.wait(id, 0) };
  s.start(id);
  stopped(s, id, held);
  await scripted(t, s, 'name conflict with our leftover', async (docker) => {
    const { worker, events } = testWorker(docker, { name: 'w_named', image: IMAGE, readiness: 'running' });
    await worker.substantiate();
    t.same(stepDetail(events, 'create'), { id: id.slice(0, 12), recovered: 'replaced' });
    await worker.shutdown();
  });
});

t.test('an engine that fails every removal: the container is kept, retried with backoff, removed once the engine is back', async (t) => {
  const id = containerId('down');
  const s = new EngineScript();
  const held = started(s, 'w_down', id);
  // three attempts: a graceful stop at once, then forced removals after 1 s and 2 s more
  s.stop(id, 500).remove(id, 500).remove(id, 500);
  s.remove(id, 500); // the first retry of the pending cleanup (5 s later) still fails
  s.remove(id); // the second (10 s after that) succeeds
  held.exit.after();
  held.attachEnd.after();
  await scripted(t, s, 'removals fail, then succeed', async (docker) => {
    const { worker, clock, events } = testWorker(docker, { name: 'w_down', image: IMAGE, readiness: 'running' });
    await worker.substantiate();
    const stopping = worker.insubstantiate();
    await advanceWhenArmed(clock, 1000);
    await advanceWhenArmed(clock, 2000);
    await stopping;
    const stopError = events.find((e) => e.type === 'stop-error');
    t.ok(stopError, 'the failed stop is reported');
    if (stopError?.type === 'stop-error') {
      t.type(stopError.error, LatentWorkerError);
      t.match(stopError.error.message, /could not be removed .*; it is kept and retried/);
    }
    t.equal(worker.state, 'NOT_SUBSTANTIATED', 'the worker carries on');
    t.same(worker.pendingCleanups.map((p) => p.id), [id], 'the container is not forgotten');
    await advanceWhenArmed(clock, 5000);
    await until(() => stepsOf(events).filter((x) => x === 'remove!').length === 3, 'the first retry');
    t.same(worker.pendingCleanups.map((p) => p.id), [id], 'still pending after a failed retry');
    await advanceWhenArmed(clock, 10_000);
    await until(() => worker.pendingCleanups.length === 0, 'the second retry');
    t.equal(stepsOf(events).at(-1), 'remove', 'removed at last');
    await worker.shutdown();
  });
});

t.test('the crash check: a container removed behind the worker\'s back, an exited one with no output kept, a restart loop', async (t) => {
  const gone = containerId('vanished');
  const quiet = containerId('quiet');
  const looping = containerId('loop');
  const s = new EngineScript();
  const a = started(s, 'w_vanished', gone, [{ stream: 'stdout', text: 'connecting…\n' }]);
  s.inspect(gone, { Status: 'running', Running: true }); // first check: alive
  s.inspect(gone, undefined); // second check: removed
  a.attachEnd.after();
  s.stop(gone, 404);
  a.exit.after();
  const b = started(s, 'w_quiet', quiet);
  s.inspect(quiet, { Status: 'exited', Running: false, ExitCode: 2, OOMKilled: true });
  b.attachEnd.after();
  b.exit.after();
  s.logs(quiet, ['out of memory while connecting']).stop(quiet, 304).remove(quiet);
  const c = started(s, 'w_loop', looping);
  s.inspect(looping, { Status: 'running', Running: true, ExitCode: 1 }, { restartCount: 2 });
  // a restarting container's output does not end: the report does not wait for it, it asks the engine
  s.logs(looping, ['cannot reach the master']);
  stopped(s, looping, c);
  await scripted(t, s, 'crash checks', async (docker) => {
    const v = testWorker(docker, { name: 'w_vanished', image: IMAGE });
    const pv = v.worker.substantiate().catch((e: unknown) => e);
    await advanceWhenArmed(v.clock, 10_000);
    await advanceWhenArmed(v.clock, 10_000);
    const ev = await pv;
    t.type(ev, LatentWorkerCrashedError);
    t.match((ev as Error).message, /container [0-9a-f]{12} was removed behind the worker's back; its last output:\nconnecting…$/);
    t.same(v.events.flatMap((e) => (e.type === 'check' ? [e.ok] : [])), [true, false], 'alive once, then gone');
    await v.worker.shutdown();

    const q = testWorker(docker, { name: 'w_quiet', image: IMAGE });
    const pq = q.worker.substantiate().catch((e: unknown) => e);
    await advanceWhenArmed(q.clock, 10_000);
    const eq = await pq;
    t.match((eq as Error).message, /exited with code 2 \(killed for lack of memory\); its last output:\nout of memory while connecting$/,
      'with nothing kept, the last lines are asked of the engine');
    await q.worker.shutdown();

    const l = testWorker(docker, { name: 'w_loop', image: IMAGE });
    const pl = l.worker.substantiate().catch((e: unknown) => e);
    await advanceWhenArmed(l.clock, 10_000);
    const el = await pl;
    t.match((el as Error).message, /is in a restart loop: restarted 2 time\(s\) \(last exit code 1\); its last output:\ncannot reach the master$/);
    await l.worker.shutdown();
  });
});

t.test('readiness "healthy": polled on the clock; unhealthy fails with the health log; no healthcheck is permanent', async (t) => {
  const ok = containerId('healthy');
  const bad = containerId('unhealthy');
  const none = containerId('nohealth');
  const s = new EngineScript();
  const a = started(s, 'w_healthy', ok);
  s.inspect(ok, { Status: 'running', Running: true, Health: EngineScript.health('starting') });
  s.inspect(ok, { Status: 'running', Running: true, Health: EngineScript.health('healthy') });
  stopped(s, ok, a);
  const b = started(s, 'w_unhealthy', bad);
  s.inspect(bad, { Status: 'running', Running: true, Health: EngineScript.health('unhealthy', ['db not reachable\n', 'db not reachable\n']) });
  stopped(s, bad, b);
  const c = started(s, 'w_nohealth', none);
  s.inspect(none, { Status: 'running', Running: true });
  stopped(s, none, c);
  await scripted(t, s, 'healthchecks', async (docker) => {
    const h = testWorker(docker, { name: 'w_healthy', image: IMAGE, readiness: 'healthy' });
    const ph = h.worker.substantiate();
    await advanceWhenArmed(h.clock, 500);
    t.equal(await ph, true);
    t.same(stepDetail(h.events, 'ready'), { readiness: 'healthy' });
    await h.worker.shutdown();

    const u = testWorker(docker, { name: 'w_unhealthy', image: IMAGE, readiness: 'healthy' });
    const eu = await u.worker.substantiate().catch((e: unknown) => e);
    t.type(eu, LatentWorkerFailedToSubstantiate);
    t.match((eu as Error).message, /is unhealthy: the last healthchecks said:\nexit 1: db not reachable\nexit 1: db not reachable$/);
    await u.worker.shutdown();

    const n = testWorker(docker, { name: 'w_nohealth', image: IMAGE, readiness: 'healthy' });
    const en = await n.worker.substantiate().catch((e: unknown) => e);
    t.type(en, LatentWorkerCannotSubstantiate);
    t.match((en as Error).message, /has no healthcheck/);
    await n.worker.shutdown();
  });
});

t.test('followStartupLogs: true reports the output until ready, \'always\' until the container stops; the password is redacted in both', async (t) => {
  const output = [{ stream: 'stdout' as const, text: 'booting with PASSWORD-1234\nready\nserving\n' }];
  const s = new EngineScript();
  const ids = { untilReady: containerId('follow1'), always: containerId('follow2') };
  stopped(s, ids.untilReady, started(s, 'w_follow', ids.untilReady, output));
  stopped(s, ids.always, started(s, 'w_always', ids.always, output));
  await scripted(t, s, 'following the output', async (docker) => {
    for (const [name, follow, expected] of [
      ['w_follow', true, ['booting with [redacted]', 'ready']],
      ['w_always', 'always', ['booting with [redacted]', 'ready', 'serving']],
    ] as const) {
      const { worker, events } = testWorker(docker, { name, image: IMAGE, password: 'PASSWORD-1234', followStartupLogs: follow, readiness: { logLine: /^ready$/ } });
      await worker.substantiate();
      // one frame: every line is handled before the substantiation settles
      await until(() => linesOf(events).length >= expected.length, 'the output');
      t.same(linesOf(events), expected, `followStartupLogs: ${String(follow)}`);
      await worker.shutdown();
    }
  });
});

t.test('an engine that quotes the registry credentials back: no secret in any event or error', async (t) => {
  const auth = { username: 'robot', password: 'reg-Secret-9f8e', serveraddress: 'registry.example' };
  const basic = Buffer.from(`${auth.username}:${auth.password}`).toString('base64');
  const s = new EngineScript();
  s.listContainers([]).image('registry.example/app:1', false)
    .pull('registry.example/app', '1', [{ message: `unauthorized: credentials ${auth.password} (Basic ${basic}) rejected` }], 500);
  await scripted(t, s, 'credentials quoted by the engine', async (docker) => {
    const { worker, events } = testWorker(docker, {
      name: 'w_secret', image: 'registry.example/app:1', autopull: true, registryAuth: auth, password: 'Worker-Pass-4321',
    });
    const err = await worker.substantiate().catch((e: unknown) => e);
    t.type(err, LatentWorkerCannotSubstantiate);
    t.match((err as Error).message, /pulling it failed: unauthorized: credentials \[redacted\] \(Basic \[redacted\]\) rejected/);
    await worker.shutdown();
    const said = everything([...events, err]);
    for (const secret of [auth.password, basic, 'Worker-Pass-4321']) t.notOk(said.includes(secret), 'a secret is in no event or error');
  });
});

t.test('a wait that never answers is given up after the stop timeout and a margin; the container is removed anyway', async (t) => {
  const id = containerId('stuck');
  const s = new EngineScript();
  const held = started(s, 'w_stuck', id);
  s.stop(id);
  // the exit never comes (a daemon that lost track of it): the removal goes on without it
  s.remove(id);
  held.attachEnd.after();
  await scripted(t, s, 'wait never answers', async (docker) => {
    const { worker, clock, events } = testWorker(docker, { name: 'w_stuck', image: IMAGE, readiness: 'running', stopTimeout: 2 });
    await worker.substantiate();
    const stopping = worker.insubstantiate();
    await until(() => clock.nextDue !== undefined, 'the bound of the wait');
    t.equal((clock.nextDue ?? 0) - clock.now(), 2000 + 30_000, 'the only timer: the bound of the wait');
    await clock.advance(2000 + 30_000);
    await stopping;
    t.same(stepDetail(events, 'wait'), { timedOut: true }, 'bounded by stopTimeout (2 s) + 30 s');
    t.same(stepsOf(events).slice(-3), ['stop', 'wait', 'remove']);
    t.same(worker.pendingCleanups, []);
    await worker.shutdown();
  });
});
