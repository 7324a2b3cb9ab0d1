import t, { type Test } from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { extract } from 'tar-stream';
import { Readable } from 'node:stream';
import {
  CredentialStore, DockerAbortError, DockerArgumentError, DockerProtocolError, DockerStreamError, RegistryAuth,
  packContext, processEnvironment, type BuildEvent, type Docker, type ImageBuildOptions,
} from '../../src/index.js';
import { fakeBuildEngine, line, readAll, startStream, type SeenBuild } from '../helpers/build-engine.js';
import { shortTempDir } from '../helpers/tmp.js';

/**
 * `docker.images.build()` against a scripted engine: the query and headers it
 * sends, the archive it uploads, the result from every way an engine reports
 * its image, and the rules of iterating and awaiting one build.
 */

const ID = 'sha256:af3c80b5c6eedbec0384b064c779227f7aac8daac32c0203a4c68ce2b19d3316';
const SUCCESS = [
  line({ stream: 'Step 1/1 : FROM busybox:test' }), line({ stream: '\n' }), line({ stream: ' ---> 52405e03b99b\n' }),
  line({ aux: { ID } }), line({ stream: 'Successfully built af3c80b5c6ee\n' }),
];

/** The names in a tar archive. */
async function tarNames(tar: Buffer): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, body, next) => {
      const chunks: Buffer[] = [];
      body.on('data', (c: unknown) => { chunks.push(c as Buffer); });
      body.on('end', () => { out.set(header.name, Buffer.concat(chunks).toString('utf8')); next(); });
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.end(tar);
  await done;
  return out;
}

/** An engine that reads the whole archive, keeps it, and answers a successful build. */
async function succeeding(t: Test, body: readonly string[] = SUCCESS): Promise<{ docker: Docker; seen: () => Promise<{ req: SeenBuild; tar: Buffer }> }> {
  let tar: Buffer = Buffer.alloc(0);
  const engine = await fakeBuildEngine(t, async (req, res, seen) => {
    tar = await readAll(req, seen, true);
    startStream(res);
    for (const l of body) res.write(l);
    res.end();
  });
  return { docker: engine.docker, seen: async () => { const req = await engine.request(0); await req.closed; return { req, tar }; } };
}

t.test('every option is mapped to its query parameter, and X-Registry-Config is always sent', async (t) => {
  const { docker, seen } = await succeeding(t);
  const result = await docker.images.build({
    dockerfileContent: 'FROM busybox:test\n', tag: ['a:1', 'registry.example.com:5000/team/b:2'],
    buildArgs: { A: 'x y', B: null }, target: 'first', labels: { 'l.one': 'v' }, pull: true, noCache: true,
    platform: 'linux/amd64', networkMode: 'none', extraHosts: ['db:10.0.0.2', 'v6:2001:db8::1'], shmSize: 67108864,
    cacheFrom: ['busybox:test'], rm: false, forceRm: true, logLines: 2,
  });
  const { req, tar } = await seen();
  t.equal(req.method, 'POST');
  t.equal(req.url.pathname, '/v1.41/build');
  const q = req.url.searchParams;
  t.same(q.getAll('t'), ['a:1', 'registry.example.com:5000/team/b:2'], 'one t per tag');
  t.same(JSON.parse(q.get('buildargs') ?? ''), { A: 'x y', B: null }, 'buildargs is JSON, null kept');
  t.same(JSON.parse(q.get('labels') ?? ''), { 'l.one': 'v' });
  t.same(JSON.parse(q.get('cachefrom') ?? ''), ['busybox:test'], 'cachefrom is a JSON array');
  t.same(q.getAll('extrahosts'), ['db:10.0.0.2', 'v6:2001:db8::1'], 'extrahosts repeat');
  t.same(Object.fromEntries([...q.entries()].filter(([k]) => !['t', 'buildargs', 'labels', 'cachefrom', 'extrahosts'].includes(k))), {
    dockerfile: 'Dockerfile', target: 'first', pull: '1', nocache: '1', platform: 'linux/amd64',
    networkmode: 'none', shmsize: '67108864', rm: '0', forcerm: '1', version: '1',
  }, 'the rest, and nothing else');
  t.equal(req.headers['content-type'], 'application/x-tar');
  t.equal(req.headers['x-registry-config'], 'e30=', 'an empty map, padded base64url, as the Go client sends');
  const names = await tarNames(tar);
  t.same([...names.keys()], ['Dockerfile'], 'a one-file context');
  t.equal(names.get('Dockerfile'), 'FROM busybox:test\n');
  t.same(result, { id: ID, tags: ['a:1', 'registry.example.com:5000/team/b:2'], log: [' ---> 52405e03b99b', 'Successfully built af3c80b5c6ee'] }, 'the log keeps logLines lines');
});

