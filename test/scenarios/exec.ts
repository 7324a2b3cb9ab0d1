import { Readable } from 'node:stream';
import { setTimeout } from 'node:timers/promises';
import { ConflictError, NotFoundError, type Docker, type ExecInspectResponse } from '../../src/index.js';
import { removeNamed } from './containers.js';
import { failure, scenario, type Scenario } from './scenario.js';

/** Exec through the public calls: `containers.exec`, `execStream`, and the `docker.exec` group. */

const LABELS = { 'berth.test': 'exec' };

async function running(docker: Docker, name: string, image: string): Promise<string> {
  const { Id } = await docker.containers.create({
    Image: image, Cmd: ['sleep', '300'], Labels: LABELS, HostConfig: { NetworkMode: 'none', Init: true },
  }, { name });
  await docker.containers.start(Id);
  return Id;
}

async function text(stream: AsyncIterable<Buffer | string>): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += String(chunk);
  return out;
}

/** `containers.exec` and `execStream`: stdin, env, user, working directory, a TTY, exit codes, a stopped container. */
export const execRun = scenario({
  name: 'exec-run',
  description: 'containers.exec with stdin/env/user/workingDir, on a TTY, execStream with a Readable stdin, exec in a stopped container (409)',
  setup: (docker) => removeNamed(docker, 'berth-rec-execrun', 'berth-rec-execstop'),
  cleanup: (docker) => removeNamed(docker, 'berth-rec-execrun', 'berth-rec-execstop'),
  async run(docker, ctx) {
    const id = await running(docker, 'berth-rec-execrun', ctx.image);
    const basic = await docker.containers.exec(id, ['sh', '-c', 'tr a-z A-Z; echo "$GREETING from $(pwd) as $(id -u)" >&2; exit 3'], {
      stdin: 'shout ✓\n', env: { GREETING: 'hi' }, workingDir: '/tmp', user: 'nobody',
    });
    const tty = await docker.containers.exec(id, ['sh', '-c', 'echo on a tty; exit 4'], { tty: true });
    const ttyStdin = await docker.containers.exec(id, ['sh', '-c', 'read x; echo "got $x"'], { tty: true, stdin: 'abc\n' });
    const silent = await docker.containers.exec(id, ['true']);
    const streamed = await docker.containers.execStream(id, ['sh', '-c', 'cat; echo done >&2; exit 5'], {
      stdin: Readable.from([Buffer.from('chunk 1\n'), Buffer.from('chunk 2\n')]),
    });
    const [out, err] = await Promise.all([text(streamed.stdout), text(streamed.stderr)]);
    const streamedExit = await streamed.exitCode;
    const { Id: stopped } = await docker.containers.create({ Image: ctx.image, Cmd: ['true'], Labels: LABELS, HostConfig: { NetworkMode: 'none' } }, { name: 'berth-rec-execstop' });
    const notRunning = await failure(() => docker.containers.exec(stopped, ['true']));
    await docker.containers.remove(stopped);
    await docker.containers.remove(id, { force: true });
    return { basic, tty, ttyStdin, silent, out, err, streamedExit, notRunning };
  },
  check(t, r, ctx) {
    t.equal(r.basic.exitCode, 3, 'the exit code, from exec inspect');
    t.equal(r.basic.stdout.toString(), 'SHOUT ✓\n', 'stdin was sent and half-closed: tr saw end of file');
    t.equal(r.basic.stderr.toString(), 'hi from /tmp as 65534\n', 'env, working directory and user');
    t.match(r.basic.id, /^[0-9a-f]{64}$/);
    t.equal(r.tty.exitCode, 4);
    t.equal(r.tty.stdout.toString(), 'on a tty\r\n', 'a TTY: raw, all stdout');
    t.equal(r.tty.stderr.length, 0);
    t.match(r.ttyStdin.stdout.toString(), /got abc\r\n$/, 'stdin on a TTY is written, not half-closed (that would end the output)');
    t.same([r.silent.exitCode, r.silent.stdout.length, r.silent.stderr.length], [0, 0, 0], 'no output, exit 0');
    t.equal(r.out, 'chunk 1\nchunk 2\n', 'a Readable as stdin, streamed');
    t.equal(r.err, 'done\n');
    t.equal(r.streamedExit, 5, 'the exit code once the output ended');
    t.type(r.notRunning, ConflictError, 'exec in a container that is not running is a conflict');
    t.equal((r.notRunning as ConflictError).statusCode, ctx.engine.startsWith('podman') ? 500 : 409, 'podman says 500 with a cause');
  },
});

