import { MULTIPLEXED_STREAM, NotFoundError, RAW_STREAM, apiVersionAtLeast, splitOutput, type Docker, type Frame } from '../../src/index.js';
import { isObject } from '../../src/engine/json.js';
import { failure, scenario, type Scenario } from './scenario.js';

/** Hijacked streams recorded from real engines: attach with stdin, exec with stdin, a refused attach. */

const LABELS = { 'berth.test': 'streams' };
const ATTACH_NAME = 'berth-rec-attach';
const EXEC_NAME = 'berth-rec-exec';

async function removeQuietly(docker: Docker, name: string): Promise<void> {
  await docker.requester.empty({ method: 'DELETE', path: `/containers/${name}`, query: { force: true } }).catch((err: unknown) => {
    if (!(err instanceof NotFoundError)) throw err;
  });
}

/** Creates a labelled container without networking, under a fixed name. */
function createContainer(docker: Docker, name: string, config: Record<string, unknown>): Promise<string> {
  return idOf(docker, {
    method: 'POST', path: '/containers/create', query: { name },
    json: { ...config, Labels: LABELS, HostConfig: { NetworkMode: 'none' } },
  });
}

async function idOf(docker: Docker, spec: Parameters<Docker['requester']['json']>[0]): Promise<string> {
  const created = await docker.requester.json(spec);
  if (!isObject(created) || typeof created.Id !== 'string') throw new Error(`no Id in ${JSON.stringify(created)}`);
  return created.Id;
}

async function output(frames: AsyncIterable<Frame>): Promise<{ stdout: string; stderr: string }> {
  const all: Frame[] = [];
  for await (const f of frames) all.push(f);
  const { stdout, stderr } = splitOutput(all);
  return { stdout: stdout.toString('utf8'), stderr: stderr.toString('utf8') };
}

/** Attach before start, feed stdin, half-close, read to the end. */
export const attachStdin = scenario({
  name: 'attach-stdin',
  description: 'POST /containers/create (OpenStdin, StdinOnce), hijacked attach with stdin, start, half-close, remove',
  setup: (docker) => removeQuietly(docker, ATTACH_NAME),
  async run(docker, ctx) {
    const id = await createContainer(docker, ATTACH_NAME, {
      Image: ctx.image, Cmd: ['sh', '-c', 'cat; echo done >&2'],
      OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false,
    });
    const h = await docker.requester.upgrade({ method: 'POST', path: `/containers/${id}/attach`, query: { stream: true, stdin: true, stdout: true, stderr: true } });
    const reading = output(h.frames({ tty: false }));
    await docker.requester.empty({ method: 'POST', path: `/containers/${id}/start` });
    await h.write('hello ✓\n');
    await h.end();
    const out = await reading;
    await docker.requester.json({ method: 'POST', path: `/containers/${id}/wait` });
    await docker.requester.empty({ method: 'DELETE', path: `/containers/${id}`, query: { force: true } });
    return { ...out, statusCode: h.statusCode, contentType: h.contentType, apiVersion: docker.apiVersion };
  },
  cleanup: (docker) => removeQuietly(docker, ATTACH_NAME),
  check(t, r) {
    t.equal(r.stdout, 'hello ✓\n', 'cat echoed stdin');
    t.equal(r.stderr, 'done\n', 'stdin reached end of file after the half-close');
    t.equal(r.statusCode, 101);
    const newer = r.apiVersion !== undefined && apiVersionAtLeast(r.apiVersion, '1.42');
    t.equal(r.contentType, newer ? MULTIPLEXED_STREAM : RAW_STREAM, 'Content-Type says multiplexed from API 1.42');
  },
});

/** Exec with a JSON start body, stdin and an exit code. */
export const execStdin = scenario({
  name: 'exec-stdin',
  description: 'exec create, hijacked exec start (JSON body) with stdin, half-close, exec inspect',
  setup: (docker) => removeQuietly(docker, EXEC_NAME),
  async run(docker, ctx) {
    const id = await createContainer(docker, EXEC_NAME, { Image: ctx.image, Cmd: ['sleep', '3600'] });
    await docker.requester.empty({ method: 'POST', path: `/containers/${id}/start` });
    const execId = await idOf(docker, {
      method: 'POST', path: `/containers/${id}/exec`,
      json: { AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false, Cmd: ['sh', '-c', 'tr a-z A-Z; echo bye >&2; exit 3'] },
    });
    const h = await docker.requester.upgrade({ method: 'POST', path: `/exec/${execId}/start`, json: { Detach: false, Tty: false } });
    const reading = output(h.frames({ tty: false }));
    await h.write('shout this\n');
    await h.end();
    const out = await reading;
    const inspect = await docker.requester.json({ method: 'GET', path: `/exec/${execId}/json` });
    await docker.requester.empty({ method: 'DELETE', path: `/containers/${id}`, query: { force: true } });
    return { ...out, exitCode: isObject(inspect) ? inspect.ExitCode : undefined, contentType: h.contentType };
  },
  cleanup: (docker) => removeQuietly(docker, EXEC_NAME),
  check(t, r) {
    t.equal(r.stdout, 'SHOUT THIS\n');
    t.equal(r.stderr, 'bye\n');
    t.equal(r.exitCode, 3, 'the exit code comes from exec inspect');
  },
});

/** Attach to a container that does not exist: dockerd writes text on the hijacked socket, podman JSON. */
export const attachMissing = scenario({
  name: 'attach-missing',
  description: 'hijacked attach to a missing container → 404',
  async run(docker) {
    const error = await failure(() => docker.requester.upgrade({ method: 'POST', path: '/containers/berth-no-such-container/attach', query: { stream: true, stdout: true } }));
    return { error };
  },
  check(t, r) {
    t.type(r.error, NotFoundError);
    t.match((r.error as NotFoundError).engineMessage, /berth-no-such-container/);
  },
});

export const scenarios: Scenario[] = [attachStdin, execStdin, attachMissing];
