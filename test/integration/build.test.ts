import t, { type Test } from 'tap';
import { chmodSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import {
  DockerAbortError, DockerStreamError, ServerError, demuxBuffer, isNotFound, splitOutput,
  type BuildEvent, type Docker,
} from '../../src/index.js';
import { dockerFor, engineOr, type EngineName, type TestEngine } from '../helpers/engines.js';
import { shortTempDir } from '../helpers/tmp.js';

/**
 * `docker.images.build()` end to end on real engines: which files of a
 * directory arrive in the image, an engine refusing while the context is
 * still uploading, an abort in the middle of a long `RUN` that must leave no
 * build container behind, a build over mutual TLS, and a 1 GiB context with
 * the client's memory watched.
 */

const ENGINES: readonly EngineName[] = ['dockerd-20.10', 'dockerd-28.5', 'podman-4.3'];
const LABELS = { 'berth.test': 'build-call' };
const MiB = 1 << 20;

async function removeImage(docker: Docker, ref: string): Promise<void> {
  await docker.images.remove(ref, { force: true }).catch((err: unknown) => {
    if (!isNotFound(err)) throw err;
  });
}

/** Runs `cmd` in a container of `image` and returns its stdout. */
async function runIn(docker: Docker, image: string, cmd: string[]): Promise<string> {
  const { Id } = await docker.containers.create({ Image: image, Cmd: cmd, Labels: LABELS, HostConfig: { NetworkMode: 'none' } });
  try {
    const waiter = await docker.containers.waiter(Id, { condition: 'next-exit' });
    await docker.containers.start(Id);
    await waiter.result;
    const res = await docker.requester.send({ method: 'GET', path: `/containers/${Id}/logs`, query: { stdout: true } });
    return splitOutput(demuxBuffer(await docker.requester.collect(res, 16 << 20, 'logs'))).stdout.toString('utf8');
  } finally {
    await docker.containers.remove(Id, { force: true });
  }
}

/** Pids of processes on this machine whose command line holds `text`. */
function hostProcesses(text: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function writeTree(root: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

for (const name of ENGINES) {
  t.test(`a directory with .dockerignore: exactly the right files arrive (${name})`, async (t) => {
    const engine = engineOr(t, name);
    if (!engine) return;
    const docker = dockerFor(t, engine);
    const root = shortTempDir(t, 'bbi');
    writeTree(root, {
      'Dockerfile': 'FROM busybox:test\nCOPY . /ctx\n',
      '.dockerignore': '# build outputs\n*.log\nnode_modules\nsecrets/\n!secrets/public.pem\ndocs/**/*.tmp\n',
      'src/main.ts': 'main', 'src/deep/util.ts': 'util', 'app.log': 'log', 'src/debug.log': 'nested log is kept: *.log is root-only',
      'node_modules/x/index.js': 'x', 'secrets/key.pem': 'private', 'secrets/public.pem': 'public',
      'docs/a.md': 'a', 'docs/b/c.tmp': 'tmp', 'docs/b/d.md': 'd',
    });
    chmodSync(join(root, 'src/main.ts'), 0o755);
    symlinkSync('src/main.ts', join(root, 'main-link'));
    const tag = `berth-build-call:ignore-${name.replace(/\./g, '-')}`;
    await removeImage(docker, tag);
    t.teardown(() => removeImage(docker, tag));
    const { id } = await docker.images.build({ context: root, tag, labels: LABELS });
    t.match(id, /^sha256:/);
    const listing = await runIn(docker, tag, ['sh', '-c', 'cd /ctx && find . -mindepth 1 | sort && stat -c "%a %n" src/main.ts && readlink main-link']);
    t.equal(listing, [
      './.dockerignore', './Dockerfile', './docs', './docs/a.md', './docs/b', './docs/b/d.md', './main-link', './secrets', './secrets/public.pem',
      './src', './src/debug.log', './src/deep', './src/deep/util.ts', './src/main.ts',
      '755 src/main.ts', 'src/main.ts', '',
    ].join('\n'), 'ignored files never left; exceptions, modes and links kept');
  });

  t.test(`the engine refuses while the context is still uploading (${name})`, async (t) => {
    const engine = engineOr(t, name);
    if (!engine) return;
    const docker = dockerFor(t, engine);
    // a tar with no Dockerfile, then 512 MiB of zero blocks: dockerd stops at the end-of-archive marker and answers
    const archive = pack();
    archive.entry({ name: 'README', mode: 0o644, mtime: new Date(0) }, 'no Dockerfile here\n');
    archive.finalize();
    let padding = 512 * MiB;
    let produced = 0;
    const zeros = Buffer.alloc(MiB);
    const head = archive as unknown as AsyncIterable<Buffer>;
    const context = Readable.from((async function* () {
      for await (const chunk of head) { produced += chunk.length; yield chunk; }
      while (padding > 0) { padding -= zeros.length; produced += zeros.length; yield zeros; }
    })());
    const started = Date.now();
    const err = await docker.images.build({ context }).done().catch((e: unknown) => e);
    if (engine.kind === 'podman') {
      // podman reads the whole archive before it looks for the Dockerfile, then reports in-band
      t.type(err, DockerStreamError);
      t.match((err as DockerStreamError).engineMessage, /Dockerfile: no such file or directory/);
    } else {
      t.type(err, ServerError, 'the HTTP error, not a broken pipe');
      t.equal((err as ServerError).engineMessage, 'Cannot locate specified Dockerfile: Dockerfile');
      t.ok(produced < 256 * MiB, `the upload stopped early: ${(produced / MiB).toFixed(0)} of 512 MiB produced in ${Date.now() - started} ms`);
    }
    t.ok(context.destroyed || produced >= 512 * MiB, 'the context stream was finished or destroyed');
  });

  t.test(`an abort during a long RUN stops the build on the engine (${name})`, async (t) => {
    const engine = engineOr(t, name);
    if (!engine) return;
    const docker = dockerFor(t, engine);
    const marker = `berth-abort-${name.replace(/\./g, '-')}`;
    const controller = new AbortController();
    // podman does not stop a build whose client left: give its step an end, and wait for it below
    // the duration tells this test's step apart in the process table (the shell execs its last command, so only `sleep N` is left)
    const durations: Partial<Record<EngineName, number>> = { 'dockerd-20.10': 3011, 'dockerd-28.5': 3012, 'podman-4.3': 7 };
    const seconds = durations[name] ?? 3013;
    const sleeping = `sleep\0${seconds}\0`;
    const build = docker.images.build({
      dockerfileContent: `FROM busybox:test\nRUN echo started && sleep ${seconds} # ${marker}\n`, noCache: true, signal: controller.signal, labels: LABELS,
    });
    const running = async (): Promise<string[]> => (await docker.containers.list({ all: true }))
      .filter((c) => c.State === 'running' && (c.Command ?? '').includes(marker)).map((c) => c.Id);
    const events: BuildEvent[] = [];
    let before: string[] = [];
    let sawProcess = false;
    const iterated = (async () => {
      for await (const e of build) {
        events.push(e);
        if (e.type === 'output' && e.line === 'started') {
          // the step's output can arrive before the engine has marked its container running
          const until = Date.now() + 5000;
          while (engine.kind === 'dockerd' && (before = await running()).length === 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
          // the shell prints "started" before it starts sleep: wait (bounded) for the process to appear
          const seen = Date.now() + 5000;
          while (!(sawProcess = hostProcesses(sleeping).length > 0) && Date.now() < seen) await new Promise((resolve) => setTimeout(resolve, 50));
          controller.abort(new Error('stop the build'));
        }
      }
    })();
    await t.rejects(iterated, DockerAbortError);
    await t.rejects(build.done(), DockerAbortError);
    t.ok(events.some((e) => e.type === 'output' && e.line === 'started'), 'the RUN was running');
    // dockerd lists its build containers, so the check below can see one; buildah's are not in the compat API's list
    if (engine.kind === 'dockerd') t.equal(before.length, 1, `the build container was listed as running before the abort (${before.join(', ')})`);
    t.ok(sawProcess, 'the step\'s process was running before the abort');
    const deadline = Date.now() + 20_000;
    let left = await running();
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      left = await running();
    }
    t.same(left, [], 'no build container is left running');
    if (engine.kind === 'podman') {
      // the engine runs on this machine: its RUN shows in the process table
      t.ok(hostProcesses(sleeping).length > 0, 'podman 4.3 keeps running the step after the client left (pinned)');
      const end = Date.now() + 20_000;
      while (hostProcesses(sleeping).length > 0 && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 250));
      t.same(hostProcesses(sleeping), [], 'and the step ends by itself');
    } else {
      t.same(hostProcesses(sleeping), [], 'dockerd killed the step');
    }
  });
}

t.test('a build over TCP with mutual TLS: the context streams through the TLS connection', async (t) => {
  const engine = engineOr(t, 'dockerd-tls');
  if (!engine) return;
  const docker = dockerFor(t, engine);
  const root = shortTempDir(t, 'bbt');
  writeTree(root, { 'Dockerfile': 'FROM busybox:test\nCOPY data.bin /data.bin\nRUN wc -c < /data.bin\n' });
  writeFileSync(join(root, 'data.bin'), Buffer.alloc(8 * MiB, 0x7a));
  const tag = 'berth-build-call:tls';
  await removeImage(docker, tag);
  t.teardown(() => removeImage(docker, tag));
  const lines: string[] = [];
  const { id } = await docker.images.build({ context: root, tag, noCache: true, onProgress: (e) => { if (e.type === 'output') lines.push(e.line); } });
  t.match(id, /^sha256:/);
  t.ok(lines.includes(String(8 * MiB)), 'all 8 MiB arrived');
  t.match(docker.endpoint.url, /^tcp:/);
});

t.test('a 1 GiB context: the build succeeds and client memory stays flat', async (t) => {
  const engine = engineOr(t, 'dockerd-28.5');
  if (!engine) return;
  await bigContextBuild(t, engine);
});

async function bigContextBuild(t: Test, engine: TestEngine): Promise<void> {
  const docker = dockerFor(t, engine);
  const root = shortTempDir(t, 'bbg');
  const file = 8 * MiB;
  const blocks = [Buffer.alloc(file), Buffer.alloc(file)].map((b) => { for (let i = 0; i < b.length; i += 4096) b.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, i); return b; });
  writeFileSync(join(root, 'Dockerfile'), 'FROM busybox:test\nLABEL berth.test=build-call-big\n');
  for (let i = 0; i < 128; i++) {
    const block = blocks[i % 2] as Buffer;
    block.writeUInt32LE(i, 0);
    writeFileSync(join(root, `data-${String(i).padStart(3, '0')}.bin`), block);
  }
  const tag = 'berth-build-call:big';
  await removeImage(docker, tag);
  t.teardown(() => removeImage(docker, tag));
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 10);
  const started = Date.now();
  let result;
  try {
    result = await docker.images.build({ context: root, tag });
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  t.match(result.id, /^sha256:/, `built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const growth = (peak - baseline) / MiB;
  t.ok(growth < 250, `peak RSS grew by ${growth.toFixed(1)} MiB while 1 GiB was sent (bound 250)`);
}
