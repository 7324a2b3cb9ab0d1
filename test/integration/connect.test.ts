import t from 'tap';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Docker, DockerConnectionError } from '../../src/index.js';
import { API_ENGINES, dockerFor, engineOr } from '../helpers/engines.js';

t.test('ping and negotiation over a unix socket, on every engine', async (t) => {
  for (const name of API_ENGINES) {
    await t.test(name, async (t) => {
      const engine = engineOr(t, name);
      if (!engine) return;
      const docker = dockerFor(t, engine);
      const ping = await docker.ping();
      t.equal(docker.apiVersion, engine.apiVersion, 'negotiated to the engine maximum (all below MAX)');
      t.equal(ping.negotiatedVersion, engine.apiVersion);
      const v = await docker.version();
      t.equal(v.ApiVersion, engine.apiVersion);
      t.equal(v.Version, engine.version);
    });
  }
});

t.test('mutual TLS', async (t) => {
  const engine = engineOr(t, 'dockerd-tls');
  if (!engine?.certs) return;
  const certs = engine.certs;
  await t.test('DOCKER_HOST + DOCKER_TLS_VERIFY + DOCKER_CERT_PATH', async (t) => {
    const docker = new Docker({ env: { DOCKER_HOST: engine.host, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: join(certs, 'client') } });
    t.teardown(() => docker.close());
    t.match(docker.endpoint.describe(), /^tcp:\/\/127\.0\.0\.1:\d+ \(TLS, verified, client certificate\) from DOCKER_HOST$/);
    await docker.ping();
    t.equal(docker.apiVersion, '1.41');
    t.equal((await docker.info()).OSType, 'linux');
  });
  await t.test('explicit tls option with PEM contents', async (t) => {
    const pem = (f: string): Buffer => readFileSync(join(certs, 'client', f));
    const docker = new Docker({ host: engine.host, env: {}, tls: { ca: pem('ca.pem'), cert: pem('cert.pem'), key: pem('key.pem') } });
    t.teardown(() => docker.close());
    t.equal((await docker.version()).ApiVersion, '1.41');
  });
  await t.test('without a client certificate → DockerConnectionError', async (t) => {
    const docker = new Docker({ host: engine.host, env: {}, tls: { ca: readFileSync(join(certs, 'ca.pem')) } });
    t.teardown(() => docker.close());
    const err = await docker.ping().then(() => undefined, (e: unknown) => e);
    t.type(err, DockerConnectionError);
    t.match((err as DockerConnectionError).message, /client certificate/);
  });
  await t.test('a client certificate from another CA → DockerConnectionError', async (t) => {
    const docker = new Docker({
      host: engine.host, env: {},
      tls: { ca: readFileSync(join(certs, 'ca.pem')), cert: readFileSync(join(certs, 'rogue', 'cert.pem')), key: readFileSync(join(certs, 'rogue', 'key.pem')) },
    });
    t.teardown(() => docker.close());
    await t.rejects(docker.ping(), DockerConnectionError);
  });
  await t.test('an engine certificate signed by an unknown CA is not trusted', async (t) => {
    const docker = new Docker({ host: engine.host, env: {}, tls: { ca: readFileSync(join(certs, 'rogue', 'ca.pem')) } });
    t.teardown(() => docker.close());
    const err = await docker.ping().then(() => undefined, (e: unknown) => e);
    t.type(err, DockerConnectionError);
    t.match((err as Error).message, /cannot verify the engine's certificate/);
  });
  await t.test('plain HTTP to the TLS port says it is a TLS port', async (t) => {
    const docker = new Docker({ host: engine.host, env: {}, tls: false });
    t.teardown(() => docker.close());
    const err = await docker.ping().then(() => undefined, (e: unknown) => e);
    t.type(err, DockerConnectionError);
    t.match((err as Error).message, /Client sent an HTTP request to an HTTPS server.*is this a TLS port\?/);
  });
});

t.test('TLS spoken to a plain-HTTP port says the port is not TLS', async (t) => {
  const server = createServer((_req, res) => res.end('OK'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as AddressInfo).port;
  const docker = new Docker({ host: `tcp://127.0.0.1:${port}`, env: {}, tls: { verify: false } });
  t.teardown(() => docker.close());
  const err = await docker.ping().then(() => undefined, (e: unknown) => e);
  t.type(err, DockerConnectionError);
  t.match((err as Error).message, /did not answer in TLS.*is this a TLS port\?/);
});

t.test('a missing socket is a DockerConnectionError naming the path', async (t) => {
  const docker = new Docker({ host: 'unix:///tmp/berth-no-such-dir/docker.sock', env: {} });
  t.teardown(() => docker.close());
  const err = await docker.ping().then(() => undefined, (e: unknown) => e);
  t.type(err, DockerConnectionError);
  const e = err as DockerConnectionError;
  t.match(e.message, /socket \/tmp\/berth-no-such-dir\/docker\.sock does not exist/);
  t.equal(e.syscallCode, 'ENOENT');
  t.equal(e.code, 'ERR_DOCKER_CONNECTION');
  t.match(e.hint, /is the engine running\?/);
});

t.test('DOCKER_HOST from the environment', async (t) => {
  const engine = engineOr(t, 'dockerd-20.10');
  if (!engine) return;
  const saved = process.env.DOCKER_HOST;
  process.env.DOCKER_HOST = engine.host;
  t.teardown(() => { if (saved === undefined) delete process.env.DOCKER_HOST; else process.env.DOCKER_HOST = saved; });
  const docker = Docker.fromEnv();
  t.teardown(() => docker.close());
  t.equal(docker.endpoint.source, 'DOCKER_HOST');
  t.equal(docker.endpoint.socketPath, engine.socket.slice('unix://'.length));
  await docker.ping();
  t.equal(docker.apiVersion, engine.apiVersion);
});
