import t from 'tap';
import { DockerConfigError, parseHost, type SshTarget } from '../../src/index.js';
import {
  ORPHAN_PERSIST_SECONDS, channelArgs, checkCommand, checkSshTarget, destinationArgs, masterArgs, remoteCommand, shellQuote,
  type SshOptions,
} from '../../src/engine/ssh/args.js';

function target(host: string): SshTarget {
  const parsed = parseHost(host, 'test');
  if (parsed.ssh === undefined) throw new Error(`${host} is not ssh`);
  return parsed.ssh;
}

/** The value following `flag` (the first occurrence), or undefined. */
function after(args: readonly string[], flag: string): string | undefined {
  const at = args.indexOf(flag);
  return at < 0 ? undefined : args[at + 1];
}

/** The values of every `-o Name=value`, in order. */
function options(args: readonly string[]): string[] {
  return args.flatMap((a, i) => (args[i - 1] === '-o' ? [a] : []));
}

t.test('the destination: user, port and host after --, as the docker CLI passes them', async (t) => {
  t.same(destinationArgs(target('ssh://build-host')), ['--', 'build-host']);
  t.same(destinationArgs(target('ssh://me@build-host')), ['-l', 'me', '--', 'build-host']);
  t.same(destinationArgs(target('ssh://me@build-host:2222')), ['-l', 'me', '-p', '2222', '--', 'build-host']);
  t.same(destinationArgs(target('ssh://root@[::1]:22/run/docker.sock')), ['-l', 'root', '-p', '22', '--', '::1'], 'IPv6 without brackets');
  t.same(destinationArgs(target('ssh://[fe80::1%eth0]')), ['--', 'fe80::1%eth0']);
  t.same(destinationArgs(target('ssh://me@corp@host')), ['-l', 'me@corp', '--', 'host'], 'the last @ separates the user');
});

t.test('the remote command: docker system dial-stdio, with --host for a socket path', async (t) => {
  t.same(remoteCommand(undefined), ['docker', 'system', 'dial-stdio']);
  t.same(remoteCommand('/run/user/1000/docker.sock'), ['docker', '--host', 'unix:///run/user/1000/docker.sock', 'system', 'dial-stdio']);
  t.same(remoteCommand('/tmp/my dir/it\'s.sock'), ['docker', '--host', `'unix:///tmp/my dir/it'\\''s.sock'`, 'system', 'dial-stdio'],
    'the remote shell sees one word');
  t.equal(shellQuote('$(reboot)'), `'$(reboot)'`);
  t.equal(shellQuote('a;b'), `'a;b'`);
  t.equal(shellQuote('plain/path-1.sock'), 'plain/path-1.sock');
});

t.test('the master: -M on a private control socket, forked after authentication, log to a file', async (t) => {
  const args = masterArgs({ target: target('ssh://root@10.0.0.5:2222/var/run/docker.sock'), options: {} }, '/tmp/d/m1', '/tmp/d/m1.log', 30);
  t.equal(after(args, '-S'), '/tmp/d/m1');
  t.equal(after(args, '-E'), '/tmp/d/m1.log');
  for (const flag of ['-M', '-f', '-N', '-T']) t.ok(args.includes(flag), flag);
  t.same(options(args), [
    `ControlPersist=${ORPHAN_PERSIST_SECONDS}`, 'BatchMode=yes', 'ConnectTimeout=30', 'ClearAllForwardings=yes',
    'ForwardAgent=no', 'ForwardX11=no', 'PermitLocalCommand=no',
  ]);
  t.same(args.slice(-6), ['-l', 'root', '-p', '2222', '--', '10.0.0.5'], 'the destination comes last');
  t.notOk(args.includes('-F'), 'no -F: ssh reads ~/.ssh/config and /etc/ssh/ssh_config as usual');
  t.notOk(args.includes('-i'), 'no -i: the agent and ssh_config choose the key');
  t.notOk(args.includes('docker'), 'the master runs no command');
});

t.test('config file, identity file and extra arguments', async (t) => {
  const opts: SshOptions = { configFile: '/etc/berth/ssh_config', identityFile: '/keys/id_ed25519', extraArgs: ['-o', 'BatchMode=no', '-J', 'bastion'] };
  const common = { target: target('ssh://me@box'), options: opts };
  const master = masterArgs(common, '/c', '/l', 10);
  t.same(master.slice(0, 4), ['-o', 'BatchMode=no', '-J', 'bastion'], 'extra arguments first: ssh keeps the first value, so they override the defaults');
  t.equal(after(master, '-F'), '/etc/berth/ssh_config');
  t.equal(after(master, '-i'), '/keys/id_ed25519');
  t.equal(options(master).find((o) => o.startsWith('BatchMode')), 'BatchMode=no');

  const channel = channelArgs(common, '/c');
  t.same(channel.slice(0, 6), ['-S', '/c', '-o', 'ControlMaster=no', '-o', 'ProxyCommand=false'],
    'the channel must go through the master: these come before anything that could override them');
  t.ok(channel.indexOf('-J') > channel.indexOf('ProxyCommand=false'), 'extra arguments after them');
  t.equal(after(channel, '-F'), '/etc/berth/ssh_config', 'the channel reads the same config');
  t.notOk(channel.includes('-i'), 'a channel does not authenticate');
  t.notOk(channel.includes('-M'));
  t.ok(options(channel).includes('RemoteCommand=none'), 'a RemoteCommand in ssh_config would conflict with dial-stdio');
  t.same(channel.slice(channel.indexOf('-l')), ['-l', 'me', '--', 'box', 'docker', 'system', 'dial-stdio']);
});

t.test('the check command names what the user can run by hand', async (t) => {
  t.equal(checkCommand({ target: target('ssh://root@127.0.0.1:2222/tmp/x/docker.sock'), options: {} }),
    'ssh -p 2222 root@127.0.0.1 docker --host unix:///tmp/x/docker.sock version');
  t.equal(checkCommand({ target: target('ssh://box'), options: { configFile: '/c f', identityFile: '/k' } }),
    `ssh -F '/c f' -i /k box docker version`);
});

t.test('values that cannot go on an ssh command line are refused before anything runs', async (t) => {
  const ok = target('ssh://me@box');
  t.doesNotThrow(() => checkSshTarget(ok, { maxSessions: 1, idleTimeout: 0 }));
  const refused: Array<[string, SshTarget, SshOptions]> = [
    ['user starting with -', { ...ok, user: '-oProxyCommand=x' }, {}],
    ['user with a space', { ...ok, user: 'a b' }, {}],
    ['host starting with -', { ...ok, host: '-oProxyCommand=x' }, {}],
    ['relative socket', { ...ok, socketPath: 'docker.sock' }, {}],
    ['empty identity file', ok, { identityFile: '' }],
    ['zero max sessions', ok, { maxSessions: 0 }],
    ['fractional max sessions', ok, { maxSessions: 1.5 }],
    ['negative idle timeout', ok, { idleTimeout: -1 }],
  ];
  for (const [why, tgt, opts] of refused) t.throws(() => checkSshTarget(tgt, opts), DockerConfigError, why);
});

t.test('ssh:// URLs the endpoint parser refuses', async (t) => {
  t.throws(() => parseHost('ssh://me:secret@box', 'DOCKER_HOST'), /passwords are not accepted/);
  t.throws(() => parseHost('ssh://box?x=1', 'DOCKER_HOST'), /query or fragment/);
  t.throws(() => parseHost('ssh://', 'DOCKER_HOST'), /needs a host/);
});
