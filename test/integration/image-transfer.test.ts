import t from 'tap';
import { createReadStream, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { RecordingProxy } from '../../src/testing/index.js';
import { Docker } from '../../src/index.js';
import { API_ENGINES, dockerFor, engineOr, registriesOr } from '../helpers/engines.js';
import { shortTempDir } from '../helpers/tmp.js';
import { registryAuth } from '../scenarios/registry.js';

/**
 * What the recorded scenarios leave out: megabytes (a busybox save → load
 * round trip, and one engine's save streamed into another's load), and the
 * proof that registry credentials never reach a fixture.
 */

const TAG = 'berth-roundtrip:1';

t.test('save → load round trip of the busybox image', async (t) => {
  for (const name of API_ENGINES) {
    await t.test(name, async (t) => {
      const engine = engineOr(t, name);
      if (!engine) return;
      const docker = dockerFor(t, engine);
      const file = join(shortTempDir(t), 'image.tar');
      await docker.images.tag(engine.image, TAG);
      t.teardown(() => docker.images.remove(TAG).catch(() => undefined));
      await pipeline(await docker.images.save(TAG), createWriteStream(file));
      await docker.images.remove(TAG);
      t.equal(await docker.images.exists(TAG), false, 'the tag is gone');
      const loaded = await docker.images.load(createReadStream(file));
      t.same(loaded.images, [name.startsWith('podman') ? `docker.io/library/${TAG}` : TAG], 'the load names the tag');
      t.equal((await docker.images.inspect(TAG)).Id, engine.imageId, 'the same image came back');
    });
  }
});

t.test('one engine\'s save streamed into another\'s load', async (t) => {
  const from = engineOr(t, 'dockerd-28.5');
  const to = engineOr(t, 'podman-4.3');
  if (!from || !to) return;
  const source = dockerFor(t, from);
  const target = dockerFor(t, to);
  await source.images.tag(from.image, 'berth-moved:1');
  t.teardown(() => source.images.remove('berth-moved:1').catch(() => undefined));
  t.teardown(() => target.images.remove('berth-moved:1').catch(() => undefined));
  const progress: string[] = [];
  const loaded = await target.images.load(await source.images.save('berth-moved:1'), { onProgress: (m) => progress.push(m.stream ?? m.status ?? '') });
  t.same(loaded.images, ['docker.io/library/berth-moved:1']);
  t.ok(progress.length > 0, 'progress was reported');
  const { Id } = await target.containers.create({ Image: 'berth-moved:1', Cmd: ['echo', 'moved'], HostConfig: { NetworkMode: 'none' } });
  t.teardown(() => target.containers.remove(Id, { force: true }).catch(() => undefined));
  await target.containers.start(Id);
  await target.containers.wait(Id);
  t.equal((await target.containers.logsBuffer(Id)).stdout.toString(), 'moved\n', 'and it runs there');
});

t.test('registry credentials never reach a recorded fixture', async (t) => {
  const registries = registriesOr(t);
  if (!registries) return;
  for (const name of ['dockerd-28.5', 'podman-4.3'] as const) {
    await t.test(name, async (t) => {
      const engine = engineOr(t, name);
      if (!engine) return;
      const dir = shortTempDir(t);
      // the password is not registered with the proxy: scrubbing must not depend on being told
      const proxy = await RecordingProxy.start({ target: engine.socket, listen: { socketPath: join(dir, 'proxy.sock') } });
      t.teardown(() => proxy.close());
      const direct = dockerFor(t, engine);
      const docker = new Docker({ host: proxy.url, env: {} });
      t.teardown(() => docker.close());
      // a namespace of its own: the registry scenarios may run on the same engines at the same time
      const ctx = { engine: name, image: engine.image, tmp: dir, secret: () => undefined, registries: { ...registries, namespace: 'berth-secrets' } };
      await registryAuth.setup?.(direct, ctx);
      try {
        const result = await registryAuth.run(docker, ctx);
        t.same(result.leaks, [], 'no error shows the password');
      } finally {
        await registryAuth.cleanup?.(direct, ctx);
      }
      await docker.close();
      const text = JSON.stringify(proxy.fixture());
      const { password, user } = registries;
      for (const form of [password, Buffer.from(password).toString('base64'), Buffer.from(`${user}:${password}`).toString('base64')]) {
        t.notOk(text.includes(form), 'the password is nowhere in the fixture, plain or encoded');
      }
      const headers = proxy.fixture().exchanges.map((e) => e.request.headers?.['x-registry-auth']).filter((h) => h !== undefined);
      t.ok(headers.length >= 4, 'the pulls and pushes sent X-Registry-Auth');
      t.ok(headers.every((h) => h === '<redacted>'), 'recorded as <redacted>');
    });
  }
});
