import t from 'tap';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { packContext } from '../../src/index.js';
import { fakeBuildEngine, line, startStream } from '../helpers/build-engine.js';
import { collect, readTar } from '../helpers/tar.js';
import { shortTempDir } from '../helpers/tmp.js';

/**
 * A directory build's upload writes the archive through a few blocks that
 * are filled again and again. A block filled while the connection still
 * held it would change bytes already "sent" without any error, so an
 * engine that reads slowly receives the context here, and what it got must
 * be exactly the archive, every file's content intact.
 */

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Content that differs from every other file's at every offset: the file's number mixed into each byte. */
function content(n: number, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = (n + 1) * 2654435761;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = (x >>> 16) & 0xff;
  }
  return b;
}

/** Large files (read in pieces), files of a few blocks' share (read whole) and tiny ones, all distinct. */
function makeContext(): { dir: string; files: Map<string, Buffer> } {
  const dir = shortTempDir(t, 'bupi');
  const files = new Map<string, Buffer>();
  writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n');
  files.set('Dockerfile', Buffer.from('FROM scratch\n'));
  mkdirSync(join(dir, 'large'));
  mkdirSync(join(dir, 'medium'));
  mkdirSync(join(dir, 'tiny'));
  let n = 0;
  const add = (path: string, size: number): void => {
    const bytes = content(n++, size);
    writeFileSync(join(dir, path), bytes);
    files.set(path, bytes);
  };
  for (let i = 0; i < 12; i++) add(`large/${i}.bin`, (700 << 10) + i * 37);
  for (let i = 0; i < 24; i++) add(`medium/${i}.bin`, (200 << 10) + i * 511);
  for (let i = 0; i < 400; i++) add(`tiny/${i}.txt`, 1 + (i % 700));
  return { dir, files };
}

t.test('a slow engine receives the archive byte for byte', async (t) => {
  const { dir, files } = makeContext();
  const expected = await collect(packContext(dir));
  let received = Buffer.alloc(0);
  let reads = 0;
  const engine = await fakeBuildEngine(t, async (req, res) => {
    const chunks: Buffer[] = [];
    // a few event-loop turns per chunk: the client's writes pile up against a full socket
    for await (const chunk of req as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      reads++;
      for (let i = 0; i < 3; i++) await tick();
    }
    received = Buffer.concat(chunks);
    startStream(res);
    res.end(line({ aux: { ID: `sha256:${sha256(received)}` } }));
  });
  const built = await engine.docker.images.build({ context: dir });
  t.ok(reads > 20, `the engine read the body in many pieces (${reads})`);
  t.equal(received.length, expected.length, 'as many bytes as the archive');
  t.equal(sha256(received), sha256(expected), 'the same bytes as the archive read as a stream');
  t.equal(built.id, `sha256:${sha256(received)}`);
  const entries = await readTar(received);
  let checked = 0;
  for (const entry of entries) {
    if (entry.type !== 'file') continue;
    const want = files.get(entry.name);
    if (want === undefined) continue;
    if (!entry.content.equals(want)) t.fail(`${entry.name} arrived changed`);
    checked++;
  }
  t.equal(checked, files.size, 'every file arrived with its own content');
  t.same(readFileSync(join(dir, 'Dockerfile'), 'utf8'), 'FROM scratch\n');
});

t.test('two builds of one directory at once do not share blocks', async (t) => {
  const { dir } = makeContext();
  const expected = sha256(await collect(packContext(dir)));
  const engine = await fakeBuildEngine(t, async (req, res) => {
    const hash = createHash('sha256');
    for await (const chunk of req as AsyncIterable<Buffer>) {
      hash.update(chunk);
      await tick();
    }
    startStream(res);
    res.end(line({ aux: { ID: `sha256:${hash.digest('hex')}` } }));
  });
  const [a, b] = await Promise.all([engine.docker.images.build({ context: dir }), engine.docker.images.build({ context: dir })]);
  t.equal(a.id, `sha256:${expected}`);
  t.equal(b.id, `sha256:${expected}`);
});
