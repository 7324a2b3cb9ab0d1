import t from 'tap';
import { join } from 'node:path';
import { DockerConfigError, parseHost, resolveEndpoint, type EndpointEnvironment, type EndpointOptions } from '../../src/index.js';
import { contextDirName } from '../../src/engine/endpoint.js';

/** A fake environment: env vars, a home directory and a map of files. */
function fakeEnv(env: Record<string, string> = {}, files: Record<string, string> = {}, home = '/home/u'): EndpointEnvironment {
  return {
    env,
    homedir: home,
    readFile: (p) => files[p],
    exists: (p) => p in files || Object.keys(files).some((f) => f.startsWith(`${p}/`)),
  };
}

const SOCK = { '/var/run/docker.sock': '' };

function resolve(options: EndpointOptions, env: Record<string, string> = {}, files: Record<string, string> = SOCK) {
  return resolveEndpoint(options, fakeEnv(env, files));
}

function context(name: string, host: string, extra: Record<string, unknown> = {}, tlsFiles: string[] = [], configDir = '/home/u/.docker'): Record<string, string> {
  const id = contextDirName(name);
  const files: Record<string, string> = {
    [join(configDir, 'contexts', 'meta', id, 'meta.json')]: JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, ...extra } } }),
  };
  for (const f of tlsFiles) files[join(configDir, 'contexts', 'tls', id, 'docker', f)] = 'PEM';
  return files;
}

t.test('parseHost: forms the docker CLI accepts', async (t) => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['unix:///var/run/docker.sock', { protocol: 'unix', socketPath: '/var/run/docker.sock' }],
    ['unix://', { protocol: 'unix', socketPath: '/var/run/docker.sock' }],
    ['unix://relative/d.sock', { protocol: 'unix', socketPath: 'relative/d.sock' }],
    ['tcp://10.0.0.5:2376', { protocol: 'tcp', host: '10.0.0.5', port: 2376, basePath: '' }],
    ['tcp://example.com', { protocol: 'tcp', host: 'example.com', port: undefined }],
    ['tcp://:2375', { protocol: 'tcp', host: 'localhost', port: 2375 }],
    ['tcp://[::1]:2376', { protocol: 'tcp', host: '::1', port: 2376 }],
    ['tcp://[fe80::1%eth0]:2375', { protocol: 'tcp', host: 'fe80::1%eth0', port: 2375 }],
    ['tcp://[::1]', { protocol: 'tcp', host: '::1', port: undefined }],
    ['tcp://h:2375/base/path/', { protocol: 'tcp', host: 'h', port: 2375, basePath: '/base/path' }],
    ['http://h:80', { protocol: 'tcp', scheme: 'http', host: 'h', port: 80 }],
    ['https://h', { protocol: 'tcp', scheme: 'https', host: 'h', port: undefined }],
    ['HTTPS://H:1', { protocol: 'tcp', scheme: 'https', host: 'H', port: 1 }],
    ['localhost:2375', { protocol: 'tcp', host: 'localhost', port: 2375 }],
    ['  tcp://h:1  ', { protocol: 'tcp', host: 'h', port: 1 }],
    ['ssh://me@build.example:2222', { protocol: 'ssh', ssh: { user: 'me', host: 'build.example', port: 2222, socketPath: undefined } }],
    ['ssh://host', { protocol: 'ssh', ssh: { user: undefined, host: 'host', port: undefined, socketPath: undefined } }],
    ['ssh://u@[::1]:22/run/docker.sock', { protocol: 'ssh', ssh: { user: 'u', host: '::1', port: 22, socketPath: '/run/docker.sock' } }],
  ];
  for (const [input, want] of cases) {
    t.match(parseHost(input, 'DOCKER_HOST'), want, input);
  }
});