t.test('defaults: rm=1, version=1, nothing else but the Dockerfile name', async (t) => {
  const { docker, seen } = await succeeding(t);
  const dir = shortTempDir(t, 'bbd');
  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox:test\n');
  await docker.images.build({ context: dir });
  const { req } = await seen();
  t.same(Object.fromEntries(req.url.searchParams.entries()), { dockerfile: 'Dockerfile', rm: '1', version: '1' });
});

t.test('registry credentials: a map of AuthConfig and RegistryAuth, or a CredentialStore', async (t) => {
  const decode = (h: string | string[] | undefined): unknown => JSON.parse(Buffer.from(String(h).replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
  {
    const { docker, seen } = await succeeding(t);
    await docker.images.build({
      dockerfileContent: 'FROM x\n',
      auth: { 'https://index.docker.io/v1/': { username: 'u', password: 'p?>' }, 'reg.example.com': new RegistryAuth({ identitytoken: 'tok' }) },
    });
    const header = (await seen()).req.headers['x-registry-config'];
    t.notMatch(String(header), /[+/]/, 'base64url');
    t.equal(String(header).length % 4, 0, 'padded');
    t.same(decode(header), { 'https://index.docker.io/v1/': { username: 'u', password: 'p?>' }, 'reg.example.com': { identitytoken: 'tok' } });
  }
  {
    const config = shortTempDir(t, 'bbc');
    writeFileSync(join(config, 'config.json'), JSON.stringify({ auths: { 'reg.example.com:5000': { auth: Buffer.from('me:secret').toString('base64') } } }));
    const { docker, seen } = await succeeding(t);
    await docker.images.build({ dockerfileContent: 'FROM x\n', auth: new CredentialStore({ environment: processEnvironment({ DOCKER_CONFIG: config }) }) });
    t.same(decode((await seen()).req.headers['x-registry-config']), { 'reg.example.com:5000': { serveraddress: 'reg.example.com:5000', username: 'me', password: 'secret' } });
  }
});

t.test('a directory: .dockerignore applied, the Dockerfile found, the archive streamed', async (t) => {
  const { docker, seen } = await succeeding(t);
  const dir = shortTempDir(t, 'bbd');
  mkdirSync(join(dir, 'docker'));
  writeFileSync(join(dir, 'docker', 'app.Dockerfile'), 'FROM busybox:test\n');
  writeFileSync(join(dir, 'keep.txt'), 'keep');
  writeFileSync(join(dir, 'skip.log'), 'skip');
  writeFileSync(join(dir, '.dockerignore'), '*.log\ndocker\n');
  await docker.images.build({ context: dir, dockerfile: 'docker/app.Dockerfile' });
  const { req, tar } = await seen();
  t.equal(req.url.searchParams.get('dockerfile'), 'docker/app.Dockerfile');
  t.same([...(await tarNames(tar)).keys()].sort(), ['.dockerignore', 'docker/app.Dockerfile', 'keep.txt']);
});

t.test('a tar stream is sent as it is; a packed context gives its Dockerfile name', async (t) => {
  {
    const { docker, seen } = await succeeding(t);
    const bytes = Buffer.from('not even a tar: the engine decides');
    await docker.images.build({ context: Readable.from([bytes]), dockerfile: 'sub/Dockerfile' });
    const { req, tar } = await seen();
    t.equal(req.url.searchParams.get('dockerfile'), 'sub/Dockerfile');
    t.same(tar, bytes, 'byte for byte');
  }
  {
    const { docker, seen } = await succeeding(t);
    const dir = shortTempDir(t, 'bbd');
    writeFileSync(join(dir, 'dockerfile'), 'FROM busybox:test\n');
    await docker.images.build({ context: packContext(dir) });
    t.equal((await seen()).req.url.searchParams.get('dockerfile'), 'dockerfile', 'the lower-case fallback the packer found');
  }
});

t.test('the id: aux.ID, else Successfully built; a stream naming no image fails', async (t) => {
  {
    const { docker } = await succeeding(t, [line({ stream: 'STEP 1/1: FROM busybox:test\n' }), line({ stream: 'Successfully built 7c83af7ad78e\n' })]);
    t.equal((await docker.images.build({ dockerfileContent: 'FROM busybox:test\n' })).id, '7c83af7ad78e');
  }
  {
    const { docker } = await succeeding(t, [line({ stream: 'Step 1/1 : FROM busybox:test\n' })]);
    await t.rejects(docker.images.build({ dockerfileContent: 'FROM busybox:test\n' }).done(), DockerProtocolError);
  }
});

t.test('an in-band error rejects the iteration and the result alike', async (t) => {
  const { docker } = await succeeding(t, [
    line({ stream: 'Step 1/2 : RUN false\n' }), line({ stream: 'oops\n' }),
    line({ errorDetail: { code: 1, message: 'returned a non-zero code: 1' }, error: 'returned a non-zero code: 1' }),
  ]);
  const build = docker.images.build({ dockerfileContent: 'FROM busybox:test\nRUN false\n' });
  const result = build.done();
  const events: BuildEvent[] = [];
  const iterated = (async () => { for await (const e of build) events.push(e); })();
  await t.rejects(iterated, DockerStreamError, 'the loop throws');
  const err = await result.catch((e: unknown) => e);
  t.type(err, DockerStreamError, 'and the result rejects with the same error');
  t.equal((err as DockerStreamError).errorCode, 1);
  t.same((err as DockerStreamError).transcript, ['Step 1/2 : RUN false', 'oops']);
  t.same(events.map((e) => e.type), ['step', 'output'], 'done() taken first, iterator in the same tick: every event');
});

t.test('await alone reads the build; iterating after that, or twice, is refused', async (t) => {
  const { docker } = await succeeding(t);
  const progress: string[] = [];
  const build = docker.images.build({ dockerfileContent: 'FROM x\n', onProgress: (e) => progress.push(e.type) });
  t.equal((await build).id, ID);
  t.same(progress, ['step', 'output', 'image', 'output'], 'onProgress saw every event');
  t.throws(() => build[Symbol.asyncIterator](), DockerArgumentError, 'reading has begun');
  const again = (await succeeding(t)).docker.images.build({ dockerfileContent: 'FROM x\n' });
  const it = again[Symbol.asyncIterator]();
  t.throws(() => again[Symbol.asyncIterator](), /iterated once/);
  while ((await it.next()).done !== true) { /* drain */ }
  t.equal((await again).id, ID, 'awaiting after iterating gives the result');
});

t.test('onProgress throwing fails the build', async (t) => {
  const { docker } = await succeeding(t);
  const build = docker.images.build({ dockerfileContent: 'FROM x\n', onProgress: () => { throw new Error('observer broke'); } });
  await t.rejects(build.done(), { name: 'DockerError', message: /onProgress threw: observer broke/ });
});

t.test('bad options throw before any request', async (t) => {
  let requests = 0;
  const engine = await fakeBuildEngine(t, (_req, res) => { requests++; res.end(); });
  const bad: Array<[string, ImageBuildOptions]> = [
    ['no context', {}],
    ['both Dockerfiles', { context: '/tmp', dockerfile: 'D', dockerfileContent: 'FROM x' }],
    ['content with a tar stream', { context: Readable.from([]), dockerfileContent: 'FROM x' }],
    ['a digest tag', { dockerfileContent: 'FROM x', tag: 'a@sha256:0123456789012345678901234567890123456789012345678901234567890123' }],
    ['an upper-case tag', { dockerfileContent: 'FROM x', tag: 'Bad:1' }],
    ['a non-string build arg', { dockerfileContent: 'FROM x', buildArgs: { A: 1 as unknown as string } }],
    ['a negative shm size', { dockerfileContent: 'FROM x', shmSize: -1 }],
    ['a malformed extra host', { dockerfileContent: 'FROM x', extraHosts: ['nocolon'] }],
    ['an empty target', { dockerfileContent: 'FROM x', target: '' }],
    ['auth as a string', { dockerfileContent: 'FROM x', auth: 'token' as unknown as Record<string, never> }],
  ];
  for (const [name, options] of bad) t.throws(() => engine.docker.images.build(options), DockerArgumentError, name);
  const missing = shortTempDir(t, 'bbm');
  await t.rejects(engine.docker.images.build({ context: missing }).done(), { name: 'DockerArgumentError', message: /cannot find the Dockerfile/ }, 'a directory without a Dockerfile fails before the upload');
  t.equal(requests, 0, 'nothing reached the engine');
});

t.test('a signal aborted before the call: no request', async (t) => {
  let requests = 0;
  const engine = await fakeBuildEngine(t, (_req, res) => { requests++; res.end(); });
  const build = engine.docker.images.build({ dockerfileContent: 'FROM x\n', signal: AbortSignal.abort(new Error('never mind')) });
  const err = await build.done().catch((e: unknown) => e);
  t.type(err, DockerAbortError);
  t.match((err as DockerAbortError).reason, { message: 'never mind' });
  t.equal(requests, 0);
});
