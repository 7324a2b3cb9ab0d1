import t from 'tap';
import { DockerConnectionError, DockerTimeoutError } from '../../src/index.js';
import {
  classifySshFailure, significantLines, sshConnectionError, sshSpawnError, sshTimeoutError, type SshErrorContext, type SshFailureKind,
} from '../../src/engine/ssh/diagnose.js';

/**
 * The texts below are what OpenSSH 9.2 and the docker CLI (28.2 and 20.10)
 * print in each case, as captured from real runs.
 */

const CTX: SshErrorContext = {
  endpoint: 'ssh://root@127.0.0.1:2222/tmp/e/docker.sock',
  destination: 'root@127.0.0.1:2222',
  checkCommand: 'ssh -p 2222 root@127.0.0.1 docker --host unix:///tmp/e/docker.sock version',
  socketPath: '/tmp/e/docker.sock',
};
const EXIT = { code: 255, signal: null };

const CASES: ReadonlyArray<[string, 'master' | 'channel', string, SshFailureKind, string]> = [
  ['wrong key', 'master', 'root@127.0.0.1: Permission denied (publickey).\r\n', 'auth', 'root@127.0.0.1: Permission denied (publickey).'],
  ['unknown host key', 'master',
    'No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\r\nHost key verification failed.\r\n',
    'host-key', 'No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.'],
  ['changed host key', 'master',
    '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\nIT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\nHost key verification failed.\n',
    'host-key', '@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @'],
  ['unknown host', 'master', 'ssh: Could not resolve hostname nosuchhost.invalid: Name or service not known\r\n', 'resolve',
    'ssh: Could not resolve hostname nosuchhost.invalid: Name or service not known'],
  ['refused', 'master', 'ssh: connect to host 127.0.0.1 port 1: Connection refused\r\n', 'unreachable', 'ssh: connect to host 127.0.0.1 port 1: Connection refused'],
  ['server hung up on the master', 'master', 'kex_exchange_identification: Connection closed by remote host\r\nConnection closed by 127.0.0.1 port 2222\r\n',
    'unreachable', 'kex_exchange_identification: Connection closed by remote host'],
  ['no docker (bash)', 'channel', '/usr/bin/env: \'bash\': No such file or directory\nbash: docker: command not found\n', 'no-docker', 'bash: docker: command not found'],
  ['no docker (dash)', 'channel', 'sh: 1: docker: not found\n', 'no-docker', 'sh: 1: docker: not found'],
  ['no engine (CLI 28)', 'channel', 'failed to open the raw stream connection: dial unix /tmp/nope.sock: connect: no such file or directory\n', 'engine',
    'failed to open the raw stream connection: dial unix /tmp/nope.sock: connect: no such file or directory'],
  ['engine socket not allowed', 'channel',
    'failed to open the raw stream connection: dial unix /var/run/docker.sock: connect: permission denied\n', 'engine-permission',
    'failed to open the raw stream connection: dial unix /var/run/docker.sock: connect: permission denied'],
  ['session refused', 'channel',
    'mux_client_request_session: session request failed: Session open refused by peer\r\nkex_exchange_identification: Connection closed by remote host\r\nConnection closed by UNKNOWN port 65535\r\n',
    'session-refused', 'mux_client_request_session: session request failed: Session open refused by peer'],
  ['master gone', 'channel', 'kex_exchange_identification: Connection closed by remote host\r\nConnection closed by UNKNOWN port 65535\r\n', 'master-gone',
    'kex_exchange_identification: Connection closed by remote host'],
  ['old docker CLI', 'channel', 'docker: \'dial-stdio\' is not a docker command.\nSee \'docker system --help\'\n', 'old-docker',
    'docker: \'dial-stdio\' is not a docker command.'],
  ['something else', 'channel', 'Warning: Permanently added \'[127.0.0.1]:2222\' (ED25519) to the list of known hosts.\r\nchannel 0: open failed: unknown channel type\r\n',
    'other', 'channel 0: open failed: unknown channel type'],
];

