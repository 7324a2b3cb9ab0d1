import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import {
  Docker, DockerStreamError, NotFoundError, ServerError, UnauthorizedError, type ProgressMessage,
} from '../../src/index.js';
import type { TestRegistries } from '../helpers/engines.js';
import { failure, scenario, type Scenario, type ScenarioContext } from './scenario.js';

/**
 * Push and pull against the private registries of `scripts/test-engines.sh`
 * (distribution 2.8 on 127.0.0.1): by tag, by digest, anonymously, with
 * credentials from a docker config file, with explicit credentials, and
 * with a wrong password.
 */

function registries(ctx: ScenarioContext): TestRegistries {
  if (!ctx.registries) throw new Error('this scenario needs the test registries');
  return ctx.registries;
}

async function removeImages(docker: Docker, ...names: string[]): Promise<void> {
  for (const name of names) await docker.images.remove(name, { force: true }).catch(() => undefined);
}

/** Everything an error shows when printed, logged or serialised. */
function everyRendering(err: Error): string {
  return [String(err), err.stack ?? '', inspect(err, { depth: 5 }), JSON.stringify(err), JSON.stringify(Object.entries(err))].join('\n');
}

/** The repository pushed to on a registry host. */
const repository = (host: string, r: TestRegistries): string => `${host}/${r.namespace ?? 'berth'}/busybox`;
const OPEN_TAGS = (r: TestRegistries): string[] => [`${repository(r.open, r)}:test`];
const AUTH_TAGS = (r: TestRegistries): string[] => [`${repository(r.auth, r)}:test`];

/** Push a tag, remove it, pull it back by tag and by digest; a missing tag. */
export const registryPushPull = scenario({
  name: 'registry-push-pull',
  description: 'POST /images/{name}/push to an open registry, then POST /images/create by tag and by digest, and a tag it does not have',
  needs: ['registry'],
  setup: (docker, ctx) => removeImages(docker, ...OPEN_TAGS(registries(ctx))),
  cleanup: (docker, ctx) => removeImages(docker, ...OPEN_TAGS(registries(ctx))),
  async run(docker, ctx) {
    const repo = repository(registries(ctx).open, registries(ctx));
    await docker.images.tag(ctx.image, `${repo}:test`);
    const push = docker.images.push(`${repo}:test`);
    const pushMessages: ProgressMessage[] = [];
    for await (const m of push) pushMessages.push(m);
    const pushed = await push;
    await docker.images.remove(`${repo}:test`);
    const progress: ProgressMessage[] = [];
    const pulled = await docker.images.pull(`${repo}:test`, { onProgress: (m) => progress.push(m) });
    const pulledImage = await docker.images.inspect(`${repo}:test`);
    await docker.images.remove(`${repo}:test`);
    const byDigest = await docker.images.pull(`${repo}@${pushed.digest ?? 'missing'}`);
    const digestImage = await docker.images.inspect(`${repo}@${pushed.digest ?? 'missing'}`);
    const missingTag = await failure(async () => docker.images.pull(repo, { tag: 'no-such-tag' }));
    return { pushed, pushMessages, pulled, progress, pulledImage, byDigest, digestImage, missingTag, repo };
  },
  check(t, r, ctx) {
    t.match(r.pushed.digest, /^sha256:[0-9a-f]{64}$/, 'the push says which digest the registry serves');
    t.equal(r.pushed.tag, 'test');
    t.equal(r.pushed.image, `${r.repo}:test`);
    t.ok((r.pushed.size ?? 0) > 0, 'and the manifest size');
    t.ok(r.pushMessages.length > 0, 'the push streamed progress');
    t.equal(r.pulled.image, `${r.repo}:test`);
    t.ok(r.progress.length > 0, 'onProgress saw the pull');
    const podman = ctx.engine.startsWith('podman');
    if (podman) {
      t.equal(r.pulled.digest, undefined, 'podman names no digest when pulling by tag');
    } else {
      t.equal(r.pulled.digest, r.pushed.digest, 'dockerd names the digest it pulled');
      t.match(r.pulled.status, /^Downloaded newer image for /);
    }
    t.ok((r.pulledImage.RepoDigests ?? []).some((d) => d.endsWith(`@${r.pushed.digest ?? ''}`)), 'the pulled image carries the pushed digest');
    t.equal(r.byDigest.digest, r.pushed.digest, 'pull by digest');
    t.equal(r.byDigest.image, `${r.repo}@${r.pushed.digest ?? ''}`);
    t.equal(r.digestImage.Id, r.pulledImage.Id, 'the same image by digest');
    if (podman) t.type(r.missingTag, DockerStreamError, 'podman reports a missing tag in-band');
    else t.type(r.missingTag, NotFoundError, 'dockerd answers 404 for a missing tag');
  },
});

