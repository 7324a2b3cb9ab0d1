import t from 'tap';
import { execFile } from 'node:child_process';
import { linkSync, mkdirSync, chmodSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { randomFillSync } from 'node:crypto';
import { demuxBuffer, isNotFound, packContext, progress, splitOutput, type Docker } from '../../src/index.js';
import { isObject } from '../../src/engine/json.js';
import { dockerFor, engineOr, type EngineName, type TestEngine } from '../helpers/engines.js';
import { shortTempDir, type Teardown } from '../helpers/tmp.js';

/**
 * The packer against the docker CLI: for each case the same directory is
 * built twice on a classic-builder engine, once from berth's archive and once
 * by `DOCKER_BUILDKIT=0 docker build`, and what arrived in the image
 * (`COPY . /ctx`) is listed — names, types, modes, link counts, link targets
 * and file checksums. The two listings must be equal.
 */

const run = promisify(execFile);
const ENGINES: readonly EngineName[] = ['dockerd-20.10', 'dockerd-26.1', 'dockerd-28.5'];
const LABELS = { 'berth.test': 'build-context' };
const LIST = 'RUN (find /ctx -exec stat -c "%n|%F|%a|%h|%N" {} + ; find /ctx -type f -exec md5sum {} +) | sort > /list';
const DOCKERFILE = `FROM busybox:test\nCOPY . /ctx\n${LIST}\n`;

type Spec = string | { mode: number; content: string } | { symlink: string } | { hardlink: string };

interface Case {
  name: string;
  files: Record<string, Spec>;
  dockerignore?: string;
  /** Where the Dockerfile is: default `Dockerfile` at the root; a path inside; or outside the context. */
  dockerfile?: string | 'outside';
}

const cases: Case[] = [
  {
    name: 'no .dockerignore: modes, symlinks, hard links, empty directories',
    files: {
      'bin/run.sh': { mode: 0o755, content: '#!/bin/sh\necho hi\n' }, 'private': { mode: 0o600, content: 'p' },
      'empty/': '', 'a/b/c/d.txt': 'deep', 'link': { symlink: 'a/b/c/d.txt' }, 'dangling': { symlink: '/no/such/file' },
      'z-hard': { hardlink: 'private' },
    },
  },
  {
    name: 'the last matching pattern wins',
    files: { 'README.md': 'r', 'README-secret.md': 's', 'CHANGES.md': 'c', 'docs/x.md': 'x', 'notes.txt': 'n' },
    dockerignore: '*.md\n!README*.md\nREADME-secret.md\n',
  },
  {
    name: 'dir + !dir/keep.txt rescues the file',
    files: { 'dir/keep.txt': 'k', 'dir/other.txt': 'o', 'dir/sub/keep.txt': 'k2', 'top.txt': 't' },
    dockerignore: 'dir\n!dir/keep.txt\n',
  },
  {
    name: 'dir + !**/keep.txt does not rescue dir/keep.txt',
    files: { 'dir/keep.txt': 'k', 'dir/other.txt': 'o', 'keep.txt': 'k0', 'x/keep.txt': 'k1' },
    dockerignore: 'dir\n!**/keep.txt\n',
  },
  {
    name: '**/node_modules and node_modules',
    files: { 'node_modules/a/i.js': 'a', 'pkg/node_modules/b/i.js': 'b', 'pkg/src/i.js': 'c', 'lib/node_modules': 'a file' },
    dockerignore: 'node_modules\npkg/**/node_modules\n',
  },
  {
    name: 'allow-list: * then exceptions (the Dockerfile excluded, and sent anyway)',
    files: { 'src/a.ts': 'a', 'src/deep/b.ts': 'b', 'package.json': '{}', 'secret.env': 's', 'lib/c.js': 'c' },
    dockerignore: '*\n!src\n!package.json\n',
  },
  {
    name: 'a/b + !a: the walk excludes a/b',
    files: { 'a/b': 'b', 'a/c': 'c', 'd': 'd' },
    dockerignore: 'a/b\n!a\n',
  },
  {
    name: 'character classes, ? and escapes, Go style',
    files: {
      'abc': '1', '!bang': '2', 'bcd': '3', '5five': '4', 'x5': '5', 'q': '6', 'qq': '7', 'st*r': '8', 'a.b': '9', 'axb': '10',
    },
    dockerignore: '[!a]*\n[[:digit:]]*\n?\nst\\*r\na.b\n',
  },
  {
    name: 'regular-expression characters are literal; ** with a class',
    files: { 'a+b': '1', '(x)': '2', '{a,b}': '3', '$y': '4', 'src/m.c': '5', 'src/m.h': '6', 'src/m.o': '7', '#hash': '8', 'keep': '9' },
    dockerignore: 'a+b\n(x)\n{a,b}\n$y\n**/*.[ch]\n\\#hash\n',
  },
  {
    name: 'comments, BOM, CRLF, whitespace, leading and trailing slashes',
    files: { '# kept pattern': 'h', 'abs.txt': 'a', 'rel.txt': 'r', 'dir/keep': 'k', 'dir/x': 'x', 'other': 'o', 'comment': 'c' },
    dockerignore: '\uFEFF# comment\r\n  # kept pattern\r\n/abs.txt\r\n./rel.txt\r\ndir/\r\n!  dir/keep\r\n  \r\n',
  },
  {
    name: 'Dockerfile and .dockerignore excluded by the patterns',
    files: { 'a.txt': 'a', 'b.md': 'b' },
    dockerignore: 'Dockerfile\n.dockerignore\n*.txt\n',
  },
  {
    name: 'foo/** keeps foo; **.tmp is a suffix',
    files: { 'foo/x': 'x', 'foo/sub/y': 'y', 'a.tmp': 'a', 'd/b.tmp': 'b', 'tmp': 't', 'foobar': 'f' },
    dockerignore: 'foo/**\n**.tmp\n',
  },
  {
    name: 'a Dockerfile inside an excluded directory',
    files: { 'docker/other': 'o', 'app/x': 'x' },
    dockerignore: 'docker\n',
    dockerfile: 'docker/Dockerfile',
  },
  {
    name: 'a Dockerfile outside the context',
    files: { 'app/x': 'x', 'y.log': 'y' },
    dockerignore: '*.log\n',
    dockerfile: 'outside',
  },
  {
    name: 'deep exceptions and an excepted directory',
    files: { 'a/b/c/keep': 'k', 'a/b/c/x': 'x', 'a/b/y': 'y', 'x/y/z': 'z', 'x/w': 'w' },
    dockerignore: 'a\n!a/b/c/keep\nx\n!x/y\n',
  },
  {
    name: 'unicode and long names; ? is one character',
    files: { 'caf\u00e9/\u{1F600}': 'e', 'cafe/x': 'x', [`${'n'.repeat(90)}/${'m'.repeat(110)}`]: 'long', '\uff5e': 'w' },
    dockerignore: 'caf?/*\n!cafe/*\n',
  },
];

/** Writes a case's files; returns the context directory and the -f path the CLI needs (if any). */
function materialize(t: Teardown, c: Case): { root: string; cliDockerfile: string | undefined; berthDockerfile: string | undefined } {
  const base = shortTempDir(t, 'bci');
  const root = join(base, 'ctx');
  mkdirSync(root);
  const links: Array<[string, { symlink: string } | { hardlink: string }]> = [];
  for (const [path, spec] of Object.entries(c.files)) {
    const full = join(root, path);
    if (path.endsWith('/')) { mkdirSync(full, { recursive: true }); continue; }
    mkdirSync(dirname(full), { recursive: true });
    if (typeof spec === 'string') writeFileSync(full, spec);
    else if ('mode' in spec) { writeFileSync(full, spec.content); chmodSync(full, spec.mode); }
    else links.push([path, spec]);
  }
  for (const [path, spec] of links) {
    if ('symlink' in spec) symlinkSync(spec.symlink, join(root, path));
    else if ('hardlink' in spec) linkSync(join(root, spec.hardlink), join(root, path));
  }
  if (c.dockerignore !== undefined) writeFileSync(join(root, '.dockerignore'), c.dockerignore);
  if (c.dockerfile === 'outside') {
    writeFileSync(join(base, 'Dockerfile.outside'), DOCKERFILE);
    return { root, cliDockerfile: join(base, 'Dockerfile.outside'), berthDockerfile: join(base, 'Dockerfile.outside') };
  }
  const path = c.dockerfile ?? 'Dockerfile';
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), DOCKERFILE);
  return { root, cliDockerfile: c.dockerfile === undefined ? undefined : join(root, path), berthDockerfile: c.dockerfile };
}