t.test('classifies what ssh and the remote docker CLI say', async (t) => {
  for (const [why, phase, stderr, kind, line] of CASES) {
    const failure = classifySshFailure(stderr, phase);
    t.equal(failure.kind, kind, `${why}: kind`);
    t.equal(failure.line, line, `${why}: the line that says it`);
    t.equal(failure.retryable, kind === 'session-refused' || kind === 'master-gone', `${why}: retryable only when the command never ran`);
  }
});

t.test('noise is not a diagnosis', async (t) => {
  t.same(significantLines('Warning: Permanently added \'x\' (ED25519) to the list of known hosts.\r\n\r\ndebug1: x\nreal line\n'), ['real line']);
  t.same(classifySshFailure('', 'channel'), { kind: 'other', line: '', retryable: false });
});

t.test('errors carry ssh\'s own line, a hint, and the whole stderr as the cause', async (t) => {
  const check = (stderr: string, phase: 'master' | 'channel', message: RegExp, hint: RegExp, syscallCode?: string): DockerConnectionError => {
    const err = sshConnectionError(classifySshFailure(stderr, phase), CTX, EXIT, stderr);
    t.type(err, DockerConnectionError);
    t.match(err.message, message);
    t.match(err.hint ?? '', hint);
    t.equal(err.syscallCode, syscallCode, `syscallCode of ${message.source}`);
    t.equal(err.endpoint, CTX.endpoint);
    t.notOk(err.message.includes('\n'), 'one line');
    t.match((err.cause as Error).message, stderr.trim().split('\n')[0] ?? '', 'stderr kept as the cause');
    return err;
  };
  check('root@127.0.0.1: Permission denied (publickey).\r\n', 'master', /^ssh to root@127\.0\.0\.1:2222 failed: root@127\.0\.0\.1: Permission denied \(publickey\)\./,
    /identityFile.*check ssh access: ssh -p 2222 root@127\.0\.0\.1 docker --host unix:\/\/\/tmp\/e\/docker\.sock version/);
  check('No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\r\nHost key verification failed.\r\n', 'master',
    /No ED25519 host key is known/, /known_hosts.*StrictHostKeyChecking/);
  check('ssh: Could not resolve hostname nosuchhost.invalid: Name or service not known\n', 'master', /Could not resolve hostname/, /host name/, 'ENOTFOUND');
  check('ssh: connect to host 127.0.0.1 port 1: Connection refused\n', 'master', /Connection refused/, /sshd running/, 'ECONNREFUSED');
  check('bash: docker: command not found\n', 'channel', /docker CLI is not on root@127\.0\.0\.1:2222: bash: docker: command not found/, /install the docker CLI.*PATH/);
  check('failed to open the raw stream connection: dial unix /tmp/e/docker.sock: connect: no such file or directory\n', 'channel',
    /cannot reach the engine at unix:\/\/\/tmp\/e\/docker\.sock: .*no such file or directory/, /dockerd running .* \/tmp\/e\/docker\.sock/, 'ENOENT');
  check('dial unix /var/run/docker.sock: connect: permission denied\n', 'channel', /may not use the engine/, /docker group/, 'EACCES');
  check('mux_client_request_session: session request failed: Session open refused by peer\n', 'channel', /refused another session/, /MaxSessions/);
  const quiet = sshConnectionError(classifySshFailure('', 'channel'), CTX, { code: 1, signal: null }, '');
  t.match(quiet.message, /ssh exited with code 1 and said nothing/);
  const killed = sshConnectionError(classifySshFailure('', 'channel'), CTX, { code: null, signal: 'SIGKILL' }, '');
  t.match(killed.message, /was killed by SIGKILL/);
});

t.test('a missing ssh client and a slow server', async (t) => {
  const missing = sshSpawnError('/nope/ssh', Object.assign(new Error('spawn /nope/ssh ENOENT'), { code: 'ENOENT' }), CTX.endpoint);
  t.match(missing.message, /cannot run the ssh client "\/nope\/ssh": not found/);
  t.match(missing.hint ?? '', /ssh\.binary/);
  const slow = sshTimeoutError(CTX, 1500);
  t.type(slow, DockerTimeoutError);
  t.match(slow.message, /did not connect and authenticate within 1500 ms/);
});
