import {
  DockerAbortError, DockerArgumentError, DockerProtocolError, NotFoundError,
  type ContainerCreateRequest, type Docker, type Frame, type LogLine,
} from '../../src/index.js';
import { removeNamed } from './containers.js';
import { failure, scenario, type Scenario } from './scenario.js';

/** Logs, attach and stats of containers, through the public calls. */

const LABELS = { 'berth.test': 'container-streams' };

/** Creates a labelled container without networking under a fixed name. */
async function createNamed(docker: Docker, name: string, config: Omit<ContainerCreateRequest, 'Labels' | 'HostConfig'>): Promise<string> {
  const { Id } = await docker.containers.create({ ...config, Labels: LABELS, HostConfig: { NetworkMode: 'none' } }, { name });
  return Id;
}

/** Runs a container to its end (the wait registered before the start). */
async function runToEnd(docker: Docker, id: string): Promise<number> {
  const waiter = await docker.containers.waiter(id, { condition: 'next-exit' });
  await docker.containers.start(id);
  return (await waiter.result).StatusCode;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** The text of one stream's frames. */
export function textOf(frames: readonly Frame[], stream: Frame['stream']): string {
  return Buffer.concat(frames.filter((f) => f.stream === stream).map((f) => f.data)).toString('utf8');
}

/** Non-follow logs: frames, buffers, lines with timestamps, a TTY, tail, until, and the errors. */
export const logsBasic = scenario({
  name: 'logs-basic',
  description: 'GET /containers/{id}/logs of a multiplexed and a TTY container: frames, buffers, lines, tail, until, 404',
  setup: (docker) => removeNamed(docker, 'berth-rec-logs', 'berth-rec-logs-tty'),
  cleanup: (docker) => removeNamed(docker, 'berth-rec-logs', 'berth-rec-logs-tty'),
  async run(docker, ctx) {
    // é is written as two printf calls, so the engine may cut it across frames
    const id = await createNamed(docker, 'berth-rec-logs', {
      Image: ctx.image, Cmd: ['sh', '-c', 'echo out 1; echo err 1 >&2; printf "caf\\303"; printf "\\251\\n"; echo out 2'],
    });
    await runToEnd(docker, id);
    const frames = await collect(docker.containers.logs(id));
    const buffers = await docker.containers.logsBuffer(id);
    const stdoutOnly = await docker.containers.logsBuffer(id, { stderr: false });
    const lines = await collect(docker.containers.logLines(id, { timestamps: true }));
    const created = (await docker.containers.inspect(id)).Created;
    const beforeAnything = await docker.containers.logsBuffer(id, { until: created });
    const tty = await createNamed(docker, 'berth-rec-logs-tty', { Image: ctx.image, Cmd: ['sh', '-c', 'echo a; echo b >&2; echo c'], Tty: true });
    await runToEnd(docker, tty);
    const ttyAll = await docker.containers.logsBuffer(tty);
    const ttyTail = await docker.containers.logsBuffer(tty, { tail: 2 });
    const missing = await failure(() => collect(docker.containers.logs('berth-no-such-container')));
    const noStream = await failure(async () => docker.containers.logs(id, { stdout: false, stderr: false }));
    await docker.containers.remove(id);
    await docker.containers.remove(tty);
    return { frames, buffers, stdoutOnly, lines, beforeAnything, ttyAll, ttyTail, missing, noStream };
  },
  check(t, r) {
    t.equal(textOf(r.frames, 'stdout'), 'out 1\ncafé\nout 2\n', 'stdout frames, é whole once joined');
    t.equal(textOf(r.frames, 'stderr'), 'err 1\n', 'stderr frames');
    t.equal(r.buffers.stdout.toString(), 'out 1\ncafé\nout 2\n');
    t.equal(r.buffers.stderr.toString(), 'err 1\n');
    t.equal(r.stdoutOnly.stdout.toString(), 'out 1\ncafé\nout 2\n');
    t.equal(r.stdoutOnly.stderr.length, 0, 'stderr: false leaves stderr out');
    const byStream = (s: LogLine['stream']): string[] => r.lines.filter((l) => l.stream === s).map((l) => l.line);
    t.same(byStream('stdout'), ['out 1', 'café', 'out 2'], 'lines are decoded across frames');
    t.same(byStream('stderr'), ['err 1']);
    for (const l of r.lines) t.match(l.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, 'each line has its RFC 3339 time');
    t.same([r.beforeAnything.stdout.length, r.beforeAnything.stderr.length], [0, 0], 'until the creation time: nothing');
    t.equal(r.ttyAll.stdout.toString(), 'a\r\nb\r\nc\r\n', 'a TTY is one raw stream: all of it stdout, CRLF');
    t.equal(r.ttyAll.stderr.length, 0);
    t.equal(r.ttyTail.stdout.toString(), 'b\r\nc\r\n', 'tail: 2');
    t.type(r.missing, NotFoundError, 'a missing container is a 404 from the first next()');
    t.type(r.noStream, DockerArgumentError, 'neither stdout nor stderr is refused before sending');
  },
});

/** Follow: the stream ends when the container stops; a signal ends it with DockerAbortError. */
export const logsFollow = scenario({
  name: 'logs-follow',
  description: 'GET /containers/{id}/logs?follow=1 until the container exits (released by an exec), then a followed stream aborted by a signal',
  setup: (docker) => removeNamed(docker, 'berth-rec-follow', 'berth-rec-follow2'),
  cleanup: (docker) => removeNamed(docker, 'berth-rec-follow', 'berth-rec-follow2'),
  async run(docker, ctx) {
    const id = await createNamed(docker, 'berth-rec-follow', {
      Image: ctx.image, Cmd: ['sh', '-c', 'echo ready; while [ ! -e /tmp/go ]; do sleep 0.05; done; echo done'],
    });
    await docker.containers.start(id);
    const followed: string[] = [];
    for await (const line of docker.containers.logLines(id, { follow: true })) {
      followed.push(line.line);
      // the container waits for this file: the stream can only end after it
      if (line.line === 'ready') await docker.containers.exec(id, ['touch', '/tmp/go']);
    }
    const exit = await docker.containers.wait(id);
    const sleeper = await createNamed(docker, 'berth-rec-follow2', { Image: ctx.image, Cmd: ['sh', '-c', 'echo tick; exec sleep 300'] });
    await docker.containers.start(sleeper);
    const controller = new AbortController();
    const seen: string[] = [];
    const aborted = await failure(async () => {
      for await (const f of docker.containers.logs(sleeper, { follow: true, signal: controller.signal })) {
        seen.push(f.data.toString());
        controller.abort(new Error('seen enough'));
      }
    });
    let broke = 0;
    for await (const f of docker.containers.logs(sleeper, { follow: true })) {
      broke += f.data.length;
      break; // ends quietly, closing the connection
    }
    await docker.containers.remove(id);
    await docker.containers.remove(sleeper, { force: true });
    return { followed, exit, seen, aborted, broke };
  },
  check(t, r) {
    t.same(r.followed, ['ready', 'done'], 'follow saw the output and ended with the container');
    t.equal(r.exit.StatusCode, 0);
    t.same(r.seen, ['tick\n']);
    t.type(r.aborted, DockerAbortError, 'the signal ends a followed stream with DockerAbortError');
    t.equal(((r.aborted as DockerAbortError).reason as Error).message, 'seen enough', 'with the signal\'s reason');
    t.equal(r.broke, 5, 'break ends the loop without an error');
  },
});

/** Attach before start with stdin and a half-close; a TTY attach; a missing container. */
export const containerAttach = scenario({
  name: 'container-attach',
  description: 'POST /containers/{id}/attach before start: stdin sent and half-closed, frames; a TTY attach read as streams; 404',
  setup: (docker) => removeNamed(docker, 'berth-rec-att', 'berth-rec-att-tty'),
  cleanup: (docker) => removeNamed(docker, 'berth-rec-att', 'berth-rec-att-tty'),
  async run(docker, ctx) {
    const id = await createNamed(docker, 'berth-rec-att', {
      Image: ctx.image, Cmd: ['sh', '-c', 'cat; echo eof >&2; exit 2'],
      OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true, AttachStderr: true,
    });
    const stdio = await docker.containers.attach(id, { stdin: true });
    const reading = collect(stdio.frames());
    const waiter = await docker.containers.waiter(id, { condition: 'next-exit' });
    await docker.containers.start(id);
    await stdio.send('héllo\n');
    const frames = await reading;
    const exit = await waiter.result;
    const tty = await createNamed(docker, 'berth-rec-att-tty', {
      Image: ctx.image, Cmd: ['sh', '-c', 'read x; echo "got $x"'], Tty: true,
      OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true,
    });
    const ttyStdio = await docker.containers.attach(tty, { stdin: true, stderr: false });
    const streams = ttyStdio.outputStreams();
    await docker.containers.start(tty);
    await ttyStdio.write('abc\n');
    const ttyOut = (await collect(streams.stdout as AsyncIterable<Buffer>)).map(String).join('');
    const ttyErr = (await collect(streams.stderr as AsyncIterable<Buffer>)).length;
    await streams.done;
    await docker.containers.wait(tty);
    const missing = await failure(() => docker.containers.attach('berth-no-such-container'));
    await docker.containers.remove(id);
    await docker.containers.remove(tty);
    return { frames, exit, multiplexed: stdio.multiplexed, ttyMultiplexed: ttyStdio.multiplexed, ttyOut, ttyErr, missing };
  },
  check(t, r) {
    t.equal(r.multiplexed, true, 'a container without a TTY attaches multiplexed');
    t.equal(textOf(r.frames, 'stdout'), 'héllo\n', 'stdin reached cat');
    t.equal(textOf(r.frames, 'stderr'), 'eof\n', 'the half-close gave cat end of file');
    t.equal(r.exit.StatusCode, 2);
    t.equal(r.ttyMultiplexed, false, 'a TTY attaches raw');
    t.match(r.ttyOut, /got abc\r\n$/, 'the TTY output (with the echo of the input) is stdout');
    t.equal(r.ttyErr, 0, 'a TTY has no stderr');
    t.type(r.missing, NotFoundError);
  },
});

/** Stats: one-shot, a two-sample wait, the stream, a stopped container, a missing one. */
export const containerStats = scenario({
  name: 'container-stats',
  description: 'GET /containers/{id}/stats: stream=0 with and without one-shot, two streamed samples, a stopped and a missing container',
  setup: (docker) => removeNamed(docker, 'berth-rec-stats'),
  cleanup: (docker) => removeNamed(docker, 'berth-rec-stats'),
  async run(docker, ctx) {
    const id = await createNamed(docker, 'berth-rec-stats', { Image: ctx.image, Cmd: ['sleep', '300'] });
    await docker.containers.start(id);
    const oneShot = await docker.containers.stats(id, { oneShot: true });
    const paired = await docker.containers.stats(id);
    const samples = [];
    for await (const s of docker.containers.statsStream(id)) {
      samples.push(s);
      if (samples.length === 2) break;
    }
    await docker.containers.kill(id);
    await docker.containers.wait(id);
    const stopped = await docker.containers.stats(id, { oneShot: true }).catch((err: unknown) => err as Error);
    const missing = await failure(() => docker.containers.stats('berth-no-such-container', { oneShot: true }));
    await docker.containers.remove(id);
    return { oneShot, paired, samples, stopped, missing };
  },
  check(t, r, ctx) {
    t.ok(Date.parse(r.oneShot.read ?? '') > 0, 'a one-shot sample has its time');
    t.ok((r.oneShot.memory_stats?.usage ?? 0) > 0, 'and memory usage');
    t.ok((r.oneShot.pids_stats?.current ?? 0) >= 1, 'and the pid count');
    if (ctx.engine.startsWith('podman')) t.equal(r.paired.preread, '0001-01-01T00:00:00Z', 'podman 4.3 answers stream=0 with one sample either way');
    else t.ok(Date.parse(r.paired.preread ?? '') > 0, 'without one-shot dockerd pairs two samples (precpu_stats filled)');
    t.equal(r.samples.length, 2, 'break after two streamed samples');
    for (const s of r.samples) t.ok(Date.parse(s.read ?? '') > 0);
    if (ctx.engine.startsWith('podman')) {
      t.type(r.stopped, DockerProtocolError, 'podman sends no stats for a stopped container');
    } else {
      t.notOk(r.stopped instanceof Error, 'dockerd sends an empty sample for a stopped container');
      t.equal((r.stopped as { read?: string }).read, '0001-01-01T00:00:00Z');
    }
    t.type(r.missing, NotFoundError);
  },
});

export const scenarios: Scenario[] = [logsBasic, logsFollow, containerAttach, containerStats];
