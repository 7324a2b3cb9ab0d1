import { ConflictError, NotFoundError, type Docker } from '../../src/index.js';
import { tarOf } from '../helpers/tar.js';
import { failure, scenario, type Scenario } from './scenario.js';

const LABEL = { 'berth.test': 'scenario' };

/** Removes leftovers of a previous recording (run unrecorded in setup/cleanup). */
export async function removeNamed(docker: Docker, ...names: string[]): Promise<void> {
  for (const name of names) {
    await docker.containers.remove(name, { force: true, volumes: true }).catch(() => undefined);
  }
}

/** create → wait registered → start → exit code → inspect → list → stop (304) → remove → 404. */
export const lifecycle = scenario({
  name: 'containers-lifecycle',
  description: 'create, wait before start, start, inspect, list by label, stop an exited container, remove',
  setup: (docker) => removeNamed(docker, 'berth-rec-life'),
  cleanup: (docker) => removeNamed(docker, 'berth-rec-life'),
  async run(docker, ctx) {
    const created = await docker.containers.create({
      Image: ctx.image, Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'], Labels: LABEL,
      HostConfig: { NetworkMode: 'none' },
    }, { name: 'berth-rec-life' });
    const waiter = await docker.containers.waiter(created.Id, { condition: 'next-exit' });
    const started = await docker.containers.start(created.Id);
    const exit = await waiter.result;
    const inspect = await docker.containers.inspect(created.Id);
    const listed = await docker.containers.list({ all: true, filters: { label: ['berth.test=scenario'], name: ['berth-rec-life'] } });
    const stopped = await docker.containers.stop(created.Id, { t: 1 });
    await docker.containers.remove(created.Id);
    const gone = await failure(() => docker.containers.inspect(created.Id));
    return { created, started, exit, inspect, listed, stopped, gone };
  },
  check(t, r) {
    t.match(r.created.Id, /^[0-9a-f]{64}$/);
    t.same(r.created.Warnings, []);
    t.same(r.started, { changed: true });
    t.equal(r.exit.StatusCode, 3, 'the exit code of a wait registered before start');
    t.equal(r.inspect.State.Status, 'exited');
    t.equal(r.inspect.State.ExitCode, 3);
    t.equal(r.inspect.Name, '/berth-rec-life');
    t.equal(r.inspect.Config.Labels?.['berth.test'], 'scenario');
    t.equal(r.inspect.HostConfig.NetworkMode, 'none');
    t.equal(r.listed.length, 1, 'list by label and name finds exactly it');
    t.same(r.listed[0]?.Names, ['/berth-rec-life']);
    t.equal(r.listed[0]?.State, 'exited');
    t.same(r.stopped, { changed: false }, 'stopping an exited container is 304, a result');
    t.type(r.gone, NotFoundError);
  },
});

/** A running container: start twice (304), top, pause/unpause, rename, update, kill, wait, kill again (409), remove. */
export const operations = scenario({
  name: 'containers-operations',
  description: 'start twice, top, pause, unpause, rename, update, kill, wait, kill a stopped container, remove',
  setup: (docker) => removeNamed(docker, 'berth-rec-ops', 'berth-rec-ops2'),
  cleanup: (docker) => removeNamed(docker, 'berth-rec-ops', 'berth-rec-ops2'),
  async run(docker, ctx) {
    const { Id } = await docker.containers.create({
      Image: ctx.image, Cmd: ['sleep', '300'], Labels: LABEL, HostConfig: { NetworkMode: 'none', Init: true },
    }, { name: 'berth-rec-ops' });
    const first = await docker.containers.start(Id);
    const second = await docker.containers.start(Id);
    const top = await docker.containers.top(Id);
    await docker.containers.pause(Id);
    const paused = (await docker.containers.inspect(Id)).State.Status;
    await docker.containers.unpause(Id);
    await docker.containers.rename(Id, 'berth-rec-ops2');
    const renamed = (await docker.containers.inspect(Id)).Name;
    // podman 4.3's compat API has no update endpoint: record what it answers
    const updated = await docker.containers.update(Id, { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } }).catch((e: unknown) => e as Error);
    const waiter = await docker.containers.waiter(Id);
    await docker.containers.kill(Id, { killSignal: 'SIGKILL' });
    const exit = await waiter.result;
    const killAgain = await failure(() => docker.containers.kill(Id));
    await docker.containers.remove(Id, { force: true });
    return { first, second, top, paused, renamed, updated, exit, killAgain };
  },
  check(t, r, ctx) {
    t.same([r.first, r.second], [{ changed: true }, { changed: false }], 'the second start is a 304');
    // podman 4.3 puts all titles in one string ("PID   USER     COMMAND"), dockerd one per column
    t.match((r.top.Titles ?? []).join(' '), /\bPID\b/, 'top has a PID column');
    t.ok((r.top.Processes ?? []).some((p) => p.join(' ').includes('sleep')), 'top lists sleep');
    t.equal(r.paused, 'paused');
    t.equal(r.renamed, '/berth-rec-ops2');
    if (ctx.engine.startsWith('podman')) {
      t.type(r.updated, NotFoundError, 'podman 4.3 has no update endpoint');
      t.match((r.updated as Error).message, /does not implement POST \/containers\/[0-9a-f]+\/update/);
    } else {
      t.notOk(r.updated instanceof Error, 'update works');
    }
    t.equal(r.exit.StatusCode, 137, 'SIGKILL exit status');
    t.type(r.killAgain, ConflictError, 'killing a stopped container is a conflict');
    t.equal((r.killAgain as ConflictError).statusCode, ctx.engine.startsWith('podman') ? 500 : 409, 'podman says 500 with a cause');
  },
});

