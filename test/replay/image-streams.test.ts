import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CredentialStore, DockerAbortError, DockerProtocolError, DockerStreamError, processEnvironment, type ProgressMessage,
} from '../../src/index.js';
import type { Exchange, Fixture } from '../../src/testing/index.js';
import { replay } from '../helpers/replay.js';
import { shortTempDir } from '../helpers/tmp.js';

/** Pull, push, import and load against synthetic exchanges: the query, the credentials, and every way a stream ends. */

const fixture = (exchanges: Exchange[]): Fixture => ({ engine: 'synthetic', apiVersion: '', recordedAt: '', exchanges });
const lines = (...messages: object[]): string[] => messages.map((m) => Buffer.from(`${JSON.stringify(m)}\r\n`).toString('base64'));
const pinned = { docker: { apiVersion: '1.41' } };

function progressExchange(method: string, path: string, query: Record<string, string>, messages: object[], open = false): Exchange {
  return {
    request: { method, path, query },
    response: { statusCode: 200, headers: { 'content-type': 'application/json' }, chunks: lines(...messages), ...(open ? { open: true } : {}) },
  };
}

const pulled = (query: Record<string, string>, digest = 'sha256:' + 'd'.repeat(64)): Exchange => progressExchange('POST', '/v1.41/images/create', query, [
  { status: `Pulling from ${query.fromImage ?? ''}`, id: query.tag },
  { status: 'Pulling fs layer', progressDetail: {}, id: 'aaa' },
  { status: 'Downloading', progressDetail: { current: 5, total: 10 }, id: 'aaa' },
  { status: 'Pull complete', progressDetail: {}, id: 'aaa' },
  { status: `Digest: ${digest}` },
  { status: `Status: Downloaded newer image for ${query.fromImage ?? ''}:${query.tag ?? ''}` },
]);

const decode = (header: unknown): unknown => (typeof header === 'string' ? JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) : header);

t.test('pull asks for exactly one tag or digest', (t) => {
  const digest = `sha256:${'a'.repeat(64)}`;
  return replay(t, [fixture([
    pulled({ fromImage: 'alpine', tag: 'latest' }),
    pulled({ fromImage: 'alpine', tag: '3.19' }),
    pulled({ fromImage: 'team/app', tag: 'dev', platform: 'linux/arm64' }),
    pulled({ fromImage: 'reg.example.com:5000/a/b', tag: digest }, digest),
    pulled({ fromImage: 'localhost/x', tag: 'v2' }),
  ])], async ({ docker }) => {
    const plain = await docker.images.pull('alpine', { auth: false });
    t.same(plain, { image: 'alpine:latest', digest: 'sha256:' + 'd'.repeat(64), status: 'Downloaded newer image for alpine:latest' }, 'no tag: latest, never every tag');
    t.equal((await docker.images.pull('docker.io/library/alpine:3.19', { auth: false })).image, 'alpine:3.19', 'Docker Hub names shortened as the engine takes them');
    await docker.images.pull('team/app:dev', { platform: 'linux/arm64', auth: false });
    const byDigest = await docker.images.pull(`reg.example.com:5000/a/b:ignored@${digest}`, { auth: false });
    t.same([byDigest.image, byDigest.digest], [`reg.example.com:5000/a/b@${digest}`, digest], 'a digest is sent as the tag, and wins over a tag');
    t.equal((await docker.images.pull('localhost/x', { tag: 'v2', auth: false })).image, 'localhost/x:v2', 'the tag option');
  }, pinned);
});