t.test('parseHost: malformed hosts name the variable and the value', async (t) => {
  const bad: Array<[string, RegExp]> = [
    ['', /empty host/],
    ['   ', /empty host/],
    ['fd://', /socket-activation/],
    ['npipe:////./pipe/docker_engine', /Windows named pipe/],
    ['ftp://h', /unsupported scheme "ftp:\/\/"/],
    ['tcp://h:0', /not a port number/],
    ['tcp://h:65536', /not a port number/],
    ['tcp://h:abc', /not a port number/],
    ['tcp://h:', /not a port number/],
    ['tcp://::1:2375', /IPv6 address must be written in brackets/],
    ['tcp://[::1', /unclosed \[/],
    ['tcp://[::1]x', /unexpected "x"/],
    ['tcp://[zz]:1', /not an IPv6 address/],
    ['tcp://h:1?x=1', /query or fragment/],
    ['tcp://h:1#f', /query or fragment/],
    ['tcp://user:pw@h:1', /credentials/],
    ['tcp://bad host:1', /not a valid host name/],
    ['/var/run/docker.sock', /looks like a socket path; write unix:\/\/\/var\/run\/docker.sock/],
    ['unix:///s?x', /cannot carry a query/],
    ['ssh://', /needs a host/],
    ['ssh://u:pw@h', /passwords are not accepted/],
    ['ssh://@h', /empty user name/],
    // found by the fuzz run (test/unit/fuzz.test.ts)
    ['tcp://h:1/a/\n/', /the path may not contain whitespace or control characters/],
    ['f/\r//', /the path may not contain whitespace or control characters/],
    ['tcp://h/a b', /the path may not contain whitespace or control characters/],
    ['tcp://[fe81%eth0]:237', /"fe81%eth0" is not an IPv6 address/],
    ['tcp://[1.2.3.4]:1', /"1.2.3.4" is not an IPv6 address/],
    ['tcp://[::1%]:1', /not an IPv6 address/],
    // an ssh user or host read as an option of the ssh command
    ['ssh://-oProxyCommand=x@h', /may not start with "-"/],
    ['ssh://-oProxyCommand', /not a valid host name/],
    ['ssh://u\tx@h', /whitespace or control characters/],
  ];
  for (const [input, why] of bad) {
    const err = t.throws(() => parseHost(input, 'DOCKER_HOST'), DockerConfigError, JSON.stringify(input));
    if (err instanceof Error) {
      t.match(err.message, why, `${JSON.stringify(input)}: reason`);
      t.ok(err.message.startsWith(`DOCKER_HOST="${input}"`), `${JSON.stringify(input)}: names variable and value`);
    }
  }
});

t.test('resolution order: option > DOCKER_HOST > DOCKER_CONTEXT > config.json > default', async (t) => {
  const files = {
    ...SOCK,
    ...context('ctx-env', 'tcp://env-ctx:2375'),
    ...context('ctx-cfg', 'tcp://cfg-ctx:2375'),
    '/home/u/.docker/config.json': JSON.stringify({ currentContext: 'ctx-cfg' }),
  };
  const env = { DOCKER_HOST: 'tcp://from-env:2375', DOCKER_CONTEXT: 'ctx-env' };
  const a = resolve({ host: 'tcp://from-option:2375' }, env, files);
  t.equal(a.host, 'from-option');
  t.equal(a.source, 'option');
  const b = resolve({}, env, files);
  t.equal(b.host, 'from-env');
  t.equal(b.source, 'DOCKER_HOST');
  t.match(b.describe(), /DOCKER_CONTEXT="ctx-env" ignored because DOCKER_HOST is set/);
  const c = resolve({}, { DOCKER_CONTEXT: 'ctx-env' }, files);
  t.equal(c.host, 'env-ctx');
  t.equal(c.source, 'DOCKER_CONTEXT');
  t.equal(c.context, 'ctx-env');
  t.match(c.describe(), /context "ctx-env" \(DOCKER_CONTEXT\)/);
  const d = resolve({}, {}, files);
  t.equal(d.host, 'cfg-ctx');
  t.equal(d.source, 'config.json');
  t.match(d.describe(), /currentContext in config.json/);
  const e = resolve({}, {}, SOCK);
  t.equal(e.socketPath, '/var/run/docker.sock');
  t.equal(e.source, 'default');
  t.equal(e.describe(), 'unix:///var/run/docker.sock from the default socket');
  const f = resolve({ context: 'ctx-env' }, env, files);
  t.equal(f.host, 'env-ctx', 'an explicit context wins over DOCKER_HOST');
  t.match(f.describe(), /context "ctx-env" \(context option\)/);
  t.throws(() => resolve({ context: 'x', host: 'tcp://h' }), /conflict/);
  const g = resolve({ socketPath: '/tmp/x.sock' }, env, files);
  t.equal(g.socketPath, '/tmp/x.sock');
  t.equal(g.url, 'unix:///tmp/x.sock');
});

t.test('empty variables count as unset', async (t) => {
  const e = resolve({}, { DOCKER_HOST: '', DOCKER_CONTEXT: '' });
  t.equal(e.source, 'default');
});

t.test('DOCKER_CONFIG moves the config dir and the context store', async (t) => {
  const files = {
    ...SOCK,
    ...context('remote', 'tcp://r:2375', {}, [], '/etc/dk'),
    '/etc/dk/config.json': JSON.stringify({ currentContext: 'remote' }),
  };
  const e = resolve({}, { DOCKER_CONFIG: '/etc/dk' }, files);
  t.equal(e.host, 'r');
});

t.test('contexts: TLS files, SkipTLSVerify, default, missing', async (t) => {
  const tlsFiles = context('secure', 'tcp://s.example:2376', {}, ['ca.pem', 'cert.pem', 'key.pem']);
  const s = resolve({}, { DOCKER_CONTEXT: 'secure' }, { ...SOCK, ...tlsFiles });
  t.equal(s.port, 2376);
  t.ok(s.tls?.verify);
  t.match(s.tls?.caFile, /contexts\/tls\/[0-9a-f]{64}\/docker\/ca\.pem$/);
  t.match(s.tls?.certFile, /docker\/cert\.pem$/);
  t.match(s.describe(), /\(TLS, verified, client certificate\)/);
  const skip = resolve({}, { DOCKER_CONTEXT: 'skip' }, { ...SOCK, ...context('skip', 'tcp://k:2376', { SkipTLSVerify: true }) });
  t.equal(skip.tls?.verify, false);
  t.match(skip.describe(), /NOT verified/);
  const plain = resolve({}, { DOCKER_CONTEXT: 'plain' }, { ...SOCK, ...context('plain', 'tcp://p') });
  t.equal(plain.tls, undefined);
  t.equal(plain.port, 2375);
  const unix = resolve({}, { DOCKER_CONTEXT: 'u' }, { ...SOCK, ...context('u', 'unix:///run/u.sock') });
  t.equal(unix.socketPath, '/run/u.sock');
  const empty = resolve({}, { DOCKER_CONTEXT: 'e' }, { ...SOCK, ...context('e', '') });
  t.equal(empty.socketPath, '/var/run/docker.sock');
  const def = resolve({}, { DOCKER_CONTEXT: 'default' }, SOCK);
  t.equal(def.socketPath, '/var/run/docker.sock');
  t.equal(def.context, 'default');
  t.throws(() => resolve({}, { DOCKER_CONTEXT: 'nope' }), /DOCKER_CONTEXT="nope": no such context \(looked for .*meta\.json\)/);
  const cfg = { ...SOCK, '/home/u/.docker/config.json': JSON.stringify({ currentContext: 'gone' }) };
  t.throws(() => resolve({}, {}, cfg), /currentContext in \/home\/u\/\.docker\/config\.json="gone": no such context/);
  const badMeta = { ...SOCK, [join('/home/u/.docker/contexts/meta', contextDirName('b'), 'meta.json')]: '{nope' };
  t.throws(() => resolve({}, { DOCKER_CONTEXT: 'b' }, badMeta), /not valid JSON/);
  const noEndpoint = { ...SOCK, [join('/home/u/.docker/contexts/meta', contextDirName('n'), 'meta.json')]: '{"Name":"n","Endpoints":{}}' };
  t.throws(() => resolve({}, { DOCKER_CONTEXT: 'n' }, noEndpoint), /has no docker endpoint/);
  const half = { ...SOCK, ...context('h', 'tcp://h:2376', {}, ['cert.pem']) };
  t.throws(() => resolve({}, { DOCKER_CONTEXT: 'h' }, half), /without its pair/);
  t.throws(() => resolve({}, {}, { ...SOCK, '/home/u/.docker/config.json': '[1]' }), /should hold a JSON object/);
  t.throws(() => resolve({}, {}, { ...SOCK, '/home/u/.docker/config.json': 'x' }), /not valid JSON/);
  t.equal(contextDirName('default'), '37a8eec1ce19687d132fe29051dca629d164e2c4958ba141d5f4133a33f0688f');
});

t.test('TLS from the environment', async (t) => {
  const certs = { ...SOCK, '/c/ca.pem': 'x', '/c/cert.pem': 'x', '/c/key.pem': 'x' };
  const v = resolve({}, { DOCKER_HOST: 'tcp://h', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/c' }, certs);
  t.equal(v.port, 2376, 'TLS default port');
  t.same([v.tls?.verify, v.tls?.caFile, v.tls?.certFile, v.tls?.keyFile], [true, '/c/ca.pem', '/c/cert.pem', '/c/key.pem']);
  t.equal(v.origin, 'https://h:2376');
  const zero = resolve({}, { DOCKER_HOST: 'tcp://h:1', DOCKER_TLS_VERIFY: '0', DOCKER_CERT_PATH: '/c' }, certs);
  t.equal(zero.tls?.verify, true, 'DOCKER_TLS_VERIFY=0 still verifies (non-empty)');
  const off = resolve({}, { DOCKER_HOST: 'tcp://h', DOCKER_TLS_VERIFY: '' }, certs);
  t.equal(off.tls, undefined, 'empty DOCKER_TLS_VERIFY means no TLS');
  t.equal(off.port, 2375);
  const noVerify = resolve({}, { DOCKER_HOST: 'tcp://h', DOCKER_TLS: '1', DOCKER_CERT_PATH: '/c' }, certs);
  t.equal(noVerify.tls?.verify, false, 'DOCKER_TLS alone: TLS without verification');
  const home = resolve({}, { DOCKER_HOST: 'tcp://h', DOCKER_TLS_VERIFY: '1' }, { ...SOCK, '/home/u/.docker/ca.pem': 'x' });
  t.equal(home.tls?.caFile, '/home/u/.docker/ca.pem', 'cert path defaults to ~/.docker');
  t.equal(home.tls?.certFile, undefined);
  const system = resolve({}, { DOCKER_HOST: 'tcp://h', DOCKER_TLS_VERIFY: '1' }, SOCK);
  t.equal(system.tls?.caFile, undefined, 'no ca.pem in the default dir: the system CAs');
  t.throws(() => resolve({}, { DOCKER_HOST: 'tcp://h', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/missing' }), /DOCKER_CERT_PATH="\/missing": \/missing\/ca\.pem does not exist/);
  t.throws(() => resolve({}, { DOCKER_HOST: 'tcp://h', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/c' }, { ...SOCK, '/c/ca.pem': 'x', '/c/cert.pem': 'x' }), /cert\.pem without key\.pem/);
  const https = resolve({}, { DOCKER_HOST: 'https://h' }, SOCK);
  t.ok(https.tls?.verify, 'https:// means TLS with verification');
  t.equal(https.port, 2376);
  t.throws(() => resolve({}, { DOCKER_HOST: 'http://h', DOCKER_TLS_VERIFY: '1' }), /http:\/\/ \(from DOCKER_HOST\) asks for plain HTTP but DOCKER_TLS_VERIFY is set/);
  const unix = resolve({}, { DOCKER_HOST: 'unix:///s', DOCKER_TLS_VERIFY: '1' });
  t.equal(unix.tls, undefined, 'TLS does not apply to unix sockets');
  const opt = resolve({ host: 'tcp://h' }, { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/c' }, certs);
  t.ok(opt.tls, 'TLS variables apply to an explicit host, as with docker -H');
});

t.test('TLS from options', async (t) => {
  const o = resolve({ host: 'tcp://h', tls: { ca: 'CA', cert: 'C', key: 'K', servername: 'engine.local' } });
  t.same([o.tls?.verify, o.tls?.ca, o.tls?.cert, o.tls?.key, o.tls?.servername], [true, 'CA', 'C', 'K', 'engine.local']);
  const noVerify = resolve({ host: 'tcp://h', tls: { verify: false } });
  t.equal(noVerify.tls?.verify, false, 'verification is off only when asked');
  const on = resolve({ host: 'tcp://h', tls: true }, {}, { ...SOCK, '/home/u/.docker/ca.pem': 'x' });
  t.ok(on.tls?.verify);
  const dir = resolve({ host: 'tcp://h', tls: { certPath: '/c' } }, {}, { ...SOCK, '/c/ca.pem': 'x', '/c/cert.pem': 'x', '/c/key.pem': 'x' });
  t.equal(dir.tls?.certFile, '/c/cert.pem');
  const off = resolve({ host: 'tcp://h', tls: false }, { DOCKER_TLS_VERIFY: '1' });
  t.equal(off.tls, undefined, 'tls: false wins over the environment');
  t.throws(() => resolve({ host: 'https://h', tls: false }), /asks for TLS but the tls option is false/);
  t.throws(() => resolve({ host: 'tcp://h', tls: { cert: 'C' } }), /both cert and key/);
  t.throws(() => resolve({ host: 'http://h', tls: true }), /the tls option is true/);
});

t.test('default socket and its alternatives', async (t) => {
  const rootless = resolveEndpoint({}, fakeEnv({ XDG_RUNTIME_DIR: '/run/user/1000' }, { '/run/user/1000/docker.sock': '' }));
  t.equal(rootless.socketPath, '/run/user/1000/docker.sock');
  t.match(rootless.describe(), /\/var\/run\/docker\.sock does not exist; found \/run\/user\/1000\/docker\.sock/);
  const desktop = resolveEndpoint({}, fakeEnv({}, { '/home/u/.docker/run/docker.sock': '' }));
  t.equal(desktop.socketPath, '/home/u/.docker/run/docker.sock');
  const none = resolveEndpoint({}, fakeEnv({}, {}));
  t.equal(none.socketPath, '/var/run/docker.sock', 'nothing found: the default, so errors name it');
});

t.test('describe, url, origin and loopback', async (t) => {
  const plain = resolve({ host: 'tcp://10.1.2.3:2375' });
  t.equal(plain.describe(), 'tcp://10.1.2.3:2375 (plain HTTP, no TLS) from the host option');
  t.notOk(plain.isLoopback);
  t.ok(resolve({ host: 'tcp://127.0.0.1:2375' }).isLoopback);
  t.ok(resolve({ host: 'tcp://[::1]:2375' }).isLoopback);
  t.ok(resolve({ host: 'tcp://localhost:2375' }).isLoopback);
  t.equal(resolve({ host: 'tcp://[::1]:2375/x' }).url, 'tcp://[::1]:2375/x');
  t.equal(resolve({ host: 'tcp://[::1]:2375' }).origin, 'http://[::1]:2375');
  t.equal(resolve({ host: 'unix:///s' }).origin, 'http://api.moby.localhost');
  t.equal(resolve({ host: 'ssh://u@h:2' }).url, 'ssh://u@h:2');
  t.equal(String(resolve({ host: 'unix:///s' })), 'unix:///s');
});
