import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { DockerConnectionError } from '../../src/index.js';
import { REPLAY_LIMIT, SshChannel, type ChannelHooks, type Leg } from '../../src/engine/ssh/channel.js';
import { sshConnectionError, type SshErrorContext, type SshFailure } from '../../src/engine/ssh/diagnose.js';

/**
 * The channel over real child processes that behave as the ssh client
 * does in each case (node scripts: echo as dial-stdio would, or ssh's exit
 * status and stderr when it fails), so every path is exact and needs no
 * sshd.
 */

const CTX: SshErrorContext = {
  endpoint: 'ssh://root@box', destination: 'root@box', checkCommand: 'ssh root@box docker version', socketPath: undefined,
};

/** A child running `script` with node; `name` tells the legs apart. */
function leg(name: string, script: string): Leg<string> {
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
  return { child, master: name };
}

/** Echoes stdin; after stdin's end, says how many bytes it got — output after a half-close. */
const ECHO = `let n = 0; process.stdin.on('data', (d) => { n += d.length; process.stdout.write(d); });
process.stdin.on('end', () => { process.stdout.write('[' + n + ' bytes]'); });`;
/** ssh when sshd refuses the session (MaxSessions): the command never ran. */
const REFUSED = `process.stderr.write('mux_client_request_session: session request failed: Session open refused by peer\\r\\n'); process.exit(255);`;
/** ssh when the master is gone and ProxyCommand=false stops the fallback. */
const GONE = `process.stderr.write('kex_exchange_identification: Connection closed by remote host\\r\\nConnection closed by UNKNOWN port 65535\\r\\n'); process.exit(255);`;

function hooks(next: Array<() => Leg<string>>, reopened: Array<{ failure: SshFailure; failed: string }>): ChannelHooks<string> {
  return {
    reopen: async (failure, failed) => {
      reopened.push({ failure, failed: failed.master });
      const make = next.shift();
      if (make === undefined) throw new Error('no more legs');
      return make();
    },
    error: (failure, exit, stderr) => sshConnectionError(failure, CTX, exit, stderr),
  };
}

/** Everything the channel outputs, or its error. */
async function drain(channel: SshChannel<string>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of channel) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

t.test('bytes both ways, and output keeps coming after a half-close', async (t) => {
  const channel = new SshChannel(leg('a', ECHO), hooks([], []));
  const output = drain(channel);
  channel.write('GET /_ping HTTP/1.1\r\n');
  channel.end('\r\n');
  t.equal(await output, 'GET /_ping HTTP/1.1\r\n\r\n[23 bytes]', 'the echo, then what came after the end of stdin');
});

t.test('a command that ends without output ends the stream', async (t) => {
  const channel = new SshChannel(leg('a', 'process.stdin.resume(); process.stdin.on("end", () => process.exit(0));'), hooks([], []));
  const output = drain(channel);
  channel.end('ignored');
  t.equal(await output, '');
});

for (const [why, script, kind] of [['session refused', REFUSED, 'session-refused'], ['master gone', GONE, 'master-gone']] as const) {
  t.test(`${why} before the command ran: everything written goes again over a new channel`, async (t) => {
    const reopened: Array<{ failure: SshFailure; failed: string }> = [];
    const channel = new SshChannel(leg('first', script), hooks([() => leg('second', ECHO)], reopened));
    const output = drain(channel);
    channel.write('POST /containers/create HTTP/1.1\r\n');
    channel.write(Buffer.alloc(1000, 0x61));
    channel.end('\r\n');
    t.equal(await output, `POST /containers/create HTTP/1.1\r\n${'a'.repeat(1000)}\r\n[1036 bytes]`, 'the new channel got every byte once, and the end');
    t.equal(reopened.length, 1);
    t.equal(reopened[0]?.failure.kind, kind);
    t.equal(reopened[0]?.failed, 'first');
  });
}

