import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import {
  NotFoundError, splitOutput, type Docker, type Frame,
} from '../../src/index.js';
import { isObject } from '../../src/engine/json.js';
import { dockerFor, engineOr, type EngineName, type TestEngine } from '../helpers/engines.js';
import type { Teardown } from '../helpers/tmp.js';

/**
 * Attach and exec against real engines: stdin in, half-close, output out
 * until the engine closes, on dockerd (20.10 through 28.5, also over mutual
 * TLS) and podman.
 */

const ENGINES: readonly EngineName[] = ['dockerd-20.10', 'podman-4.3', 'dockerd-26.1', 'dockerd-28.5', 'dockerd-tls'];
const LABELS = { 'berth.test': 'streams' };

async function all(frames: AsyncIterable<Frame>): Promise<{ stdout: Buffer; stderr: Buffer }> {
  const got: Frame[] = [];
  for await (const f of frames) got.push(f);
  return splitOutput(got);
}

/** Creates a container (removing a leftover of the same name first) and removes it at teardown. */
async function container(t: Teardown, docker: Docker, name: string, config: Record<string, unknown>): Promise<string> {
  await docker.requester.empty({ method: 'DELETE', path: `/containers/${name}`, query: { force: true } }).catch((err: unknown) => {
    if (!(err instanceof NotFoundError)) throw err;
  });
  const created = await docker.requester.json({
    method: 'POST', path: '/containers/create', query: { name },
    json: { Labels: LABELS, HostConfig: { NetworkMode: 'none' }, ...config },
  });
  if (!isObject(created) || typeof created.Id !== 'string') throw new Error(`unexpected create answer ${JSON.stringify(created)}`);
  const id = created.Id;
  t.teardown(() => docker.requester.empty({ method: 'DELETE', path: `/containers/${id}`, query: { force: true } }).catch((err: unknown) => {
    if (!(err instanceof NotFoundError)) throw err;
  }));
  return id;
}

async function execCreate(docker: Docker, id: string, config: Record<string, unknown>): Promise<string> {
  const created = await docker.requester.json({ method: 'POST', path: `/containers/${id}/exec`, json: config });
  if (!isObject(created) || typeof created.Id !== 'string') throw new Error(`unexpected exec create answer ${JSON.stringify(created)}`);
  return created.Id;
}

function forEachEngine(title: string, body: (t: Test, engine: TestEngine, docker: Docker) => Promise<void>): void {
  t.test(title, async (t) => {
    for (const name of ENGINES) {
      await t.test(name, async (t) => {
        const engine = engineOr(t, name);
        if (!engine) return;
        await body(t, engine, dockerFor(t, engine));
      });
    }
  });
}

forEachEngine('attach before start: stdin in, half-close, stdout and stderr out', async (t, engine, docker) => {
  const id = await container(t, docker, `berth-streams-attach-${engine.name}`, {
    Image: engine.image, Cmd: ['sh', '-c', 'cat; echo done >&2'],
    OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false,
  });
  const h = await docker.requester.upgrade({
    method: 'POST', path: `/containers/${id}/attach`, query: { stream: true, stdin: true, stdout: true, stderr: true },
  });
  t.ok(h.statusCode === 101 || h.statusCode === 200, `hijacked with ${h.statusCode}`);
  const apiVersion = docker.apiVersion ?? '';
  if (engine.kind === 'dockerd' && Number(apiVersion.split('.')[1]) >= 42) {
    t.equal(h.contentType, 'application/vnd.docker.multiplexed-stream', `API ${apiVersion} says multiplexed`);
  }
  t.equal(h.multiplexed(false), true);
  const output = all(h.frames({ tty: false }));
  await docker.requester.empty({ method: 'POST', path: `/containers/${id}/start` });
  await h.write('hello\n');
  await h.write(Buffer.from('wörld ✓\n'));
  await h.end();
  const { stdout, stderr } = await output;
  t.equal(stdout.toString(), 'hello\nwörld ✓\n', 'cat echoed stdin');
  t.equal(stderr.toString(), 'done\n', 'stdin reached end of file, so the script went on');
  await h.closed;
});

forEachEngine('exec: a JSON start body, 256 KiB through cat byte for byte, exit code', async (t, engine, docker) => {
  const id = await container(t, docker, `berth-streams-exec-${engine.name}`, { Image: engine.image, Cmd: ['sleep', '3600'] });
  await docker.requester.empty({ method: 'POST', path: `/containers/${id}/start` });
  const execId = await execCreate(docker, id, {
    AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false, Cmd: ['sh', '-c', 'cat; echo exit-soon >&2; exit 7'],
  });
  const h = await docker.requester.upgrade({ method: 'POST', path: `/exec/${execId}/start`, json: { Detach: false, Tty: false } });
  const payload = randomBytes(256 * 1024);
  const output = all(h.frames({ tty: false }));
  for (let at = 0; at < payload.length; at += 16 * 1024) await h.write(payload.subarray(at, at + 16 * 1024));
  await h.end();
  const { stdout, stderr } = await output;
  t.equal(stdout.length, payload.length, 'every byte came back');
  t.ok(stdout.equals(payload), 'byte for byte');
  t.equal(stderr.toString(), 'exit-soon\n');
  const inspect = await docker.requester.json({ method: 'GET', path: `/exec/${execId}/json` });
  t.equal(isObject(inspect) ? inspect.ExitCode : undefined, 7, 'the exit code comes from exec inspect');
});

forEachEngine('exec with a TTY: one raw stream', async (t, engine, docker) => {
  const id = await container(t, docker, `berth-streams-tty-${engine.name}`, { Image: engine.image, Cmd: ['sleep', '3600'] });
  await docker.requester.empty({ method: 'POST', path: `/containers/${id}/start` });
  const execId = await execCreate(docker, id, { AttachStdout: true, AttachStderr: true, Tty: true, Cmd: ['sh', '-c', 'echo out; echo err >&2'] });
  const h = await docker.requester.upgrade({ method: 'POST', path: `/exec/${execId}/start`, json: { Detach: false, Tty: true } });
  t.equal(h.multiplexed(true), false);
  const { stdout, stderr } = await all(h.frames({ tty: true }));
  t.equal(stdout.toString().replace(/\r\n/g, '\n'), 'out\nerr\n', 'both streams through the terminal');
  t.equal(stderr.length, 0);
});

forEachEngine('refusals from real engines are typed errors, without waiting for a close', async (t, _engine, docker) => {
  const attach = await docker.requester.upgrade({
    method: 'POST', path: '/containers/berth-streams-no-such-container/attach', query: { stream: true, stdout: true },
  }).then(() => undefined, (e: unknown) => e);
  t.type(attach, NotFoundError);
  t.match((attach as NotFoundError).engineMessage, /berth-streams-no-such-container/);
  const exec = await docker.requester.upgrade({ method: 'POST', path: '/exec/berth-streams-no-such-exec/start', json: { Detach: false, Tty: false } })
    .then(() => undefined, (e: unknown) => e);
  t.type(exec, NotFoundError, 'a JSON 404 with the connection left open');
  t.match((exec as NotFoundError).engineMessage, /berth-streams-no-such-exec/);
});
