import t from 'tap';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import {
  DockerAbortError, DockerArgumentError, DockerIgnore, dockerfileContext, packContext, type BuildContextProgress,
} from '../../src/index.js';
import { nodeContextFs, type ContextFileSystem } from '../../src/engine/build/context-fs.js';
import { SMALL_FILE_BYTES } from '../../src/engine/build/context-directory.js';
import { shortTempDir, type Teardown } from '../helpers/tmp.js';
import { collect, readTar, type TarEntryInfo } from '../helpers/tar.js';

type Spec = string | Buffer | { mode: number; content?: string };

/** Writes files (strings, buffers, or {mode, content}); a path ending in / is a directory. */
function makeTree(t: Teardown, files: Record<string, Spec>, root = shortTempDir(t, 'bctx')): string {
  for (const [path, spec] of Object.entries(files)) {
    const full = join(root, path);
    if (path.endsWith('/')) {
      mkdirSync(full, { recursive: true });
      continue;
    }
    mkdirSync(dirname(full), { recursive: true });
    if (typeof spec === 'string' || Buffer.isBuffer(spec)) writeFileSync(full, spec);
    else {
      writeFileSync(full, spec.content ?? '');
      chmodSync(full, spec.mode);
    }
  }
  return root;
}

const names = (entries: TarEntryInfo[]): string[] => entries.map((e) => e.name);
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const errnoError = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: injected`), { code });

t.test('the archive: entries, types, modes, links, contents', async (t) => {
  const big = Buffer.alloc(SMALL_FILE_BYTES * 3 + 12345);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
  const root = makeTree(t, {
    'Dockerfile': 'FROM busybox:test\n',
    '.dockerignore': '*.log\n!keep.log\nsecret/\n',
    'app/run.sh': { mode: 0o755, content: '#!/bin/sh\n' },
    'app/data.bin': big,
    'app/empty/': '',
    'private.txt': { mode: 0o600, content: 'p' },
    'keep.log': 'kept',
    'drop.log': 'dropped',
    'secret/key': 'never sent',
  });
  symlinkSync('app/run.sh', join(root, 'run'));
  symlinkSync('/nowhere/at/all', join(root, 'dangling'));
  linkSync(join(root, 'private.txt'), join(root, 'z-hardlink'));
  execFileSync('mkfifo', [join(root, 'pipe')]);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(join(root, 'sock'), resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const entries = await readTar(packContext(root));
  t.same(names(entries), [
    '.dockerignore', 'Dockerfile', 'app/', 'app/data.bin', 'app/empty/', 'app/run.sh',
    'dangling', 'keep.log', 'private.txt', 'run', 'z-hardlink',
  ], 'sorted, filtered, the FIFO and the socket skipped');
  const by = new Map(entries.map((e) => [e.name, e]));
  t.match(by.get('app/'), { type: 'directory', mode: 0o755 });
  t.match(by.get('app/run.sh'), { type: 'file', mode: 0o755, content: Buffer.from('#!/bin/sh\n') }, 'executable bit kept');
  t.match(by.get('private.txt'), { type: 'file', mode: 0o600, size: 1 });
  t.match(by.get('run'), { type: 'symlink', linkname: 'app/run.sh', size: 0 }, 'a symlink stays a symlink');
  t.match(by.get('dangling'), { type: 'symlink', linkname: '/nowhere/at/all' }, 'a dangling symlink is sent, not followed');
  t.match(by.get('z-hardlink'), { type: 'link', linkname: 'private.txt', size: 0 }, 'the second name of a file is a hard link');
  t.ok(by.get('app/data.bin')?.content.equals(big), 'a large (streamed) file arrives intact');
  for (const e of entries) {
    t.match(e, { uid: 0, gid: 0, uname: '', gname: '' }, `${e.name}: owner normalised`);
  }
});

t.test('identical trees give identical archives, whatever their creation order', async (t) => {
  const files: Record<string, Spec> = {
    'Dockerfile': 'FROM x\n', 'a/b/c.txt': 'c', 'a/x.sh': { mode: 0o755, content: 'x' }, 'z/': '', 'm.txt': 'm'.repeat(5000),
  };
  const reversed = Object.fromEntries(Object.entries(files).reverse());
  const one = makeTree(t, files);
  const two = makeTree(t, reversed);
  symlinkSync('m.txt', join(one, 'link'));
  symlinkSync('m.txt', join(two, 'link'));
  const mtime = new Date('2020-01-02T03:04:05Z');
  const a = await collect(packContext(one, { mtime }));
  const b = await collect(packContext(two, { mtime }));
  t.equal(sha256(a), sha256(b), 'same hash');
  t.ok(a.length > 0 && a.length % 512 === 0, 'a whole number of tar blocks');
  chmodSync(join(two, 'm.txt'), 0o600);
  t.not(sha256(await collect(packContext(two, { mtime }))), sha256(a), 'a different mode is a different archive');
});

t.test('modification times: each file\'s own in whole seconds, or the fixed one', async (t) => {
  const root = makeTree(t, { 'Dockerfile': 'FROM x\n', 'f': 'f' });
  utimesSync(join(root, 'f'), 1234567890.789, 1234567890.789);
  const own = await readTar(packContext(root));
  t.equal(own.find((e) => e.name === 'f')?.mtime, 1234567890000, 'truncated to the second');
  const fixed = await readTar(packContext(root, { mtime: 86_400_500 }));
  t.same([...new Set(fixed.map((e) => e.mtime))], [86_400_000], 'every entry has the fixed time');
  t.throws(() => packContext(root, { mtime: Number.NaN }), DockerArgumentError);
  t.throws(() => packContext(root, { mtime: new Date('nope') }), DockerArgumentError);
});

t.test('an unreadable file fails before any byte, naming it (open refused by an injected EACCES)', async (t) => {
  // Running as root, chmod 000 would not stop the read: the refusal is injected at the open call.
  const root = makeTree(t, { 'Dockerfile': 'FROM x\n', 'a.txt': 'a', 'sub/secret.txt': 's', 'z.txt': 'z' });
  let contentReads = 0;
  const fs: ContextFileSystem = {
    ...nodeContextFs,
    open: (path) => { if (path.endsWith('/sub/secret.txt')) throw errnoError('EACCES'); return nodeContextFs.open(path); },
    readSync: (...args) => { contentReads++; return nodeContextFs.readSync(...args); },
    read: (...args) => { contentReads++; return nodeContextFs.read(...args); },
  };
  const stream = packContext(root, { fs });
  const err = await stream.prepare().then(() => undefined, (e: unknown) => e);
  t.type(err, DockerArgumentError);
  t.match((err as Error).message, /cannot read "sub\/secret\.txt" in the build context .*: permission denied \(EACCES\)/);
  t.match((err as Error).cause, { code: 'EACCES' });
  t.equal(contentReads, 0, 'no file content was read');
  let bytes = 0;
  stream.on('data', (chunk: Buffer) => { bytes += chunk.length; });
  const streamError = await new Promise((resolve) => stream.once('error', resolve));
  t.equal(streamError, err, 'reading the stream fails with the same error');
  t.equal(bytes, 0, 'before any byte');
});

t.test('a directory that cannot be listed fails before any byte, naming it', async (t) => {
  const root = makeTree(t, { 'Dockerfile': 'FROM x\n', 'locked/x': 'x' });
  const fs: ContextFileSystem = {
    ...nodeContextFs,
    readdir: (path) => { if (path.endsWith('/locked')) throw errnoError('EACCES'); return nodeContextFs.readdir(path); },
  };
  await t.rejects(packContext(root, { fs }).prepare(), { name: 'DockerArgumentError', message: /cannot list "locked" in the build context/ });
});

t.test('excluded directories are never listed, in either pass', async (t) => {
  const root = makeTree(t, {
    'Dockerfile': 'FROM x\n', '.dockerignore': 'node_modules\n.git\n', 'node_modules/a/b/c.js': 'x', '.git/HEAD': 'x', 'src/i.ts': 'x',
  });
  const listed: string[] = [];
  const fs: ContextFileSystem = { ...nodeContextFs, readdir: (path) => { listed.push(path.slice(root.length) || '/'); return nodeContextFs.readdir(path); } };
  t.same(names(await readTar(packContext(root, { fs }))), ['.dockerignore', 'Dockerfile', 'src/', 'src/i.ts']);
  t.same(listed, ['/', '/src', '/', '/src'], 'the check and the pack each listed the root and src only');
});

t.test('the Dockerfile and .dockerignore are always sent', async (t) => {
  const root = makeTree(t, { 'Dockerfile': 'FROM x\n', '.dockerignore': '*\n.dockerignore\nDockerfile\n', 'x': 'x', 'd/y': 'y' });
  t.same(names(await readTar(packContext(root))), ['.dockerignore', 'Dockerfile']);
  const nested = makeTree(t, { 'build/Dockerfile.prod': 'FROM x\n', 'build/other': 'o', '.dockerignore': 'build\n', 'x': 'x' });
  const stream = packContext(nested, { dockerfile: 'build/Dockerfile.prod' });
  t.equal((await stream.prepare()).dockerfile, 'build/Dockerfile.prod');
  t.same(names(await readTar(stream)), ['.dockerignore', 'build/Dockerfile.prod', 'x'], 'its excluded directory is entered, nothing else of it sent');
});

t.test('the ignore option replaces the directory\'s .dockerignore for filtering', async (t) => {
  const root = makeTree(t, { 'Dockerfile': 'FROM x\n', '.dockerignore': '*.txt\n', 'a.txt': 'a', 'b.md': 'b' });
  t.same(names(await readTar(packContext(root, { ignore: '*.md' }))), ['.dockerignore', 'Dockerfile', 'a.txt']);
  t.same(names(await readTar(packContext(root, { ignore: DockerIgnore.from(['a.*']) }))), ['.dockerignore', 'Dockerfile', 'b.md']);
  t.same(names(await readTar(packContext(root, { ignore: '' }))), ['.dockerignore', 'Dockerfile', 'a.txt', 'b.md'], 'empty rules send everything');
});

t.test('finding the Dockerfile', async (t) => {
  await t.test('default Dockerfile, then lowercase dockerfile', async (t) => {
    t.equal((await packContext(makeTree(t, { 'Dockerfile': 'x' })).prepare()).dockerfile, 'Dockerfile');
    t.equal((await packContext(makeTree(t, { 'dockerfile': 'x' })).prepare()).dockerfile, 'dockerfile');
  });
  await t.test('symbolic links in its path are resolved, like the CLI', async (t) => {
    const root = makeTree(t, { 'docker/Dockerfile.prod': 'FROM x\n' });
    symlinkSync('docker/Dockerfile.prod', join(root, 'Dockerfile'));
    t.equal((await packContext(root).prepare()).dockerfile, 'docker/Dockerfile.prod');
  });
  await t.test('missing', async (t) => {
    const root = makeTree(t, { 'x': 'x' });
    await t.rejects(packContext(root).prepare(), { name: 'DockerArgumentError', message: /cannot find the Dockerfile Dockerfile/ });
    await t.rejects(packContext(root, { dockerfile: 'nope/Dockerfile' }).prepare(), { message: /cannot find the Dockerfile nope\/Dockerfile/ });
  });
  await t.test('a directory is not a Dockerfile', async (t) => {
    await t.rejects(packContext(makeTree(t, { 'Dockerfile/': '' })).prepare(), { name: 'DockerArgumentError', message: /is not a file/ });
  });
  await t.test('both a path and content', async (t) => {
    await t.rejects(packContext(makeTree(t, { 'x': 'x' }), { dockerfile: 'D', dockerfileContent: 'FROM x' }).prepare(), DockerArgumentError);
  });
});

t.test('a Dockerfile outside the context is added under a generated name, as the CLI does', async (t) => {
  const outside = makeTree(t, { 'Dockerfile.other': 'FROM outside\n' });
  const root = makeTree(t, { '.dockerignore': '*.tmp\n', 'a': 'a', 'b.tmp': 'b' });
  const stream = packContext(root, { dockerfile: join(outside, 'Dockerfile.other') });
  const { dockerfile } = await stream.prepare();
  t.match(dockerfile, /^\.dockerfile\.[0-9a-f]{20}$/);
  const entries = await readTar(stream);
  t.same(names(entries), [dockerfile, '.dockerignore', 'a'], 'added in sorted place, .tmp still excluded');
  const by = new Map(entries.map((e) => [e.name, e]));
  t.equal(by.get(dockerfile)?.content.toString(), 'FROM outside\n');
  t.equal(by.get(dockerfile)?.mode, 0o600);
  t.equal(by.get('.dockerignore')?.content.toString(), `*.tmp\n\n${dockerfile}\n`, 'the name is appended to .dockerignore');
  const again = await packContext(root, { dockerfile: join(outside, 'Dockerfile.other') }).prepare();
  t.equal(again.dockerfile, dockerfile, 'the name derives from the content: packs stay reproducible');
});

t.test('dockerfileContent with a directory; a .dockerignore is created when there is none', async (t) => {
  const root = makeTree(t, { 'a': 'a' });
  const stream = packContext(root, { dockerfileContent: 'FROM inline\n', mtime: 0 });
  const { dockerfile } = await stream.prepare();
  const entries = await readTar(stream);
  t.same(names(entries), [dockerfile, '.dockerignore', 'a']);
  t.equal(entries[1]?.content.toString(), `.dockerignore\n${dockerfile}\n`);
  t.equal(entries[0]?.content.toString(), 'FROM inline\n');
});

t.test('dockerfileContext: a context holding only the Dockerfile', async (t) => {
  const stream = dockerfileContext('FROM busybox:test\nRUN true\n');
  t.same(await stream.prepare(), { dockerfile: 'Dockerfile', files: 1, directories: 0, bytes: 27 });
  const entries = await readTar(stream);
  t.equal(entries.length, 1);
  t.match(entries[0], { name: 'Dockerfile', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 0 });
  t.equal(entries[0]?.content.toString(), 'FROM busybox:test\nRUN true\n');
  t.equal(sha256(await collect(dockerfileContext('FROM x'))), sha256(await collect(dockerfileContext(Buffer.from('FROM x')))), 'deterministic');
});

t.test('gzip: the same archive, compressed', async (t) => {
  const root = makeTree(t, { 'Dockerfile': 'FROM x\n', 'a/b': 'b'.repeat(100_000) });
  const plain = await collect(packContext(root, { mtime: 0 }));
  const gz = await collect(packContext(root, { mtime: 0, gzip: true }));
  t.equal(gz[0], 0x1f, 'gzip magic');
  t.equal(gz[1], 0x8b, 'gzip magic');
  t.ok(gunzipSync(gz).equals(plain), 'decompresses to the plain archive');
  t.ok(gz.length < plain.length / 10, 'compressed');
});

t.test('progress ends at the totals prepare() announced', async (t) => {
  const root = makeTree(t, { 'Dockerfile': 'FROM x\n', 'a/b': 'bb', 'big': Buffer.alloc(SMALL_FILE_BYTES * 2 + 1) });
  symlinkSync('big', join(root, 'l'));
  const seen: BuildContextProgress[] = [];
  const stream = packContext(root, { onProgress: (p) => seen.push(p) });
  const summary = await stream.prepare();
  t.same(summary, { dockerfile: 'Dockerfile', files: 4, directories: 1, bytes: 7 + 2 + SMALL_FILE_BYTES * 2 + 1 });
  await collect(stream);
  t.same(seen.at(-1), { files: summary.files + summary.directories, bytes: summary.bytes });
  t.ok(seen.every((p, i) => i === 0 || (p.bytes >= (seen[i - 1] as BuildContextProgress).bytes)), 'monotonic');
  t.ok(seen.length > 5, 'reported during the large file too');
});

t.test('a file that shrinks while it is packed fails the stream, naming it', async (t) => {
  const root = makeTree(t, { 'Dockerfile': 'FROM x\n', 'f': 'ffff' });
  let packing = false;
  const fs: ContextFileSystem = {
    ...nodeContextFs,
    fstat: (fd) => {
      const st = nodeContextFs.fstat(fd);
      return packing && st.size === 4 ? Object.assign(Object.create(st) as typeof st, { size: 10 }) : st;
    },
  };
  const stream = packContext(root, { fs });
  await stream.prepare();
  packing = true;
  await t.rejects(collect(stream), { name: 'DockerArgumentError', message: /"f" in the build context .* got shorter/ });
});

t.test('names longer than 100 bytes and non-ASCII names survive', async (t) => {
  const long = `${'d'.repeat(80)}/${'f'.repeat(120)}.txt`;
  const root = makeTree(t, { 'Dockerfile': 'x', [long]: 'long', 'caf\u00e9/\u{1F600}.txt': 'emoji' });
  const got = names(await readTar(packContext(root)));
  t.same(got, ['Dockerfile', 'caf\u00e9/', 'caf\u00e9/\u{1F600}.txt', `${'d'.repeat(80)}/`, long]);
});

t.test('bad arguments and bad contexts', async (t) => {
  t.throws(() => packContext(''), DockerArgumentError, 'empty path, synchronously');
  await t.rejects(packContext('/tmp/berth-no-such-context').prepare(), { name: 'DockerArgumentError', message: /does not exist/ });
  const root = makeTree(t, { 'file': 'x', 'Dockerfile': 'x', '.dockerignore': 'ok\n[broken\n' });
  await t.rejects(packContext(join(root, 'file')).prepare(), { message: /is not a directory/ });
  await t.rejects(packContext(root).prepare(), { name: 'DockerArgumentError', message: /^\.dockerignore line 2: syntax error in pattern/ });
});

t.test('abort', async (t) => {
  const root = makeTree(t, { 'Dockerfile': 'x', 'big': Buffer.alloc(8 << 20) });
  await t.test('an aborted signal fails prepare() and the first read', async (t) => {
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    const stream = packContext(root, { signal: ac.signal });
    await t.rejects(stream.prepare(), DockerAbortError);
    await t.rejects(collect(stream), { name: 'DockerAbortError', message: /operation aborted: stop/ });
  });
  await t.test('aborting mid-stream destroys the stream with DockerAbortError', async (t) => {
    const ac = new AbortController();
    const stream = packContext(root, { signal: ac.signal });
    let received = 0;
    const err = await new Promise<unknown>((resolve) => {
      stream.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > 1 << 20) ac.abort('enough');
      });
      stream.on('error', resolve);
      stream.on('end', () => resolve(undefined));
    });
    t.type(err, DockerAbortError);
    t.equal((err as DockerAbortError).reason, 'enough');
    t.ok(stream.destroyed);
    t.ok(received < 8 << 20, 'stopped before the end');
  });
});

t.test('backpressure: the pack does not run ahead of a paused consumer', async (t) => {
  const files: Record<string, Spec> = { 'Dockerfile': 'x', 'big': Buffer.alloc(32 << 20, 1) };
  for (let i = 0; i < 2000; i++) files[`small/${String(i).padStart(4, '0')}`] = Buffer.alloc(4096, i & 0xff);
  const root = makeTree(t, files);
  let opened = 0;
  let readBytes = 0;
  // Reads complete at once (no thread pool), so the producer's progress depends only on event-loop turns.
  const fs: ContextFileSystem = {
    ...nodeContextFs,
    open: (path) => { opened++; return nodeContextFs.open(path); },
    read: async (fd, buffer, offset, length, position) => {
      const n = nodeContextFs.readSync(fd, buffer, offset, length, position);
      readBytes += n;
      return n;
    },
  };
  /** Lets the producer run until it has made no progress for 20 turns of the event loop. */
  const settle = async (): Promise<void> => {
    let last = -1;
    for (let turns = 0, stable = 0; stable < 20 && turns < 100_000; turns++) {
      await tick();
      const now = readBytes + opened;
      stable = now === last ? stable + 1 : 0;
      last = now;
    }
  };
  const stream = packContext(root, { fs });
  await stream.prepare();
  opened = 0;
  let total = 0;
  let pauseAt = 1;
  let reached = (): void => undefined;
  const pausedAt = (bytes: number): Promise<void> => {
    pauseAt = bytes;
    return new Promise((resolve) => { reached = resolve; });
  };
  let paused = pausedAt(1);
  stream.on('data', (chunk: Buffer) => {
    total += chunk.length;
    if (total >= pauseAt) {
      pauseAt = Infinity;
      stream.pause();
      reached();
    }
  });
  await paused;
  await settle();
  t.ok(readBytes <= 4 << 20, `at most a few MiB of the large file read ahead (${readBytes})`);
  t.equal(opened, 2, 'the walk waits inside the large file (opened after the Dockerfile)');
  paused = pausedAt(33 << 20); // past the large file: now the small files must wait too
  stream.resume();
  await paused;
  await settle();
  t.ok(opened < 600, `few of the 2000 small files opened ahead of the consumer (${opened})`);
  const ended = new Promise((resolve) => stream.once('end', resolve));
  stream.resume();
  await ended;
  t.equal(opened, 2002, 'all files packed in the end');
});
