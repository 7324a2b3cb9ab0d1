import t, { type Test } from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Docker, DockerConnectionError, DockerTimeoutError, NotFoundError, splitOutput, type DockerOptions, type Frame, type SshOptions,
} from '../../src/index.js';
import { isObject } from '../../src/engine/json.js';
import { MuxControl } from '../../src/engine/ssh/mux-control.js';
import type { SshSession } from '../../src/engine/ssh/session.js';
import { dockerFor, engineOr, type TestEngine } from '../helpers/engines.js';
import { processExit, processesMentioning, sshdUnavailable, startSshd, type Sshd } from '../helpers/sshd.js';

/**
 * ssh:// endpoints against a private sshd in front of a private dockerd:
 * the system ssh client runs `docker --host unix://… system dial-stdio` on
 * the "remote" side, over one shared connection per client. sshd's log
 * counts the ssh connections (logins) and channels (sessions).
 */

const LABELS = { 'berth.test': 'ssh' };
const INDEX = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'index.js');

interface Setup {
  engine: TestEngine;
  /** A client of the engine's own socket, for cleanup that must work whatever ssh does. */
  direct: Docker;
  sshd: Sshd;
  socketPath: string;
  url(port?: number, socketPath?: string): string;
  client(t: Test, ssh?: SshOptions, options?: DockerOptions): Docker;
}

function sessionOf(docker: Docker): SshSession {
  const session = docker.sshSession;
  if (session === undefined) throw new Error('not an ssh client');
  return session;
}

/** Closes the client and proves no ssh process of it is left, nor its private directory. */
async function closeAndCheck(t: Test, docker: Docker): Promise<void> {
  const dir = sessionOf(docker).directory;
  await docker.close();
  if (dir === undefined) return;
  t.same(processesMentioning(dir), [], 'no ssh process left behind');
  t.notOk(existsSync(dir), 'the private directory is removed');
}

/** What the client's masters logged (ssh -E), while the client is open. */
function masterLogs(docker: Docker): string {
  const dir = sessionOf(docker).directory;
  if (dir === undefined) return '';
  return readdirSync(dir).filter((f) => f.endsWith('.log')).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
}

async function collectFrames(frames: AsyncIterable<Frame>): Promise<{ stdout: string; stderr: string }> {
  const got: Frame[] = [];
  for await (const f of frames) got.push(f);
  const { stdout, stderr } = splitOutput(got);
  return { stdout: stdout.toString(), stderr: stderr.toString() };
}

async function createdId(answer: Promise<unknown>): Promise<string> {
  const created = await answer;
  if (!isObject(created) || typeof created.Id !== 'string') throw new Error(`unexpected answer ${JSON.stringify(created)}`);
  return created.Id;
}

async function removeQuietly(docker: Docker, id: string): Promise<void> {
  await docker.containers.remove(id, { force: true }).catch((err: unknown) => {
    if (!(err instanceof NotFoundError)) throw err;
  });
}

/** A running container that sleeps, created through `docker` and removed at teardown through the engine's own socket. */
async function sleeper(t: Test, s: Setup, docker: Docker): Promise<string> {
  const { Id } = await docker.containers.create({
    Image: s.engine.image, Cmd: ['sleep', '600'], Labels: LABELS, HostConfig: { NetworkMode: 'none' },
  });
  t.teardown(() => removeQuietly(s.direct, Id));
  await docker.containers.start(Id);
  return Id;
}

/** `count` waits registered on a running container, its kill, and the exit statuses every wait saw. */
async function waitsThroughKill(docker: Docker, id: string, count: number, meanwhile: () => Promise<void> = async () => undefined): Promise<number[]> {
  const waiters = await Promise.all(Array.from({ length: count }, () => docker.containers.waiter(id)));
  await meanwhile();
  await docker.containers.kill(id);
  return (await Promise.all(waiters.map((w) => w.result))).map((r) => r.StatusCode);
}