/** The exec group: create, inspect before and after, detached start, a TTY exec resized, 404s. */
export const execApi = scenario({
  name: 'exec-api',
  description: 'docker.exec create/inspect/start (detached and hijacked, Tty read from inspect)/resize, missing exec instances',
  setup: (docker) => removeNamed(docker, 'berth-rec-execapi'),
  cleanup: (docker) => removeNamed(docker, 'berth-rec-execapi'),
  async run(docker, ctx) {
    const id = await running(docker, 'berth-rec-execapi', ctx.image);
    const detached = await docker.exec.create(id, { Cmd: ['sh', '-c', 'touch /tmp/detached; exit 7'] });
    const before = await docker.exec.inspect(detached.Id);
    await docker.exec.start(detached.Id, { detach: true });
    // the container's own state says when the command ran: ask until it did (bounded)
    for (let i = 0; i < 100 && (await docker.containers.exec(id, ['test', '-e', '/tmp/detached'])).exitCode !== 0; i++) await setTimeout(20);
    let after: ExecInspectResponse = await docker.exec.inspect(detached.Id);
    // dockerd: ends at once; podman 4.3 reports a detached exec as running for good
    for (let i = 0; i < 100 && after.Running && !ctx.engine.startsWith('podman'); i++) {
      await setTimeout(20);
      after = await docker.exec.inspect(detached.Id);
    }
    const tty = await docker.exec.create(id, { Cmd: ['sh', '-c', 'read x; echo "read $x"'], Tty: true, AttachStdin: true, AttachStdout: true });
    const stdio = await docker.exec.start(tty.Id); // Tty comes from exec inspect
    const resized = await docker.exec.resize(tty.Id, { h: 20, w: 60 }).then(() => 'ok', (err: unknown) => err as Error);
    const reading = text((async function* chunks() { for await (const f of stdio.frames()) yield f.data; })());
    await stdio.write('line\n'); // no half-close: on a TTY it would end the output
    const ttyOut = await reading;
    const missingInspect = await failure(() => docker.exec.inspect('berth-no-such-exec'));
    const missingStart = await failure(() => docker.exec.start('berth-no-such-exec', { tty: false }));
    const missingContainer = await failure(() => docker.exec.create('berth-no-such-container', { Cmd: ['true'] }));
    await docker.containers.remove(id, { force: true });
    return { before, after, multiplexed: stdio.multiplexed, resized, ttyOut, missingInspect, missingStart, missingContainer };
  },
  check(t, r, ctx) {
    t.equal(r.before.Running, false, 'not running before start');
    if (ctx.engine.startsWith('podman')) t.equal(r.before.ExitCode, 0, 'podman says 0 before start');
    else t.equal(r.before.ExitCode, null, 'dockerd says null before start');
    if (ctx.engine.startsWith('podman')) {
      t.same([r.after.Running, r.after.ExitCode], [true, 0], 'podman 4.3 never reports a detached exec as ended');
    } else {
      t.same([r.after.Running, r.after.ExitCode], [false, 7], 'a detached exec\'s exit code');
    }
    t.equal(r.multiplexed, false, 'a TTY exec is raw');
    t.equal(r.resized, 'ok', 'the exec TTY is resized');
    t.match(r.ttyOut, /read line\r\n$/, 'stdin reached the TTY exec');
    t.type(r.missingInspect, NotFoundError);
    t.type(r.missingStart, NotFoundError, 'a refused exec start is the typed error of its status');
    t.type(r.missingContainer, NotFoundError);
  },
});

export const scenarios: Scenario[] = [execRun, execApi];
