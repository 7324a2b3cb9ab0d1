import t from 'tap';
import {
  Docker, DockerVersionError, MAX_API_VERSION, NotFoundError, type SystemVersion,
} from '../../src/index.js';
import type { Fixture } from '../../src/testing/index.js';
import { API_ENGINES } from '../helpers/engines.js';
import { fixturePath, replay } from '../helpers/replay.js';
import { notFound, pingVersion, pinnedTooNew, system } from '../scenarios/system.js';

const ctx = { image: 'busybox:test', tmp: '/tmp', secret: () => undefined };

t.test('system calls replay on every engine', async (t) => {
  for (const engine of API_ENGINES) {
    await t.test(engine, (t) => replay(t, [fixturePath(engine, 'system')], async ({ docker, server }) => {
      const r = await system.run(docker, { ...ctx, engine });
      t.equal(r.apiVersion, r.ping.negotiatedVersion);
      t.equal(r.version.ApiVersion, r.ping.apiVersion, 'the ping header and /version agree');
      t.type(r.version.Version, 'string');
      t.type(r.info.NCPU, 'number');
      t.ok(Array.isArray(r.df.Images) || r.df.Images === null || r.df.ImageUsage !== undefined, 'df has an images section');
      t.same(server.requests.map((q) => `${q.method} ${q.path}`), [
        'HEAD /_ping', `GET /v${r.apiVersion ?? ''}/version`, `GET /v${r.apiVersion ?? ''}/info`, `GET /v${r.apiVersion ?? ''}/system/df`,
      ], 'one ping negotiates; every later path is versioned');
    }));
  }
});

t.test('negotiation: min(engine, MAX) from recorded engines', async (t) => {
  const expected: Record<string, { api: string; server: RegExp; builder?: string; swarm?: string; os?: string }> = {
    'dockerd-20.10': { api: '1.41', server: /^Docker\/20\.10/, os: 'linux' },
    'dockerd-26.1': { api: '1.45', server: /^Docker\/26\.1/, builder: '2', swarm: 'inactive', os: 'linux' },
    'dockerd-28.5': { api: '1.51', server: /^Docker\/28\.5/, builder: '2', swarm: 'inactive', os: 'linux' },
    'podman-4.3': { api: '1.41', server: /^Libpod\/4\.3/ },
  };
  for (const engine of API_ENGINES) {
    await t.test(engine, (t) => replay(t, [fixturePath(engine, 'ping-version')], async ({ docker }) => {
      const want = expected[engine];
      if (!want) throw new Error(engine);
      t.equal(docker.apiVersion, undefined, 'nothing negotiated before the first call');
      const r = await pingVersion.run(docker, { ...ctx, engine });
      t.equal(docker.apiVersion, want.api);
      t.match(r.ping.server, want.server);
      t.equal(r.ping.builderVersion, want.builder);
      t.equal(r.ping.swarm, want.swarm);
      t.equal(r.ping.osType, want.os);
      t.equal(docker.pingInfo?.apiVersion, want.api);
      t.equal((r.version as SystemVersion).ApiVersion, want.api);
    }));
  }
});

t.test('a pinned version newer than the engine is a clear DockerVersionError', async (t) => {
  for (const engine of ['dockerd-20.10', 'dockerd-26.1', 'dockerd-28.5'] as const) {
    await t.test(engine, (t) => replay(t, [fixturePath(engine, 'pinned-too-new')], async ({ docker }) => {
      const r = await pinnedTooNew.run(docker, { ...ctx, engine });
      t.type(r.error, DockerVersionError);
      t.match(r.error.message, /API version 1\.55 \(pinned by the apiVersion option\) is newer than this engine supports \(maximum 1\.\d+\)/);
    }));
  }
});

t.test('404 carries status, method, path, API version and the engine message', async (t) => {
  const messages: Record<string, RegExp> = {
    'dockerd-20.10': /^No such container: berth-no-such-container$/,
    'dockerd-26.1': /^No such container: berth-no-such-container$/,
    'dockerd-28.5': /^No such container: berth-no-such-container$/,
    'podman-4.3': /no container with name or ID "berth-no-such-container" found: no such container/,
  };
  for (const engine of API_ENGINES) {
    await t.test(engine, (t) => replay(t, [fixturePath(engine, 'not-found')], async ({ docker }) => {
      const r = await notFound.run(docker, { ...ctx, engine });
      t.type(r.error, NotFoundError);
      const e = r.error as NotFoundError;
      t.equal(e.statusCode, 404);
      t.equal(e.method, 'GET');
      t.equal(e.path, `/v${docker.apiVersion ?? ''}/containers/berth-no-such-container/json`);
      t.equal(e.apiVersion, docker.apiVersion);
      t.match(e.engineMessage, messages[engine] ?? /./);
      t.equal(e.code, 'ERR_DOCKER_NOT_FOUND');
    }));
  }
});

/** A synthetic ping exchange, for negotiation edge cases no engine here produces. */
function ping(apiVersion: string | undefined, status = 200, method = 'HEAD'): Fixture['exchanges'][number] {
  return {
    request: { method, path: '/_ping' },
    response: { statusCode: status, headers: apiVersion ? { 'api-version': apiVersion } : {}, ...(method === 'GET' ? { bodyText: 'OK' } : {}) },
  };
}

