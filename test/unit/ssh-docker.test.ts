import t from 'tap';
import { join } from 'node:path';
import { Docker, DockerConfigError, type EndpointEnvironment } from '../../src/index.js';
import { contextDirName } from '../../src/engine/endpoint.js';

/** How a client gets its ssh session: from the host option, DOCKER_HOST or a context; nothing runs before a request. */

function environment(env: Record<string, string>, files: Record<string, string> = {}): EndpointEnvironment {
  return { env, homedir: '/home/u', readFile: (p) => files[p], exists: (p) => p in files };
}

t.test('an ssh:// host gives the client an ssh session that starts nothing until a request', async (t) => {
  const docker = new Docker({ host: 'ssh://me@box:2222/run/docker.sock', env: {} });
  t.equal(docker.endpoint.protocol, 'ssh');
  t.equal(docker.endpoint.describe(), 'ssh://me@box:2222/run/docker.sock from the host option');
  t.ok(docker.sshSession, 'an ssh session');
  t.equal(docker.sshSession?.directory, undefined, 'no private directory yet: no ssh ran');
  await docker.close();
  t.equal(docker.sshSession?.directory, undefined, 'closing a session that never connected runs nothing');
});

t.test('DOCKER_HOST and contexts with ssh hosts', async (t) => {
  const fromEnv = new Docker({ environment: environment({ DOCKER_HOST: 'ssh://build@[::1]' }) });
  t.equal(fromEnv.endpoint.url, 'ssh://build@[::1]');
  t.ok(fromEnv.sshSession);
  await fromEnv.close();
  const meta = join('/home/u/.docker', 'contexts', 'meta', contextDirName('remote'), 'meta.json');
  const files = { [meta]: JSON.stringify({ Name: 'remote', Endpoints: { docker: { Host: 'ssh://ops@remote-host' } } }) };
  const fromContext = new Docker({ environment: environment({ DOCKER_CONTEXT: 'remote' }, files) });
  t.equal(fromContext.endpoint.describe(), 'ssh://ops@remote-host from context "remote" (DOCKER_CONTEXT)');
  t.ok(fromContext.sshSession);
  await fromContext.close();
});

t.test('what cannot go on an ssh command line fails when the client is made', async (t) => {
  t.throws(() => new Docker({ host: 'ssh://-oProxyCommand=touch@box', env: {} }), DockerConfigError, 'a user that would be an option');
  t.throws(() => new Docker({ host: 'ssh://-oProxyCommand=x', env: {} }), DockerConfigError, 'a host that would be an option');
  t.throws(() => new Docker({ host: 'ssh://box', env: {}, ssh: { maxSessions: 0 } }), /ssh\.maxSessions/);
});

t.test('other endpoints have no ssh session', async (t) => {
  const docker = new Docker({ host: 'unix:///tmp/nothing.sock', env: {} });
  t.equal(docker.sshSession, undefined);
  await docker.close();
});