async function setup(t: Test, extraSshd: readonly string[] = []): Promise<Setup | undefined> {
  const engine = engineOr(t, 'dockerd-20.10');
  if (!engine) return undefined;
  const why = sshdUnavailable();
  if (why !== undefined) {
    t.pass(why, { skip: why });
    return undefined;
  }
  const sshd = await startSshd(t, extraSshd);
  const socketPath = engine.socket.replace(/^unix:\/\//, '');
  const url = (port = sshd.port, sock = socketPath): string => `ssh://root@127.0.0.1:${port}${sock}`;
  const client = (tt: Test, ssh: SshOptions = {}, options: DockerOptions = {}): Docker => {
    const docker = new Docker({
      host: url(), env: {}, ...options, ssh: { configFile: sshd.configFile, identityFile: sshd.clientKey, ...ssh },
    });
    tt.teardown(() => docker.close());
    return docker;
  };
  return { engine, direct: dockerFor(t, engine), sshd, socketPath, url, client };
}

t.test('ssh:// endpoints through the system ssh client', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const { engine, sshd } = s;

  await t.test('ping, negotiation, and a hundred requests over one ssh connection', async (t) => {
    const logins = sshd.logins();
    const sessions = sshd.sessions();
    const docker = s.client(t);
    t.equal(docker.endpoint.url, s.url());
    const ping = await docker.ping();
    t.equal(docker.apiVersion, engine.apiVersion, 'negotiated over ssh');
    t.equal(ping.negotiatedVersion, engine.apiVersion);
    t.equal((await docker.version()).Version, engine.version);
    for (let i = 0; i < 100; i++) {
      if (i % 2 === 0) await docker.version();
      else await docker.containers.list({ all: true });
    }
    t.equal(sshd.logins() - logins, 1, 'one ssh connection for all of them');
    t.equal(sessionOf(docker).masterPids.length, 1, 'one master');
    const used = sshd.sessions() - sessions;
    t.ok(used <= 5, `keep-alive channels are reused: ${used} dial-stdio sessions for 102 requests`);
    await closeAndCheck(t, docker);
  });

  await t.test('containers: create, start, wait, logs, remove', async (t) => {
    const docker = s.client(t);
    await removeQuietly(s.direct, 'berth-ssh-lifecycle'); // a leftover of an interrupted run
    const { Id } = await docker.containers.create({
      Image: engine.image, Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'], Labels: LABELS, HostConfig: { NetworkMode: 'none' },
    }, { name: 'berth-ssh-lifecycle' });
    t.teardown(() => removeQuietly(s.direct, Id));
    const waiter = await docker.containers.waiter(Id, { condition: 'next-exit' });
    t.same(await docker.containers.start(Id), { changed: true });
    t.equal((await waiter.result).StatusCode, 3, 'the exit status came back through ssh');
    t.same(await collectFrames(docker.containers.logs(Id)), { stdout: 'out\n', stderr: 'err\n' }, 'logs, demultiplexed');
    const buffered = await docker.containers.logsBuffer(Id, { stderr: false });
    t.equal(buffered.stdout.toString(), 'out\n');
    await docker.containers.remove(Id);
    await t.rejects(docker.containers.inspect(Id), NotFoundError, 'removed');
    await closeAndCheck(t, docker);
  });

  await t.test('attach and exec: stdin in, half-close, output until the engine closes', async (t) => {
    const docker = s.client(t);
    const { Id } = await docker.containers.create({
      Image: engine.image, Cmd: ['sh', '-c', 'cat; echo done >&2'], Labels: LABELS, HostConfig: { NetworkMode: 'none' },
      OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false,
    });
    t.teardown(() => removeQuietly(s.direct, Id));
    const attached = await docker.containers.attach(Id, { stdin: true });
    const output = collectFrames(attached.frames());
    await docker.containers.start(Id);
    await attached.write('hello over ssh\n');
    await attached.end(Buffer.from('wörld ✓\n'));
    t.same(await output, { stdout: 'hello over ssh\nwörld ✓\n', stderr: 'done\n' }, 'attach: cat saw the end of stdin; output came after it');
    await attached.closed;
    t.equal((await docker.containers.wait(Id)).StatusCode, 0);

    const id = await sleeper(t, s, docker);
    const result = await docker.containers.exec(id, ['sh', '-c', 'cat; echo done >&2; exit 4'], { stdin: 'from stdin\n' });
    t.equal(result.exitCode, 4, 'the exit code, read after the output ended');
    t.equal(result.stdout.toString(), 'from stdin\n');
    t.equal(result.stderr.toString(), 'done\n');

    const raw = await createdId(docker.requester.json({
      method: 'POST', path: `/containers/${id}/exec`,
      json: { Cmd: ['sh', '-c', 'cat; echo after >&2'], AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false },
    }));
    const h = await docker.requester.upgrade({ method: 'POST', path: `/exec/${raw}/start`, json: { Detach: false, Tty: false } });
    t.ok(h.statusCode === 101 || h.statusCode === 200, `the raw hijack: ${h.statusCode}`);
    const rawOutput = collectFrames(h.frames({ tty: false }));
    await h.end('raw\n');
    t.same(await rawOutput, { stdout: 'raw\n', stderr: 'after\n' });
    await closeAndCheck(t, docker);
  });

  await t.test('concurrent requests: several channels at once over the one connection', async (t) => {
    const logins = sshd.logins();
    const docker = s.client(t);
    const id = await sleeper(t, s, docker);
    // 4 waits and at most a few unary channels: under sshd's 10 sessions, so one connection
    const statuses = await waitsThroughKill(docker, id, 4, async () => {
      const versions = await Promise.all(Array.from({ length: 3 }, () => docker.version()));
      t.ok(sessionOf(docker).openChannels >= 5, `${sessionOf(docker).openChannels} channels open at once (4 waits and the unary pool)`);
      t.ok(versions.every((v) => v.Version === engine.version), 'unary calls answered while the waits are open');
    });
    t.same(statuses, [137, 137, 137, 137], 'every wait saw the kill');
    t.equal(sshd.logins() - logins, 1, 'still one ssh connection');
    await closeAndCheck(t, docker);
  });

  await t.test('a master that dies is replaced on the next request', async (t) => {
    const logins = sshd.logins();
    const docker = s.client(t);
    await docker.ping();
    const session = sessionOf(docker);
    const [pid] = session.masterPids;
    if (pid === undefined) throw new Error('no master');
    const gone = once(session, 'master-gone');
    process.kill(pid, 'SIGKILL');
    t.same(await gone, [pid], 'noticed at once through the control connection');
    t.equal((await docker.version()).Version, engine.version, 'the next request works');
    const [next] = session.masterPids;
    t.ok(next !== undefined && next !== pid, 'over a new master');
    t.equal(sshd.logins() - logins, 2, 'a second ssh connection, no more');
    await closeAndCheck(t, docker);
  });

  await t.test('an idle connection closes after idleTimeout, and the next request opens one', async (t) => {
    const logins = sshd.logins();
    const docker = s.client(t, { idleTimeout: 0.2 }, { keepAliveTimeout: 50 });
    const session = sessionOf(docker);
    const up = once(session, 'master-up');
    const gone = once(session, 'master-gone');
    await docker.version();
    const [pid] = await up as [number];
    t.same(await gone, [pid], 'closed once its channels were gone and it sat idle');
    t.same(session.masterPids, []);
    t.equal((await docker.version()).Version, engine.version);
    t.equal(sshd.logins() - logins, 2, 'one more ssh connection for the next request');
    await closeAndCheck(t, docker);
  });

  await t.test('failures say what ssh said', async (t) => {
    const check = async (tt: Test, docker: Docker, message: RegExp, hint: RegExp, syscallCode?: string): Promise<void> => {
      const err = await docker.ping().then(() => undefined, (e: unknown) => e);
      tt.type(err, DockerConnectionError);
      if (!(err instanceof DockerConnectionError)) return;
      tt.match(err.message, message);
      tt.match(err.hint ?? '', hint);
      if (syscallCode !== undefined) tt.equal(err.syscallCode, syscallCode);
      tt.equal(err.endpoint, docker.endpoint.url);
      await closeAndCheck(tt, docker);
    };
    await t.test('a key the server does not accept', async (t) => {
      await check(t, s.client(t, { identityFile: sshd.wrongKey }), /^ssh to root@127\.0\.0\.1:\d+ failed: root@127\.0\.0\.1: Permission denied \(publickey\)\./,
        new RegExp(`check ssh access: ssh -F ${sshd.configFile} -i ${sshd.wrongKey} -p ${sshd.port} root@127\\.0\\.0\\.1 docker --host unix://${s.socketPath} version`));
    });
    await t.test('a host key nobody knows, with StrictHostKeyChecking=yes', async (t) => {
      await check(t, s.client(t, { configFile: sshd.strangerConfigFile }),
        new RegExp(`No ED25519 host key is known for \\[127\\.0\\.0\\.1\\]:${sshd.port} and you have requested strict checking`),
        /known_hosts.*StrictHostKeyChecking/);
    });
    await t.test('a remote side without the docker CLI', async (t) => {
      const docker = new Docker({ host: s.url(sshd.noDockerPort), env: {}, ssh: { configFile: sshd.configFile, identityFile: sshd.clientKey } });
      t.teardown(() => docker.close());
      await check(t, docker, /the docker CLI is not on root@127\.0\.0\.1:\d+: .*docker: command not found/, /install the docker CLI/);
    });
    await t.test('a remote login that prints something first', async (t) => {
      const docker = new Docker({ host: s.url(sshd.chattyPort), env: {}, ssh: { configFile: sshd.configFile, identityFile: sshd.clientKey } });
      t.teardown(() => docker.close());
      await check(t, docker, /the answer over ssh is not the engine's HTTP/, /~\/\.bashrc/);
    });
    await t.test('no engine at the remote socket', async (t) => {
      const missing = join(dirname(s.socketPath), 'nope.sock');
      const docker = new Docker({ host: s.url(sshd.port, missing), env: {}, ssh: { configFile: sshd.configFile, identityFile: sshd.clientKey } });
      t.teardown(() => docker.close());
      await check(t, docker, new RegExp(`cannot reach the engine at unix://${missing}: .*no such file or directory`), /is dockerd running/, 'ENOENT');
    });
    await t.test('no ssh client', async (t) => {
      await check(t, s.client(t, { binary: '/nonexistent/ssh' }), /cannot run the ssh client "\/nonexistent\/ssh": not found/, /ssh\.binary/, 'ENOENT');
    });
  });

  await t.test('a process that ends without close() leaves nothing behind', async (t) => {
    const script = `
      const { Docker } = await import(${JSON.stringify(INDEX)});
      const docker = new Docker({ host: ${JSON.stringify(s.url())}, env: {},
        ssh: { configFile: ${JSON.stringify(sshd.configFile)}, identityFile: ${JSON.stringify(sshd.clientKey)} } });
      await docker.ping();
      await docker.version();
      process.stdout.write(docker.sshSession.directory + '\\n');
      // wait for the go-ahead, then just return: idle channels must not hold the process open
      process.stdin.once('data', () => process.stdin.pause());
    `;
    const child = spawn('/usr/bin/env', ['-u', 'NODE_OPTIONS', process.execPath, '--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = once(child, 'exit');
    const [line] = await once(child.stdout, 'data') as [Buffer];
    const dir = line.toString().trim();
    t.match(dir, /berth-ssh-/);
    // watch the master from here too: this control connection alone would keep it running
    const control = await MuxControl.connect(join(dir, 'm1'), 5_000);
    const running = processesMentioning(dir);
    t.ok(running.some((p) => p.pid === control.pid), 'the master runs');
    t.ok(running.length >= 2, `the master and the idle keep-alive channels run (${running.length} ssh processes)`);
    child.stdin.end('go\n');
    const [code] = await exited as [number | null];
    t.equal(code, 0, 'the process ended by itself');
    await control.closed;
    await Promise.all(running.map((p) => processExit(p.pid)));
    t.pass('the master and the channels were ended on the way out');
    t.same(processesMentioning(dir), [], 'no ssh process left');
    t.notOk(existsSync(dir), 'the private directory is removed');
  });
});

t.test('a server that allows fewer sessions than berth assumes (MaxSessions 2)', async (t) => {
  const s = await setup(t, ['MaxSessions 2']);
  if (!s) return;
  const { sshd } = s;
  const docker = s.client(t);
  const id = await sleeper(t, s, docker);
  const statuses = await waitsThroughKill(docker, id, 5, async () => {
    t.match(masterLogs(docker), /open failed/, 'the server did refuse sessions');
    t.ok(sshd.logins() >= 3, `refused sessions went to more connections (${sshd.logins()} ssh connections for ${sessionOf(docker).openChannels} channels)`);
  });
  t.same(statuses, [137, 137, 137, 137, 137], 'no request failed');
  await closeAndCheck(t, docker);
});

t.test('ssh.maxSessions keeps under the server\'s limit without a refusal', async (t) => {
  const s = await setup(t, ['MaxSessions 2']);
  if (!s) return;
  const docker = s.client(t, { maxSessions: 2 });
  const id = await sleeper(t, s, docker);
  const statuses = await waitsThroughKill(docker, id, 4, async () => {
    t.notMatch(masterLogs(docker), /open failed/, 'the server refused nothing');
    t.ok(sessionOf(docker).masterPids.length >= 2, `${sessionOf(docker).masterPids.length} ssh connections for ${sessionOf(docker).openChannels} channels, two at most on each`);
  });
  t.same(statuses, [137, 137, 137, 137]);
  await closeAndCheck(t, docker);
});

t.test('a server that never answers: the connect timeout, with nothing left behind', async (t) => {
  try {
    execFileSync('ssh', ['-V'], { stdio: 'ignore' });
  } catch {
    t.pass('no ssh client', { skip: 'the ssh client is not installed' });
    return;
  }
  // accepts connections and says nothing: ssh waits for a banner that never comes
  const accepted = new Set<Socket>();
  const silent = createServer((socket) => {
    accepted.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const socket of accepted) socket.destroy();
    return new Promise<void>((resolve) => silent.close(() => resolve()));
  });
  const { port } = silent.address() as AddressInfo;
  const docker = new Docker({ host: `ssh://nobody@127.0.0.1:${port}`, env: {}, connectTimeout: 400, ssh: { configFile: '/dev/null' } });
  t.teardown(() => docker.close());
  const started = Date.now();
  const err = await docker.ping().then(() => undefined, (e: unknown) => e);
  t.type(err, DockerTimeoutError);
  t.match((err as Error).message, /^ssh to nobody@127\.0\.0\.1:\d+ did not connect and authenticate within 400 ms/);
  t.ok(Date.now() - started < 10_000, 'berth\'s own timer, not ssh\'s');
  await closeAndCheck(t, docker);
});
