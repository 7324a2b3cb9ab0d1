import { ConflictError, NotFoundError, type Docker } from '../../src/index.js';
import { failure, scenario, type Scenario } from './scenario.js';

async function cleanImages(docker: Docker): Promise<void> {
  await docker.containers.remove('berth-rec-img-user', { force: true }).catch(() => undefined);
  for (const tag of ['berth-rec-img:tagged', 'berth-rec-img:second', 'localhost:5000/berth-rec-img:reg']) {
    await docker.images.remove(tag).catch(() => undefined);
  }
}

/** The existence check, list, tag, history and remove, with the reference forms that trip up string matching. */
export const imagesBasic = scenario({
  name: 'images-basic',
  description: 'inspect/exists (plain, docker.io/library/ and ID forms, missing), list by reference, tag, history, remove, 404 and 409',
  setup: cleanImages,
  cleanup: cleanImages,
  async run(docker, ctx) {
    const inspect = await docker.images.inspect(ctx.image);
    const byId = await docker.images.exists(inspect.Id);
    const qualified = await docker.images.exists(`docker.io/library/${ctx.image}`);
    const missing = await docker.images.exists('berth-no-such-image:1');
    await docker.images.tag(ctx.image, 'berth-rec-img:tagged');
    await docker.images.tag(ctx.image, 'localhost:5000/berth-rec-img:reg');
    const listed = await docker.images.list({ filters: { reference: ['berth-rec-img'] } });
    const history = await docker.images.history('berth-rec-img:tagged');
    const { Id } = await docker.containers.create({ Image: 'berth-rec-img:tagged', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } }, { name: 'berth-rec-img-user' });
    const untagged = await docker.images.remove('berth-rec-img:tagged');
    await docker.images.tag(ctx.image, 'berth-rec-img:second');
    const multiTagged = await failure(() => docker.images.remove(inspect.Id));
    await docker.containers.remove(Id);
    const removeMissing = await failure(() => docker.images.remove('berth-no-such-image:1'));
    const inspectMissing = await failure(() => docker.images.inspect('berth-no-such-image:1'));
    await docker.images.remove('berth-rec-img:second');
    await docker.images.remove('localhost:5000/berth-rec-img:reg');
    return { inspect, byId, qualified, missing, listed, history, untagged, multiTagged, removeMissing, inspectMissing };
  },
  check(t, r, ctx) {
    t.match(r.inspect.Id, /^sha256:[0-9a-f]{64}$/);
    t.ok(r.byId, 'exists by image ID');
    t.ok(r.qualified, 'exists by docker.io/library/ name');
    t.notOk(r.missing, 'a missing image: false, not an error');
    const tags = r.listed.flatMap((i) => i.RepoTags ?? []);
    t.ok(tags.some((tag) => tag.endsWith('berth-rec-img:tagged')), `list by reference finds the tag (${tags.join(', ')})`);
    if (ctx.engine.startsWith('podman')) t.ok(tags.includes('docker.io/library/berth-rec-img:tagged'), 'podman lists fully qualified tags');
    else t.ok(tags.includes('berth-rec-img:tagged'), 'dockerd lists short tags');
    t.ok(r.history.length >= 1, 'history has layers');
    t.ok(r.untagged.some((x) => x.Untagged !== undefined), 'removing a tag untags');
    t.type(r.multiTagged, ConflictError, 'removing by ID an image with several tags needs force: a conflict');
    t.equal((r.multiTagged as ConflictError).statusCode, ctx.engine.startsWith('podman') ? 500 : 409);
    t.type(r.removeMissing, NotFoundError);
    t.type(r.inspectMissing, NotFoundError);
  },
});

export const scenarios: Scenario[] = [imagesBasic];
