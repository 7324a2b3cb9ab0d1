import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { BadRequestError, DockerAbortError, DockerArgumentError, ServerError, type BuildEvent } from '../../src/index.js';
import { fakeBuildEngine, line, readAll, refuse, startStream } from '../helpers/build-engine.js';
import { shortTempDir } from '../helpers/tmp.js';

/**
 * The upload side of a build: an engine that refuses while the context is
 * still uploading (the HTTP error wins over the broken pipe), the signal
 * stopping the upload and the response, and leaving the iteration early.
 * Contexts are produced lazily, so "stopped early" is measured in what the
 * producer was asked for.
 */

const MiB = 1 << 20;

/** A lazy tar-sized stream of `total` bytes; `produced` says how much was pulled from it. */
function lazyContext(total: number): { stream: Readable; produced: () => number } {
  let produced = 0;
  const chunk = Buffer.alloc(256 << 10, 0x61);
  const stream = new Readable({
    read() {
      if (produced >= total) { this.push(null); return; }
      produced += chunk.length;
      this.push(chunk);
    },
  });
  return { stream, produced: () => produced };
}

t.test('refused before the body is read: the HTTP error, not the broken upload', async (t) => {
  for (const [status, type] of [[400, BadRequestError], [500, ServerError]] as const) {
    await t.test(`${status} from a tar stream`, async (t) => {
      const engine = await fakeBuildEngine(t, (_req, res) => refuse(res, status, 'invalid reference format'));
      const { stream, produced } = lazyContext(1 << 30);
      const err = await engine.docker.images.build({ context: stream, tag: 'x' }).done().catch((e: unknown) => e);
      t.type(err, type, `a ${type.name}`);
      t.equal((err as BadRequestError).engineMessage, 'invalid reference format');
      t.ok(stream.destroyed, 'the context stream was destroyed');
      t.ok(produced() < 64 * MiB, `the upload stopped early (${(produced() / MiB).toFixed(1)} MiB of 1024 produced)`);
    });
  }
  await t.test('from a directory being packed', async (t) => {
    const engine = await fakeBuildEngine(t, (_req, res) => refuse(res, 500, 'Cannot locate specified Dockerfile: Dockerfile'));
    const dir = shortTempDir(t, 'bbu');
    writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox:test\n');
    const big = Buffer.alloc(4 * MiB, 0x62);
    for (let i = 0; i < 12; i++) writeFileSync(join(dir, `f${i}.bin`), big);
    const err = await engine.docker.images.build({ context: dir }).done().catch((e: unknown) => e);
    t.type(err, ServerError);
    t.equal((err as ServerError).engineMessage, 'Cannot locate specified Dockerfile: Dockerfile');
  });
  await t.test('after reading part of the body', async (t) => {
    const engine = await fakeBuildEngine(t, async (req, res, seen) => {
      for await (const chunk of req as AsyncIterable<Buffer>) {
        seen.bytes += chunk.length;
        if (seen.bytes > 2 * MiB) break;
      }
      refuse(res, 500, 'unexpected EOF');
    });
    const { stream } = lazyContext(1 << 30);
    const err = await engine.docker.images.build({ context: stream }).done().catch((e: unknown) => e);
    t.type(err, ServerError);
    t.ok((await engine.request(0)).bytes > 2 * MiB, 'the engine had read some');
  });
});

t.test('a context stream that fails: its own error, not a connection error', async (t) => {
  const engine = await fakeBuildEngine(t, async (req, res, seen) => {
    await readAll(req, seen).catch(() => undefined);
    res.end();
  });
  let sent = 0;
  const stream = new Readable({
    read() {
      if (sent++ < 4) this.push(Buffer.alloc(64 << 10));
      else this.destroy(new Error('disk on fire'));
    },
  });
  const err = await engine.docker.images.build({ context: stream }).done().catch((e: unknown) => e);
  t.type(err, DockerArgumentError);
  t.match((err as Error).message, /the build context stream failed: disk on fire/);
});

t.test('the signal stops the upload', async (t) => {
  // reads the context (so that it notices the client leave, as an engine does) and never answers
  const engine = await fakeBuildEngine(t, (req, _res, seen) => { readAll(req, seen).catch(() => undefined); });
  const { stream, produced } = lazyContext(1 << 30);
  const controller = new AbortController();
  const build = engine.docker.images.build({ context: stream, signal: controller.signal });
  const seen = await engine.request(0);
  controller.abort(new Error('user pressed stop'));
  const err = await build.done().catch((e: unknown) => e);
  t.type(err, DockerAbortError);
  t.match((err as DockerAbortError).reason, { message: 'user pressed stop' });
  await seen.closed;
  t.ok(seen.clientClosed, 'the engine saw the client hang up');
  t.ok(stream.destroyed, 'the context stream was destroyed');
  const at = produced();
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(produced(), at, 'nothing more is produced');
});

t.test('the signal stops the response', async (t) => {
  const engine = await fakeBuildEngine(t, async (req, res, seen) => {
    await readAll(req, seen);
    startStream(res);
    res.write(line({ stream: 'Step 1/2 : RUN sleep 3600\n' }));
    // … and nothing more: a long step
  });
  const controller = new AbortController();
  const build = engine.docker.images.build({ dockerfileContent: 'FROM x\n', signal: controller.signal });
  const events: BuildEvent[] = [];
  const iterated = (async () => {
    for await (const e of build) {
      events.push(e);
      controller.abort();
    }
  })();
  await t.rejects(iterated, DockerAbortError, 'the loop ends with the abort');
  await t.rejects(build.done(), DockerAbortError, 'and so does the result');
  t.same(events.map((e) => e.type), ['step']);
  const seen = await engine.request(0);
  await seen.closed;
  t.ok(seen.clientClosed, 'the connection was closed: the engine cancels the build');
});

t.test('leaving the loop early cancels the build', async (t) => {
  const engine = await fakeBuildEngine(t, async (req, res, seen) => {
    await readAll(req, seen);
    startStream(res);
    res.write(line({ stream: 'Step 1/2 : FROM busybox:test\n' }) + line({ stream: 'Step 2/2 : RUN sleep 3600\n' }));
  });
  const build = engine.docker.images.build({ dockerfileContent: 'FROM x\n' });
  const result = build.done();
  for await (const e of build) {
    if (e.type === 'step' && e.step === 2) break;
  }
  const err = await result.catch((e: unknown) => e);
  t.type(err, DockerAbortError, 'the result rejects: the build did not finish');
  t.match((err as Error).message, /stopped early/);
  const seen = await engine.request(0);
  await seen.closed;
  t.ok(seen.clientClosed, 'the connection was closed');
});

t.test('a build nobody reads is cancelled by its signal too', async (t) => {
  const engine = await fakeBuildEngine(t, async (req, res, seen) => {
    await readAll(req, seen);
    startStream(res);
    res.write(line({ stream: 'Step 1/1 : RUN sleep 3600\n' }));
  });
  const controller = new AbortController();
  engine.docker.images.build({ dockerfileContent: 'FROM x\n', signal: controller.signal });
  const seen = await engine.request(0);
  controller.abort();
  await seen.closed;
  t.ok(seen.clientClosed);
});
