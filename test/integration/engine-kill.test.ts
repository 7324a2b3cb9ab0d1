import { createServer, type Server } from 'node:http';
import t, { type Test } from 'tap';
import { Docker, DockerConnectionError, DockerLatentWorker, ownedByFilter, reapOrphans, type BuildWithProperties, type LatentWorkerEvent } from '../../src/index.js';
import { engineOr } from '../helpers/engines.js';
import { deadline, failureOf } from '../helpers/faults.js';
import { dockerdPid, engineSh, killHard } from '../helpers/private-engine.js';
import { shortTempDir } from '../helpers/tmp.js';

/**
 * The engine dies under a call. A private dockerd (it is killed, so never a
 * shared one) is sent SIGKILL while a pull, a build, a followed log, an
 * exec, a wait, an event stream and a latent worker's start are under way:
 * each call must fail with `DockerConnectionError` — not hang, not end as if
 * all went well — and once the engine is started again the same client
 * works, and the reaper leaves no container of the worker's master.
 */

/** A registry that accepts the version check and never answers a manifest request: a pull that stays under way. */
async function stallingRegistry(): Promise<{ server: Server; address: string; asked: Promise<void> }> {
  let seen: () => void = () => undefined;
  const asked = new Promise<void>((resolve) => { seen = resolve; });
  const server = createServer((req, res) => {
    if (req.url === '/v2/' || req.url === '/v2') {
      res.writeHead(200, { 'content-type': 'application/json', 'docker-distribution-api-version': 'registry/2.0' }).end('{}');
      return;
    }
    seen(); // a manifest request: hold it
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { server, address: `127.0.0.1:${port}`, asked };
}

t.test('a dockerd killed under each kind of call', async (t) => {
  if (!engineOr(t, 'dockerd-20.10')) return;
  const dir = shortTempDir(t, 'bek');
  t.teardown(() => engineSh('stop', dir));
  const host = await engineSh('start', 'dockerd', dir);
  const image = await engineSh('image', `${dir}/docker.sock`);
  const docker = new Docker({ host, env: {} });
  t.teardown(() => docker.close());

  const killAndRestart = async (t: Test, what: string, call: Promise<unknown>): Promise<void> => {
    const pid = dockerdPid(dir);
    const outcome = failureOf(call, what);
    await killHard(pid);
    const error = await outcome;
    t.type(error, DockerConnectionError, `${what}: a DockerConnectionError`);
    await engineSh('start', 'dockerd', dir);
    t.equal((await docker.ping()).osType, 'linux', `${what}: the same client works once the engine is back`);
  };

  const sleeper = async (name: string): Promise<string> => {
    await docker.containers.remove(name, { force: true }).catch(() => undefined);
    const { Id } = await docker.containers.create(
      { Image: image, Cmd: ['sh', '-c', 'echo ready; exec sleep 600'], Labels: { 'berth.test': 'engine-kill' }, HostConfig: { NetworkMode: 'none', Init: true } },
      { name },
    );
    await docker.containers.start(Id);
    return Id;
  };

  await t.test('a pull', async (t) => {
    const registry = await stallingRegistry();
    t.teardown(() => { registry.server.closeAllConnections(); registry.server.close(); });
    const pull = docker.images.pull(`${registry.address}/berth/never:1`).then(() => undefined);
    await registry.asked;
    await killAndRestart(t, 'pull', pull);
  });

  await t.test('a build', async (t) => {
    const build = docker.images.build({ dockerfileContent: `FROM ${image}\nRUN echo building && sleep 600\n`, tag: 'berth-kill:build' });
    // read on to the end: leaving the loop would cancel the build
    let running: () => void = () => undefined;
    const underway = new Promise<void>((resolve) => { running = resolve; });
    const consumed = (async () => {
      for await (const event of build) if (event.type === 'output' && event.line === 'building') running();
    })();
    await Promise.race([underway, consumed.then(() => { throw new Error('the build ended before its RUN step ran'); })]);
    t.pass('the RUN step is under way');
    await killAndRestart(t, 'build', consumed);
  });

  await t.test('a followed log', async (t) => {
    const id = await sleeper('berth-kill-logs');
    const lines = docker.containers.logLines(id, { follow: true, stdout: true, stderr: true });
    const first = await lines.next();
    t.same(first.value, { stream: 'stdout', line: 'ready' });
    const rest = (async () => {
      for await (const line of lines) t.fail(`unexpected line ${line.line}`);
    })();
    await killAndRestart(t, 'log follow', rest);
  });

  await t.test('an exec', async (t) => {
    const id = await sleeper('berth-kill-exec');
    const exec = await docker.containers.execStream(id, ['sh', '-c', 'echo started; exec sleep 600']);
    const started = await new Promise<string>((resolve) => exec.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    t.equal(started, 'started\n');
    exec.stdout.resume();
    exec.stderr.resume();
    await killAndRestart(t, 'exec', exec.exitCode);
  });

  await t.test('a wait', async (t) => {
    const id = await sleeper('berth-kill-wait');
    const waiter = await docker.containers.waiter(id);
    await killAndRestart(t, 'wait', waiter.result);
  });

  await t.test('an event stream', async (t) => {
    const events = docker.events({ filters: { label: ['berth.test=engine-kill'] } });
    const first = events.next();
    const id = await sleeper('berth-kill-events');
    t.equal((await first).value?.Actor?.ID, id, 'the stream is open');
    const rest = (async () => {
      for (let next = await events.next(); next.done !== true; next = await events.next()) void next.value;
    })();
    await killAndRestart(t, 'events', rest);
  });

  await t.test('a latent worker starting', async (t) => {
    const masterId = 'berth-it:/engine-kill';
    const worker = new DockerLatentWorker<BuildWithProperties>({
      name: 'killed_start', masterId, dockerHost: host, image,
      // the container runs and waits; the worker inside never connects, so the start waits for it
      command: ['sh', '-c', 'echo waiting for the master; exec sleep 600'], hostconfig: { NetworkMode: 'none' },
      missingTimeout: 600, followStartupLogs: true,
    });
    t.teardown(() => worker.shutdown());
    let started: () => void = () => undefined;
    const running = new Promise<void>((resolve) => { started = resolve; });
    const events: LatentWorkerEvent[] = [];
    worker.on('event', (e) => {
      events.push(e);
      if (e.type === 'output' && /waiting for the master/.test(e.line)) started();
    });
    const start = worker.substantiate();
    start.catch(() => undefined); // inspected below, after the kill
    await deadline(Promise.race([running, start]), 'the container starting');
    t.equal((await docker.containers.list({ all: true, filters: ownedByFilter(masterId) })).length, 1, 'its container is there');
    const pid = dockerdPid(dir);
    const outcome = failureOf(start, 'substantiate');
    await killHard(pid);
    const error = await outcome;
    t.ok(error instanceof Error, 'the start fails');
    const chain: unknown[] = [];
    for (let e: unknown = error; e instanceof Error && chain.length < 5; e = e.cause) chain.push(e);
    t.ok(chain.some((e) => e instanceof DockerConnectionError), `the cause is a DockerConnectionError (${chain.map((e) => (e as Error).name).join(' ← ')})`);
    await engineSh('start', 'dockerd', dir);
    t.comment('restarted');
    await worker.shutdown();
    t.comment('shut down');
    const reaped = await reapOrphans({ docker, masterId });
    t.same(reaped.failures, [], 'the reaper removed whatever was left without a failure');
    t.same(await docker.containers.list({ all: true, filters: ownedByFilter(masterId) }), [], 'no container of the master is left');
  });
});