/** The error mapping of create and remove. */
export const errors = scenario({
  name: 'containers-errors',
  description: 'create with a missing image (404), a duplicate name (409), remove a running container without force (409)',
  setup: (docker) => removeNamed(docker, 'berth-rec-err'),
  cleanup: (docker) => removeNamed(docker, 'berth-rec-err'),
  async run(docker, ctx) {
    const missingImage = await failure(() => docker.containers.create({ Image: 'berth-no-such-image:1', HostConfig: { NetworkMode: 'none' } }));
    const { Id } = await docker.containers.create({ Image: ctx.image, Cmd: ['sleep', '300'], Labels: LABEL, HostConfig: { NetworkMode: 'none' } }, { name: 'berth-rec-err' });
    const duplicate = await failure(() => docker.containers.create({ Image: ctx.image, HostConfig: { NetworkMode: 'none' } }, { name: 'berth-rec-err' }));
    await docker.containers.start(Id);
    const removeRunning = await failure(() => docker.containers.remove(Id));
    await docker.containers.remove(Id, { force: true });
    return { missingImage, duplicate, removeRunning };
  },
  check(t, r, ctx) {
    t.type(r.missingImage, NotFoundError);
    t.match((r.missingImage as NotFoundError).engineMessage, /no such image/i);
    t.type(r.duplicate, ConflictError, 'a name in use is a conflict (podman says 500 with a cause)');
    t.type(r.removeRunning, ConflictError, 'removing a running container is a conflict');
    const status = ctx.engine.startsWith('podman') ? 500 : 409;
    t.equal((r.duplicate as ConflictError).statusCode, status);
    t.equal((r.removeRunning as ConflictError).statusCode, status);
  },
});

/** Files in and out: put a tar, stat a path, get it back. */
export const archive = scenario({
  name: 'containers-archive',
  description: 'PUT a tar into a container, HEAD the path, GET it back as a tar',
  setup: (docker) => removeNamed(docker, 'berth-rec-arch'),
  cleanup: (docker) => removeNamed(docker, 'berth-rec-arch'),
  async run(docker, ctx) {
    const { Id } = await docker.containers.create({ Image: ctx.image, Cmd: ['true'], Labels: LABEL, HostConfig: { NetworkMode: 'none' } }, { name: 'berth-rec-arch' });
    await docker.containers.putArchive(Id, await tarOf({ 'hello.txt': 'hello from berth\n' }), { path: '/tmp' });
    const stat = await docker.containers.statPath(Id, { path: '/tmp/hello.txt' });
    const { stat: got, tar } = await docker.containers.getArchive(Id, { path: '/tmp/hello.txt' });
    const chunks: Buffer[] = [];
    for await (const c of tar as AsyncIterable<Buffer>) chunks.push(c);
    const missing = await failure(() => docker.containers.statPath(Id, { path: '/nope' }));
    await docker.containers.remove(Id);
    return { stat, got, tarBytes: Buffer.concat(chunks), missing };
  },
  check(t, r) {
    t.equal(r.stat.name, 'hello.txt');
    t.equal(r.stat.size, 17);
    t.equal(r.stat.mode & 0o777, 0o644);
    t.same(r.got, r.stat, 'GET returns the same stat header');
    t.ok(r.tarBytes.includes(Buffer.from('hello from berth')), 'the tar holds the file');
    t.type(r.missing, NotFoundError);
  },
});

export const scenarios: Scenario[] = [lifecycle, operations, errors, archive];
