import t from 'tap';
import { inspect } from 'node:util';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CredentialStore, RegistryAuth, authHeaderOf, encodeAuthHeader } from '../../src/engine/auth.js';
import { authKeyFor, parseImageReference, registryOfAuthKey } from '../../src/engine/reference.js';
import { DockerArgumentError, DockerConfigError, type EndpointEnvironment } from '../../src/index.js';
import { shortTempDir } from '../helpers/tmp.js';

t.test('image references are read like the docker CLI reads them', async (t) => {
  const cases: Array<[string, Partial<ReturnType<typeof parseImageReference>>]> = [
    ['alpine', { registry: 'docker.io', path: 'library/alpine', tag: undefined, repository: 'alpine', canonical: 'docker.io/library/alpine' }],
    ['alpine:3.19', { registry: 'docker.io', path: 'library/alpine', tag: '3.19', repository: 'alpine' }],
    ['docker.io/library/alpine:3', { registry: 'docker.io', path: 'library/alpine', tag: '3', repository: 'alpine' }],
    ['index.docker.io/library/alpine', { registry: 'docker.io', repository: 'alpine' }],
    ['team/app', { registry: 'docker.io', path: 'team/app', repository: 'team/app' }],
    ['localhost/app:dev', { registry: 'localhost', path: 'app', tag: 'dev', repository: 'localhost/app' }],
    ['localhost:5000/a/b/c:1', { registry: 'localhost:5000', path: 'a/b/c', tag: '1', repository: 'localhost:5000/a/b/c' }],
    ['reg.example.com/app@sha256:' + 'a'.repeat(64), { registry: 'reg.example.com', tag: undefined, digest: 'sha256:' + 'a'.repeat(64) }],
    ['alpine:3@sha256:' + 'b'.repeat(64), { tag: '3', digest: 'sha256:' + 'b'.repeat(64) }],
    ['[::1]:5000/app', { registry: '[::1]:5000', path: 'app' }],
    ['busybox:test', { registry: 'docker.io', repository: 'busybox', tag: 'test' }],
  ];
  for (const [ref, want] of cases) t.match(parseImageReference(ref), want, ref);
  for (const bad of ['', 'Alpine', 'alpine:', 'alpine:ta g', 'a//b', 'alpine@sha256:short', 'bad host.com/x', '-x']) {
    t.throws(() => parseImageReference(bad), DockerArgumentError, JSON.stringify(bad));
  }
  t.equal(authKeyFor('docker.io'), 'https://index.docker.io/v1/');
  t.equal(authKeyFor('reg:5000'), 'reg:5000');
  t.equal(registryOfAuthKey('https://index.docker.io/v1/'), 'docker.io');
  t.equal(registryOfAuthKey('https://reg.example.com'), 'reg.example.com');
  t.equal(registryOfAuthKey('reg.example.com:5000'), 'reg.example.com:5000');
});

