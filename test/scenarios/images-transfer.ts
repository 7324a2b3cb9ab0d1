import {
  DockerArgumentError, DockerStreamError, NotFoundError, ServerError, type Docker, type ProgressMessage,
} from '../../src/index.js';
import { tarOf } from '../helpers/tar.js';
import { failure, scenario, type Scenario } from './scenario.js';

/** Pull failures without a network, and import → save → load of a tiny image. */

async function removeImages(docker: Docker, ...names: string[]): Promise<void> {
  for (const name of names) await docker.images.remove(name, { force: true }).catch(() => undefined);
}

/** Pulling from Docker Hub with no network: dockerd refuses before streaming, podman streams the error. */
export const pullErrors = scenario({
  name: 'images-pull-errors',
  description: 'POST /images/create?fromImage=berth-no-such-image&tag=latest with no network; arguments refused before sending',
  async run(docker) {
    const messages: ProgressMessage[] = [];
    const hub = await failure(async () => {
      for await (const m of docker.images.pull('berth-no-such-image')) messages.push(m);
    });
    const awaited = await failure(async () => docker.images.pull('berth-no-such-image', { tag: 'v1', auth: false }));
    const twoTags = await failure(async () => docker.images.pull('alpine:3', { tag: 'edge' }));
    const badRef = await failure(async () => docker.images.pull('Not/A Reference'));
    return { hub, messages, awaited, twoTags, badRef };
  },
  check(t, r, ctx) {
    for (const [what, err] of [['iterated', r.hub], ['awaited', r.awaited]] as const) {
      if (ctx.engine.startsWith('podman')) {
        t.type(err, DockerStreamError, `${what}: podman answers 200 and reports the failure in-band`);
        t.match((err as DockerStreamError).engineMessage, /registry-1\.docker\.io/);
      } else {
        t.type(err, ServerError, `${what}: dockerd answers 500 before any progress`);
        t.equal((err as ServerError).statusCode, 500);
        t.match((err as ServerError).engineMessage, /registry-1\.docker\.io/);
      }
    }
    t.same(r.messages, [], 'no progress before the failure');
    t.type(r.twoTags, DockerArgumentError, 'a tag option for a reference that has one is refused');
    t.type(r.badRef, DockerArgumentError, 'a malformed reference is refused');
  },
});

/** `docker import` of a one-file root filesystem, `docker save` of it, and `docker load` of that. */
export const importLoad = scenario({
  name: 'images-import-load',
  description: 'POST /images/create?fromSrc=- with repo=name:tag, changes and message; GET /images/{name}/get; POST /images/load',
  setup: (docker) => removeImages(docker, 'berth-rec-import:one'),
  cleanup: (docker) => removeImages(docker, 'berth-rec-import:one'),
  async run(docker) {
    const rootfs = await tarOf({ 'hello.txt': 'hello from an imported image\n' });
    const imported = await docker.images.import(rootfs, {
      repo: 'berth-rec-import:one', changes: ['CMD ["/hello.txt"]', 'ENV GREETING=hi'], message: 'made by berth',
    });
    const inspect = await docker.images.inspect('berth-rec-import:one');
    const chunks: Buffer[] = [];
    for await (const c of await docker.images.save('berth-rec-import:one') as AsyncIterable<Buffer>) chunks.push(c);
    const saved = Buffer.concat(chunks);
    await docker.images.remove('berth-rec-import:one');
    const gone = await docker.images.exists('berth-rec-import:one');
    const load = docker.images.load(saved);
    const messages: ProgressMessage[] = [];
    for await (const m of load) messages.push(m);
    const loaded = await load;
    const back = await docker.images.inspect('berth-rec-import:one');
    const notTar = await failure(async () => docker.images.import('not a tar' as unknown as Buffer));
    await docker.images.remove('berth-rec-import:one');
    const missingSave = await failure(async () => {
      for await (const c of await docker.images.save('berth-no-such-image:1') as AsyncIterable<Buffer>) void c;
    });
    return { imported, inspect, savedBytes: saved.length, gone, messages, loaded, back, notTar, missingSave };
  },
  check(t, r, ctx) {
    t.match(r.imported.id, /^sha256:[0-9a-f]{64}$/, 'the import answers the new image id');
    t.equal(r.inspect.Id, r.imported.id);
    const tag = ctx.engine.startsWith('podman') ? 'docker.io/library/berth-rec-import:one' : 'berth-rec-import:one';
    t.same(r.inspect.RepoTags, [tag], 'repo=name:tag names it on both engines');
    t.same(r.inspect.Config?.Cmd, ['/hello.txt'], 'the CMD change');
    t.ok(r.inspect.Config?.Env?.includes('GREETING=hi'), 'the ENV change');
    t.equal(r.inspect.Comment, 'made by berth', 'the message');
    t.ok(r.savedBytes > 1024 && r.savedBytes < 64 * 1024, `a small saved archive (${r.savedBytes} bytes)`);
    t.equal(r.gone, false);
    t.ok(r.messages.some((m) => /Loaded image/.test(m.stream ?? '')), 'the load reports what it loaded');
    t.same(r.loaded.images, [tag], 'the result lists the loaded tag');
    t.equal(r.back.Id, r.imported.id, 'the same image came back');
    t.type(r.notTar, DockerArgumentError, 'an archive that is not bytes is refused before sending');
    t.type(r.missingSave, NotFoundError, 'saving a missing image is a 404');
  },
});

export const scenarios: Scenario[] = [pullErrors, importLoad];