/** POST /build with berth's archive, the progress stream read to its end; returns the image id. */
async function buildWithBerth(docker: Docker, root: string, tag: string, dockerfile: string | undefined): Promise<string> {
  const context = packContext(root, { dockerfile });
  const summary = await context.prepare();
  const res = await docker.requester.send({
    method: 'POST', path: '/build',
    query: { t: tag, rm: true, forcerm: true, version: '1', dockerfile: summary.dockerfile, labels: LABELS },
    body: context, contentType: 'application/x-tar', stream: true,
  });
  let id: string | undefined;
  for await (const message of progress(res.body, { request: res.request })) {
    const aux = message.aux;
    if (isObject(aux) && typeof aux.ID === 'string') id = aux.ID;
  }
  if (id === undefined) throw new Error('the build reported no image id');
  return id;
}

/** The same build by the docker CLI's classic builder. */
async function buildWithCli(engine: TestEngine, root: string, tag: string, dockerfile: string | undefined, config: string): Promise<string> {
  const args = ['-H', engine.host, 'build', '-q', '--rm', '--force-rm', '--label', 'berth.test=build-context', '-t', tag];
  if (dockerfile !== undefined) args.push('-f', dockerfile);
  const { stdout } = await run('docker', [...args, root], { env: { ...process.env, DOCKER_BUILDKIT: '0', DOCKER_CONFIG: config } });
  return stdout.trim();
}