function fixture(exchanges: Fixture['exchanges']): Fixture {
  return { engine: 'synthetic', apiVersion: '', recordedAt: '', exchanges };
}

const info = (v: string): Fixture['exchanges'][number] => ({
  request: { method: 'GET', path: `/v${v}/info` }, response: { statusCode: 200, headers: { 'content-type': 'application/json' }, body: { NCPU: 2 } },
});

t.test('negotiation edge cases', async (t) => {
  await t.test('an engine newer than berth is clamped to MAX', (t) => replay(t, [fixture([ping('1.60'), info(MAX_API_VERSION)])], async ({ docker }) => {
    await docker.info();
    t.equal(docker.apiVersion, MAX_API_VERSION);
  }));
  await t.test('versions compare numerically (1.100 > 1.55)', (t) => replay(t, [fixture([ping('1.100'), info(MAX_API_VERSION)])], async ({ docker }) => {
    await docker.info();
    t.equal(docker.apiVersion, MAX_API_VERSION);
  }));
  await t.test('an engine below MIN is refused, and the next call asks again', (t) => replay(t, [fixture([ping('1.39'), ping('1.41'), info('1.41')])], async ({ docker }) => {
    await t.rejects(docker.info(), { name: 'DockerVersionError', message: /API version 1\.39 is too old: berth needs at least 1\.40/ });
    await docker.info();
    t.equal(docker.apiVersion, '1.41');
  }));
  await t.test('HEAD /_ping failing falls back to GET /_ping', (t) => replay(t, [fixture([ping(undefined, 404), ping('1.43', 200, 'GET'), info('1.43')])], async ({ docker }) => {
    await docker.info();
    t.equal(docker.apiVersion, '1.43');
  }));
  await t.test('an unreachable engine is not asked twice: no GET after a HEAD that failed to connect', (t) => replay(t, [fixture([
    { request: { method: 'HEAD', path: '/_ping' }, fault: { kind: 'reset' } },
    ping('1.41', 200, 'GET'),
  ])], async ({ docker, server }) => {
    await t.rejects(docker.info(), { name: 'DockerConnectionError' });
    t.same(server.requests.map((r) => r.method), ['HEAD'], 'no fallback request');
  }, { allowUnconsumed: true }));
  await t.test('no Api-Version header: ask GET /version', (t) => replay(t, [fixture([
    ping(undefined),
    { request: { method: 'GET', path: '/version' }, response: { statusCode: 200, headers: {}, body: { ApiVersion: '1.42', Version: 'x', Os: 'linux', Arch: 'amd64' } } },
    info('1.42'),
  ])], async ({ docker }) => {
    await docker.info();
    t.equal(docker.apiVersion, '1.42');
  }));
  await t.test('concurrent first calls share one negotiation', (t) => replay(t, [fixture([ping('1.41'), info('1.41'), info('1.41'), info('1.41')])], async ({ docker, server }) => {
    await Promise.all([docker.info(), docker.info(), docker.info()]);
    t.equal(server.requests.filter((r) => r.path === '/_ping').length, 1, 'one ping');
  }));
  await t.test('a failed negotiation is retried by the next call', (t) => replay(t, [fixture([ping(undefined, 500), ping(undefined, 500, 'GET'), ping('1.41'), info('1.41')])], async ({ docker }) => {
    await t.rejects(docker.info(), { name: 'ServerError' });
    await docker.info();
    t.equal(docker.apiVersion, '1.41');
  }));
  await t.test('DOCKER_API_VERSION pins', (t) => replay(t, [fixture([info('1.43')])], async ({ docker, server }) => {
    await docker.info();
    t.equal(docker.apiVersion, '1.43');
    t.equal(server.requests.length, 1, 'no ping when pinned');
  }, { docker: { env: { DOCKER_API_VERSION: '1.43' } } }));
  await t.test('the apiVersion option wins over DOCKER_API_VERSION', (t) => replay(t, [fixture([info('1.44')])], async ({ docker }) => {
    await docker.info();
    t.equal(docker.apiVersion, '1.44');
  }, { docker: { env: { DOCKER_API_VERSION: '1.43' }, apiVersion: 'v1.44' } }));
  await t.test('a bad pinned version is refused before any I/O', async (t) => {
    t.throws(() => new Docker({ host: 'unix:///x', env: {}, apiVersion: 'latest' }), /the apiVersion option: "latest" is not an API version/);
    t.throws(() => new Docker({ host: 'unix:///x', env: { DOCKER_API_VERSION: '1.24' } }), /DOCKER_API_VERSION=1\.24 is below berth's minimum API version 1\.40/);
  });
  await t.test('an unpinned client told "too new" adopts the maximum and retries once', (t) => replay(t, [fixture([
    ping('1.44'),
    { request: { method: 'GET', path: '/v1.44/info' }, response: { statusCode: 400, headers: { 'content-type': 'application/json' }, body: { message: 'client version 1.44 is too new. Maximum supported API version is 1.43' } } },
    info('1.43'),
  ])], async ({ docker }) => {
    await docker.info();
    t.equal(docker.apiVersion, '1.43');
  }));
});