t.test('writes that come while the new channel opens keep their order', async (t) => {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  let between: () => void = () => undefined;
  const failed = new Promise<void>((resolve) => { between = resolve; });
  const base = hooks([() => leg('second', ECHO)], []);
  const channel = new SshChannel(leg('first', REFUSED), {
    ...base,
    reopen: async (failure, failedLeg) => {
      between();
      await gate;
      return base.reopen(failure, failedLeg);
    },
  });
  const output = drain(channel);
  channel.write('one,');
  await failed; // the first leg failed: the channel is between legs, write more there
  channel.write('two,');
  channel.end('three');
  release();
  t.equal(await output, 'one,two,three[13 bytes]');
});

t.test('a failure the command may have seen is not retried', async (t) => {
  await t.test('after the first byte', async (t) => {
    const reopened: Array<{ failure: SshFailure; failed: string }> = [];
    const channel = new SshChannel(leg('a', `process.stdout.write('HTTP/1.1 200 OK\\r\\n', () => { ${GONE} });`), hooks([() => leg('b', ECHO)], reopened));
    channel.write('GET / HTTP/1.1\r\n\r\n');
    const err = await drain(channel).then(() => undefined, (e: unknown) => e);
    t.type(err, DockerConnectionError, 'the stream fails rather than ends');
    t.match((err as Error).message, /shared ssh connection to root@box is gone/);
    t.equal(reopened.length, 0);
  });
  await t.test('more than the replay keeps', async (t) => {
    const reopened: Array<{ failure: SshFailure; failed: string }> = [];
    const channel = new SshChannel(leg('a', `process.stdin.once('end', () => { ${REFUSED} }); process.stdin.resume();`), hooks([() => leg('b', ECHO)], reopened));
    const output = drain(channel);
    channel.end(Buffer.alloc(REPLAY_LIMIT + 1));
    await t.rejects(output, /refused another session/);
    t.equal(reopened.length, 0);
  });
  await t.test('the docker CLI missing on the remote side', async (t) => {
    const reopened: Array<{ failure: SshFailure; failed: string }> = [];
    const channel = new SshChannel(leg('a', `process.stderr.write('bash: docker: command not found\\n'); process.exit(127);`), hooks([], reopened));
    channel.end('GET / HTTP/1.1\r\n\r\n');
    await t.rejects(drain(channel), { name: 'DockerConnectionError', message: /docker CLI is not on root@box: bash: docker: command not found/ });
    t.equal(reopened.length, 0);
  });
});

t.test('a shared connection that keeps going away: three channels, then the error', async (t) => {
  const reopened: Array<{ failure: SshFailure; failed: string }> = [];
  const channel = new SshChannel(leg('1', GONE), hooks([() => leg('2', GONE), () => leg('3', GONE), () => leg('4', ECHO)], reopened));
  channel.end('x');
  await t.rejects(drain(channel), /shared ssh connection to root@box is gone/);
  t.same(reopened.map((r) => r.failed), ['1', '2']);
});

t.test('a server that refuses every session: eight channels, then the error', async (t) => {
  const reopened: Array<{ failure: SshFailure; failed: string }> = [];
  const next = Array.from({ length: 8 }, (_, i) => () => leg(String(i + 2), REFUSED));
  const channel = new SshChannel(leg('1', REFUSED), hooks(next, reopened));
  channel.end('x');
  await t.rejects(drain(channel), /refused another session/);
  t.same(reopened.map((r) => r.failed), ['1', '2', '3', '4', '5', '6', '7']);
});

t.test('a reopen that fails fails the channel with its error', async (t) => {
  const channel = new SshChannel(leg('1', REFUSED), hooks([], []));
  channel.end('x');
  await t.rejects(drain(channel), /no more legs/);
});

t.test('destroy ends the child', async (t) => {
  const first = leg('a', 'process.stdin.resume(); setInterval(() => undefined, 1000);');
  const channel = new SshChannel(first, hooks([], []));
  const exited = once(first.child, 'exit');
  channel.write('x');
  channel.destroy();
  const [code, signal] = await exited as [number | null, NodeJS.Signals | null];
  t.same({ code, signal }, { code: null, signal: 'SIGTERM' });
  t.equal(channel.pid, undefined, 'no child any more');
});