t.test('X-Registry-Auth: explicit, from the docker config, or none', (t) => {
  const dir = shortTempDir(t);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    auths: { 'reg.example.com': { auth: Buffer.from('me:s3cret').toString('base64') } },
  }));
  const credentials = new CredentialStore({ environment: processEnvironment({ DOCKER_CONFIG: dir }) });
  return replay(t, [fixture([
    pulled({ fromImage: 'reg.example.com/app', tag: 'latest' }),
    pulled({ fromImage: 'reg.example.com/app', tag: 'latest' }),
    pulled({ fromImage: 'other.example.com/app', tag: 'latest' }),
    pulled({ fromImage: 'other.example.com/app', tag: 'latest' }),
    progressExchange('POST', '/v1.41/images/other.example.com/app/push', { tag: 'latest' }, [{ status: 'latest: digest: sha256:' + 'e'.repeat(64) + ' size: 527' }]),
  ])], async ({ docker, server }) => {
    await docker.images.pull('reg.example.com/app');
    await docker.images.pull('reg.example.com/app', { auth: false });
    await docker.images.pull('other.example.com/app');
    await docker.images.pull('other.example.com/app', { auth: { username: 'u', password: 'p', serveraddress: 'other.example.com' } });
    const pushed = await docker.images.push('other.example.com/app');
    const sent = server.requests.map((r) => decode(r.headers['x-registry-auth']));
    t.same(sent[0], { serveraddress: 'reg.example.com', username: 'me', password: 's3cret' }, 'from config.json for the image\'s registry');
    t.equal(sent[1], undefined, 'auth: false sends none');
    t.equal(sent[2], undefined, 'no credentials for the registry: no header');
    t.same(sent[3], { username: 'u', password: 'p', serveraddress: 'other.example.com' }, 'explicit credentials');
    t.same(sent[4], {}, 'a push with no credentials sends empty ones (dockerd requires the header)');
    t.same(pushed, { image: 'other.example.com/app:latest', tag: 'latest', digest: 'sha256:' + 'e'.repeat(64), size: 527 }, 'the digest from podman\'s status line');
  }, { docker: { apiVersion: '1.41', credentials } });
});

t.test('an in-band pull error after progress: DockerStreamError with the transcript, for the loop and the result', (t) => replay(t, [fixture([
  progressExchange('POST', '/v1.41/images/create', { fromImage: 'app', tag: 'latest' }, [
    { status: 'Pulling from library/app', id: 'latest' },
    { status: 'Pulling fs layer', progressDetail: {}, id: 'aaa' },
    { errorDetail: { message: 'unauthorized: authentication required' }, error: 'unauthorized: authentication required' },
  ]),
])], async ({ docker }) => {
  const seen: ProgressMessage[] = [];
  const op = docker.images.pull('app', { auth: false });
  const err = await (async () => { for await (const m of op) seen.push(m); })().catch((e: unknown) => e);
  t.type(err, DockerStreamError);
  t.equal((err as DockerStreamError).engineMessage, 'unauthorized: authentication required');
  t.same((err as DockerStreamError).transcript, ['latest: Pulling from library/app', 'aaa: Pulling fs layer']);
  t.equal(seen.length, 2, 'the messages before the error were handed out');
  t.equal(await op.catch((e: unknown) => e), err, 'the result rejects with the same error');
}, pinned));

t.test('a signal ends a pull that is waiting for the registry', (t) => replay(t, [fixture([
  progressExchange('POST', '/v1.41/images/create', { fromImage: 'big', tag: 'latest' }, [{ status: 'Pulling from library/big', id: 'latest' }], true),
])], async ({ docker }) => {
  const controller = new AbortController();
  const op = docker.images.pull('big', { auth: false, signal: controller.signal, onProgress: () => controller.abort(new Error('cancelled')) });
  const err = await op.catch((e: unknown) => e);
  t.type(err, DockerAbortError);
  t.equal(((err as DockerAbortError).reason as Error).message, 'cancelled');
}, pinned));

t.test('import needs the engine to name the image; load reads a plain-text answer', (t) => replay(t, [fixture([
  progressExchange('POST', '/v1.41/images/create', { fromSrc: '-', repo: 'x:1' }, [{ status: 'importing' }]),
  {
    request: { method: 'POST', path: '/v1.41/images/load', query: { quiet: '1' } },
    response: { statusCode: 200, headers: { 'content-type': 'text/plain' }, bodyText: 'Loaded image: a:1\nLoaded image ID: sha256:' + 'f'.repeat(64) + '\n' },
  },
])], async ({ docker, server }) => {
  const err = await docker.images.import(Buffer.from('tar'), { repo: 'x:1' }).catch((e: unknown) => e);
  t.type(err, DockerProtocolError, 'an import that names no image id');
  const loaded = await docker.images.load(Buffer.from('tar'), { quiet: true });
  t.same(loaded.images, ['a:1', 'sha256:' + 'f'.repeat(64)]);
  t.equal(server.requests[0]?.headers['content-type'], 'application/x-tar');
  t.equal(server.requests[0]?.bodyBytes, 3, 'the archive was sent');
}, pinned));
