import t from 'tap';
import { DockerArgumentError, DockerVersionError, encodeAuthHeader } from '../../src/index.js';
import type { Fixture } from '../../src/testing/index.js';
import { replay } from '../helpers/replay.js';

/**
 * Options the engine's API version cannot honour, and arguments that are
 * wrong, fail before anything is sent: against an engine that only answers
 * the ping, no other request may arrive.
 */

function pingOnly(apiVersion: string): Fixture {
  return {
    engine: 'dockerd-test', apiVersion, recordedAt: '2026-01-01T00:00:00.000Z',
    exchanges: [{
      request: { method: 'HEAD', path: '/_ping' },
      response: { statusCode: 200, headers: { 'api-version': apiVersion, 'ostype': 'linux', 'server': 'Docker/20.10.24 (linux)' } },
      repeat: true,
    }],
  };
}

t.test('options newer than the API version fail before sending', (t) => replay(t, [pingOnly('1.41')], async ({ docker, server }) => {
  await t.rejects(docker.networks.create({ Name: 'n', EnableIPv4: false }), DockerVersionError, 'EnableIPv4 needs 1.47');
  await t.rejects(docker.volumes.create({ Name: 'v', ClusterVolumeSpec: {} }), DockerVersionError, 'cluster volumes need 1.42');
  await t.rejects(docker.volumes.prune({ all: false }), /needs API version 1\.42 or newer; this engine speaks 1\.41/, 'all: false cannot be honoured');
  t.same(server.requests.map((r) => `${r.method} ${r.path}`), ['HEAD /_ping'], 'nothing but the ping was sent');
}, { allowUnconsumed: true }));

t.test('the service list status option needs API 1.41', (t) => replay(t, [pingOnly('1.40')], async ({ docker, server }) => {
  await t.rejects(docker.services.list({ status: true }), DockerVersionError);
  t.same(server.requests.map((r) => `${r.method} ${r.path}`), ['HEAD /_ping']);
}, { allowUnconsumed: true }));

t.test('arguments are checked before any I/O', (t) => replay(t, [pingOnly('1.41')], async ({ docker, server }) => {
  const bad: Array<[string, () => Promise<unknown>]> = [
    ['network name', () => docker.networks.create({ Name: '' })],
    ['network id', () => docker.networks.inspect('')],
    ['connect container', () => docker.networks.connect('n', { Container: ' ' })],
    ['disconnect container', () => docker.networks.disconnect('n', { Container: '' })],
    ['volume name', () => docker.volumes.remove('a/../b')],
    ['join without managers', () => docker.swarm.join({ ListenAddr: '127.0.0.2:2377', RemoteAddrs: [], JoinToken: 't' })],
    ['join without token', () => docker.swarm.join({ ListenAddr: '127.0.0.2:2377', RemoteAddrs: ['127.0.0.1:2377'], JoinToken: '' })],
    ['join without listen address', () => docker.swarm.join({ ListenAddr: '', RemoteAddrs: ['127.0.0.1:2377'], JoinToken: 't' })],
    ['unlock without key', () => docker.swarm.unlock({ UnlockKey: '' })],
    ['node id', () => docker.nodes.update('', { Availability: 'drain' })],
    ['node version', () => docker.nodes.update('n', { Availability: 'drain' }, { version: -1 })],
    ['service id', () => docker.services.inspect('\n')],
    ['registry auth', () => docker.services.create({ Name: 's' }, { auth: { header: 'a\r\nX-Evil: 1' } })],
    ['task id', () => docker.tasks.inspect('')],
    ['secret name', () => docker.secrets.create({ Name: '', Data: 'aGk=' })],
    ['secret data', () => docker.secrets.create({ Name: 's', Data: 'not base64' })],
    ['config data', () => docker.configs.create({ Name: 'c', Data: 'aGk' })],
    ['config id', () => docker.configs.remove('')],
  ];
  for (const [what, call] of bad) await t.rejects(call(), DockerArgumentError, what);
  t.same(server.requests.filter((r) => r.method !== 'HEAD'), [], 'nothing was sent');
}, { allowUnconsumed: true }));

t.test('service create and update send registry auth as X-Registry-Auth', (t) => {
  const fixture = pingOnly('1.41');
  const created = { statusCode: 201, headers: { 'content-type': 'application/json' }, body: { ID: 'svc1' } };
  fixture.exchanges.push(
    { request: { method: 'POST', path: '/v1.41/services/create' }, response: created },
    { request: { method: 'POST', path: '/v1.41/services/svc1/update', query: { version: '7' } }, response: { statusCode: 200, headers: { 'content-type': 'application/json' }, body: { Warnings: null } } },
  );
  return replay(t, [fixture], async ({ docker, server }) => {
    const auth = { username: 'u', password: 'p', serveraddress: 'registry.example' };
    t.same(await docker.services.create({ Name: 's' }, { auth }), { ID: 'svc1', Warnings: [] });
    t.same(await docker.services.update('svc1', { Name: 's' }, { version: 7, auth: { header: 'ZW5jb2RlZA==' } }), { Warnings: [] });
    const sent = server.requests.filter((r) => r.method === 'POST').map((r) => r.headers['x-registry-auth']);
    t.equal(sent[0], encodeAuthHeader(auth), 'credentials are encoded as padded base64url');
    t.equal(sent[1], 'ZW5jb2RlZA==', 'an encoded header goes as is');
  });
});