/** Runs `cat /list` in a container of the image and returns what it printed. */
async function listing(docker: Docker, image: string): Promise<string> {
  const { Id } = await docker.containers.create({ Image: image, Cmd: ['cat', '/list'], Labels: LABELS, HostConfig: { NetworkMode: 'none' } });
  try {
    const waiter = await docker.containers.waiter(Id, { condition: 'next-exit' });
    await docker.containers.start(Id);
    await waiter.result;
    const res = await docker.requester.send({ method: 'GET', path: `/containers/${Id}/logs`, query: { stdout: true } });
    const raw = await docker.requester.collect(res, 16 << 20, 'logs');
    return splitOutput(demuxBuffer(raw)).stdout.toString('utf8');
  } finally {
    await docker.containers.remove(Id, { force: true });
  }
}

async function removeImage(docker: Docker, ref: string): Promise<void> {
  try {
    await docker.images.remove(ref, { force: true });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

for (const name of ENGINES) {
  t.test(`berth's context and the docker CLI's send the same files (${name})`, async (t) => {
    const engine = engineOr(t, name);
    if (!engine) return;
    const docker = dockerFor(t, engine);
    const config = shortTempDir(t, 'bcc');
    for (const [i, c] of cases.entries()) {
      await t.test(c.name, async (t) => {
        const { root, cliDockerfile, berthDockerfile } = materialize(t, c);
        const ours = `berth-build-context:${i}-berth`;
        const theirs = `berth-build-context:${i}-cli`;
        await removeImage(docker, ours);
        await removeImage(docker, theirs);
        t.teardown(async () => { await removeImage(docker, ours); await removeImage(docker, theirs); });
        await buildWithBerth(docker, root, ours, berthDockerfile);
        await buildWithCli(engine, root, theirs, cliDockerfile, config);
        let [a, b] = [await listing(docker, ours), await listing(docker, theirs)];
        t.ok(a.includes('/ctx|directory|'), 'the listing ran');
        if (c.dockerfile === 'outside') {
          // Both append the added Dockerfile's name to .dockerignore; the CLI's name is random, berth's is not.
          const added = /^[0-9a-f]{32} {2}\/ctx\/\.dockerignore$/m;
          t.match(a, added, 'the amended .dockerignore arrived');
          const normal = (list: string): string => list.replace(added, '<amended .dockerignore>').split('\n').sort().join('\n');
          [a, b] = [normal(a), normal(b)];
          t.notMatch(a, /\.dockerfile\./, 'the added Dockerfile was removed by the builder');
        }
        t.equal(a, b, 'same files, types, modes, links and contents');
      });
    }
  });
}

t.test('memory stays flat while a ~200 MB context streams to a slow sink', async (t) => {
  const root = shortTempDir(t, 'bcm');
  const chunk = randomFillSync(Buffer.alloc(5 << 20));
  writeFileSync(join(root, 'Dockerfile'), 'FROM busybox:test\n');
  for (let i = 0; i < 40; i++) writeFileSync(join(root, `big-${i}.bin`), chunk);
  for (let d = 0; d < 20; d++) {
    mkdirSync(join(root, `small-${d}`));
    for (let f = 0; f < 100; f++) writeFileSync(join(root, `small-${d}`, `${f}.txt`), chunk.subarray(f * 1024, f * 1024 + 1024));
  }
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5);
  let received = 0;
  const sink = new Writable({
    highWaterMark: 64 << 10,
    write(data: Buffer, _encoding, callback) {
      received += data.length;
      setImmediate(callback); // slower than the producer: backpressure must hold
    },
  });
  try {
    await pipeline(packContext(root), sink);
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  t.ok(received > 200 << 20, `${(received / 2 ** 20).toFixed(0)} MiB streamed`);
  const growth = (peak - baseline) / 2 ** 20;
  t.ok(growth < 100, `peak RSS grew by ${growth.toFixed(1)} MiB (limit 100)`);
});