t.test('X-Registry-Auth is padded base64url and never printed', async (t) => {
  // 1 byte of JSON padding needed: check "=" survives and "+/" become "-_"
  const value = { username: 'u', password: '>>>???x' };
  const h = encodeAuthHeader(value);
  t.notMatch(h, /[+/]/);
  t.match(h, /=$/, 'padding kept (Node\'s base64url would drop it)');
  t.same(JSON.parse(Buffer.from(h.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString()), value);
  const a = new RegistryAuth({ username: 'me', password: 'hunter2' });
  t.notMatch(JSON.stringify({ a }), /hunter2/);
  t.notMatch(String(a), /hunter2/);
  t.notMatch(inspect(a, { showHidden: true, depth: 5 }), /hunter2/);
  t.notMatch(`${a}`, /hunter2/);
  const symbols = Object.getOwnPropertySymbols(a).map((s) => (a as unknown as Record<symbol, unknown>)[s]);
  t.notMatch(inspect([{ ...a }, Object.assign({}, a), symbols, Reflect.ownKeys(a)], { showHidden: true, depth: 8 }), /hunter2/, 'spreading, assigning and walking its keys find nothing');
  const copy = Object.create(RegistryAuth.prototype) as RegistryAuth;
  t.throws(() => copy.header(), DockerArgumentError, 'an object that only looks like one holds no credentials');
  t.equal(authHeaderOf({ header: 'abc' }), 'abc');
  t.equal(authHeaderOf({ username: 'u', password: '>>>???x' }), h);
  t.equal(authHeaderOf(a), a.header());
});

t.test('credentials from config.json', async (t) => {
  const dir = shortTempDir(t);
  const { readFileSync } = await import('node:fs');
  const environment: EndpointEnvironment = { env: { DOCKER_CONFIG: dir }, homedir: '/nonexistent', readFile: (p) => { try { return readFileSync(p, 'utf8'); } catch { return undefined; } }, exists: () => false };
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    auths: {
      'https://index.docker.io/v1/': { auth: Buffer.from('hubuser:hubpass').toString('base64') },
      'reg.example.com': { auth: Buffer.from('reguser:p:w').toString('base64') },
      'https://token.example.com': { identitytoken: 'tok' },
      'broken.example.com': { auth: Buffer.from('nocolon').toString('base64') },
    },
    credHelpers: { 'helped.example.com': 'fake' },
  }));
  const calls: string[] = [];
  const store = new CredentialStore({
    environment,
    runHelper: async (helper, server) => {
      calls.push(`${helper} ${server}`);
      return JSON.stringify({ ServerURL: server, Username: server.includes('helped') ? 'huser' : '<token>', Secret: 's3cret' });
    },
  });
  t.same((await store.forImage('alpine:3'))?.config(), { serveraddress: 'https://index.docker.io/v1/', username: 'hubuser', password: 'hubpass' });
  t.same((await store.forImage('reg.example.com/app'))?.config(), { serveraddress: 'reg.example.com', username: 'reguser', password: 'p:w' }, 'a colon in the password survives');
  t.same((await store.forRegistry('token.example.com'))?.config(), { serveraddress: 'token.example.com', identitytoken: 'tok' });
  t.same((await store.forImage('helped.example.com/x'))?.config(), { serveraddress: 'helped.example.com', username: 'huser', password: 's3cret' });
  t.same(calls, ['fake helped.example.com']);
  t.equal(await store.forImage('elsewhere.example.com/x'), undefined, 'no credentials: anonymous');
  await t.rejects(store.forRegistry('broken.example.com'), DockerConfigError);
  await t.rejects(store.all(), DockerConfigError, 'a malformed entry fails the whole map, as the docker CLI refuses such a config');
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    auths: { 'https://index.docker.io/v1/': { auth: Buffer.from('hubuser:hubpass').toString('base64') }, 'reg.example.com': { auth: Buffer.from('a:b').toString('base64') } },
    credHelpers: { 'helped.example.com': 'fake' },
  }));
  const fresh = new CredentialStore({ environment, runHelper: async () => JSON.stringify({ Username: 'h', Secret: 's' }) });
  t.same(Object.keys(await fresh.all()).sort(), ['helped.example.com', 'https://index.docker.io/v1/', 'reg.example.com']);
});

t.test('credsStore with a real helper executable; "<token>" means an identity token', async (t) => {
  const dir = shortTempDir(t);
  const helper = join(dir, 'docker-credential-berthtest');
  writeFileSync(helper, '#!/bin/sh\nread server\nif [ "$server" = "https://index.docker.io/v1/" ]; then echo \'{"ServerURL":"x","Username":"<token>","Secret":"idtok"}\'; exit 0; fi\necho "credentials not found in native keychain"; exit 1\n');
  chmodSync(helper, 0o755);
  const { readFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ credsStore: 'berthtest', auths: { 'other.example.com': { auth: Buffer.from('a:b').toString('base64') } } }));
  const savedPath = process.env.PATH;
  process.env.PATH = `${dir}:${savedPath ?? ''}`;
  t.teardown(() => { process.env.PATH = savedPath; });
  const store = new CredentialStore({ environment: { env: { DOCKER_CONFIG: dir }, homedir: '/x', readFile: (p) => { try { return readFileSync(p, 'utf8'); } catch { return undefined; } }, exists: () => false } });
  t.same((await store.forImage('busybox'))?.config(), { serveraddress: 'https://index.docker.io/v1/', identitytoken: 'idtok' });
  t.same((await store.forImage('other.example.com/app'))?.config(), { serveraddress: 'other.example.com', username: 'a', password: 'b' }, 'helper says not found: fall back to auths');
});

t.test('no config: no credentials', async (t) => {
  const store = new CredentialStore({ environment: { env: { DOCKER_CONFIG: '/nonexistent' }, homedir: '/x', readFile: () => undefined, exists: () => false } });
  t.equal(await store.forImage('alpine'), undefined);
  t.same(await store.all(), {});
});