/** Credentials: from a docker config file, explicit, none, wrong. */
export const registryAuth = scenario({
  name: 'registry-auth',
  description: 'push and pull with basic auth: credentials from DOCKER_CONFIG/config.json and explicit; anonymous and wrong-password failures',
  needs: ['registry'],
  setup: (docker, ctx) => removeImages(docker, ...AUTH_TAGS(registries(ctx))),
  cleanup: (docker, ctx) => removeImages(docker, ...AUTH_TAGS(registries(ctx))),
  async run(docker, ctx) {
    const reg = registries(ctx);
    ctx.secret(reg.password);
    const repo = repository(reg.auth, reg);
    const config = mkdtempSync('/tmp/berth-cfg-');
    try {
      writeFileSync(join(config, 'config.json'), JSON.stringify({
        auths: { [reg.auth]: { auth: Buffer.from(`${reg.user}:${reg.password}`).toString('base64') } },
      }));
      // a client of the same engine whose docker config has the registry's credentials
      const configured = new Docker({ host: docker.endpoint.url, env: { DOCKER_CONFIG: config } });
      try {
        await docker.images.tag(ctx.image, `${repo}:test`);
        const pushed = await configured.images.push(`${repo}:test`);
        await docker.images.remove(`${repo}:test`);
        const pulled = await configured.images.pull(`${repo}:test`);
        await docker.images.remove(`${repo}:test`);
        const anonymous = await failure(async () => docker.images.pull(`${repo}:test`, { auth: false }));
        const wrong = { username: reg.user, password: `${reg.password}-wrong`, serveraddress: reg.auth };
        const wrongPull = await failure(async () => docker.images.pull(`${repo}:test`, { auth: wrong }));
        const explicit = await docker.images.pull(`${repo}:test`, { auth: { username: reg.user, password: reg.password, serveraddress: reg.auth } });
        const wrongPush = await failure(async () => docker.images.push(`${repo}:test`, { auth: wrong }));
        const leaks = [anonymous, wrongPull, wrongPush].filter((e) => everyRendering(e).includes(reg.password)).map(String);
        return { pushed, pulled, anonymous, wrongPull, explicit, wrongPush, leaks };
      } finally {
        await configured.close();
      }
    } finally {
      rmSync(config, { recursive: true, force: true });
    }
  },
  check(t, r, ctx) {
    t.match(r.pushed.digest, /^sha256:/, 'pushed with the credentials of config.json');
    t.match(r.pulled.image, /\/busybox:test$/, 'pulled with them');
    t.equal(r.explicit.image, r.pulled.image, 'pulled with explicit credentials');
    const podman = ctx.engine.startsWith('podman');
    if (podman) {
      t.type(r.anonymous, DockerStreamError, 'podman: an anonymous pull fails in-band');
      t.type(r.wrongPull, DockerStreamError, 'podman: a wrong password fails in-band');
      t.match((r.wrongPull as DockerStreamError).engineMessage, /unauthorized/);
    } else {
      t.type(r.anonymous, ServerError, 'dockerd: an anonymous pull is a 500 before streaming');
      t.match((r.anonymous as ServerError).engineMessage, /no basic auth credentials/);
      // dockerd 28 maps the registry's "unauthorized" to 401; 20.10 and 26.1 answer 500
      if (ctx.engine === 'dockerd-28.5') t.type(r.wrongPull, UnauthorizedError, 'dockerd 28: a wrong password is a 401');
      else t.type(r.wrongPull, ServerError, 'dockerd 20.10/26.1: a wrong password is a 500');
      t.match((r.wrongPull as ServerError).engineMessage, /unauthorized: authentication required/);
    }
    t.type(r.wrongPush, DockerStreamError, 'a push with a wrong password fails in-band on every engine');
    t.match((r.wrongPush as DockerStreamError).engineMessage, /unauthorized/);
    t.same(r.leaks, [], 'no error shows the password, however it is printed');
  },
});

export const scenarios: Scenario[] = [registryPushPull, registryAuth];
