import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, watch, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { shortTempDir, type Teardown } from './tmp.js';

/**
 * A private OpenSSH server on 127.0.0.1 for the ssh transport's tests: its
 * own host key, a client key it accepts and one it does not, an ssh_config
 * for the client that trusts only this server's key (the user's ~/.ssh is
 * never read or written), and a second port whose sessions cannot find a
 * `docker` command. Runs as root, stopped by pid at teardown.
 */

export const SSHD = '/usr/sbin/sshd';

export interface Sshd {
  readonly dir: string;
  /** The port whose sessions find the docker CLI. */
  readonly port: number;
  /** A port of the same server whose sessions have PATH=/nonexistent. */
  readonly noDockerPort: number;
  /** A port of the same server whose sessions print a greeting before running the command, as a chatty ~/.bashrc does. */
  readonly chattyPort: number;
  /** A client config trusting only this server's host key, with StrictHostKeyChecking=yes. */
  readonly configFile: string;
  /** A client config that knows no host key (StrictHostKeyChecking=yes). */
  readonly strangerConfigFile: string;
  readonly clientKey: string;
  /** A key the server does not accept. */
  readonly wrongKey: string;
  /** Public-key logins the server accepted so far (one per ssh connection). */
  logins(): number;
  /** Sessions (channels running a command) the server started so far. */
  sessions(): number;
  /** The server's log so far. */
  log(): string;
}

/** Why sshd cannot run here, or undefined when it can. */
export function sshdUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'the ssh tests run sshd, which needs root';
  if (!existsSync(SSHD)) return `${SSHD} is not installed (apt-get install openssh-server)`;
  try {
    execFileSync('ssh-keygen', ['-?'], { stdio: 'ignore' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'ssh-keygen is not installed (apt-get install openssh-client)';
  }
  try {
    execFileSync('ssh', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'the ssh client is not installed (apt-get install openssh-client)';
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function keygen(file: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'berth-test', '-f', file], { stdio: 'ignore' });
}

/**
 * Starts sshd with `extraConfig` (more sshd_config lines, e.g. `MaxSessions 2`).
 * Ports are picked free; a port taken between the pick and sshd's bind is
 * picked again.
 */
export async function startSshd(t: Teardown, extraConfig: readonly string[] = []): Promise<Sshd> {
  const dir = shortTempDir(t, 'bsshd');
  // sshd's privilege separation needs this directory; the Debian service creates it at boot
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const hostKey = join(dir, 'host_key');
  const clientKey = join(dir, 'client_key');
  const wrongKey = join(dir, 'wrong_key');
  keygen(hostKey);
  keygen(clientKey);
  keygen(wrongKey);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`));
  const logFile = join(dir, 'sshd.log');
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const noDockerPort = await freePort();
    const chattyPort = await freePort();
    writeFileSync(join(dir, 'sshd_config'), [
      `ListenAddress 127.0.0.1:${port}`,
      `ListenAddress 127.0.0.1:${noDockerPort}`,
      `ListenAddress 127.0.0.1:${chattyPort}`,
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'LogLevel VERBOSE',
      ...extraConfig,
      `Match LocalPort ${noDockerPort}`,
      '  SetEnv PATH=/nonexistent',
      `Match LocalPort ${chattyPort}`,
      '  ForceCommand echo "Welcome to the build host"; eval "$SSH_ORIGINAL_COMMAND"',
      '',
    ].join('\n'));
    const hostPub = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
    writeFileSync(join(dir, 'known_hosts'), [port, noDockerPort, chattyPort].map((p) => `[127.0.0.1]:${p} ${hostPub}\n`).join(''));
    writeFileSync(join(dir, 'empty_known_hosts'), '');
    const clientConfig = (knownHosts: string): string => [
      'Host *',
      `  UserKnownHostsFile ${knownHosts}`,
      '  GlobalKnownHostsFile /dev/null',
      '  StrictHostKeyChecking yes',
      '  IdentitiesOnly yes',
      '  UpdateHostKeys no',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'ssh_config'), clientConfig(join(dir, 'known_hosts')));
    writeFileSync(join(dir, 'stranger_ssh_config'), clientConfig(join(dir, 'empty_known_hosts')));
    writeFileSync(logFile, '');
    const child = spawn(SSHD, ['-D', '-f', join(dir, 'sshd_config'), '-E', logFile], { stdio: 'ignore' });
    const stopped = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    t.teardown(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await stopped;
    });
    try {
      await listeningInLog(child, [port, noDockerPort, chattyPort], logFile, stopped);
    } catch (err) {
      if (attempt < 3 && /Address already in use/.test(readFileSync(logFile, 'utf8'))) continue;
      throw err;
    }
    const count = (re: RegExp): number => (readFileSync(logFile, 'utf8').match(re) ?? []).length;
    return {
      dir, port, noDockerPort, chattyPort, clientKey, wrongKey,
      configFile: join(dir, 'ssh_config'),
      strangerConfigFile: join(dir, 'stranger_ssh_config'),
      logins: () => count(/^Accepted publickey for root /gm),
      sessions: () => count(/^Starting session: command /gm),
      log: () => readFileSync(logFile, 'utf8'),
    };
  }
}

/**
 * Resolves once sshd's log (`-E`: written before sshd answers a client, so
 * counts read from it are exact) says it listens on every port. The file is
 * re-read when it changes (fs.watch), never on a timer.
 */
function listeningInLog(child: ChildProcess, ports: readonly number[], logFile: string, stopped: Promise<void>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const ready = (): boolean => {
      const text = readFileSync(logFile, 'utf8');
      return ports.every((p) => text.includes(`Server listening on 127.0.0.1 port ${p}.`));
    };
    const watcher = watch(logFile, () => {
      if (ready()) done();
    });
    let settled = false;
    const done = (err?: Error): void => {
      if (settled) return;
      settled = true;
      watcher.close();
      if (err) reject(err);
      else resolve();
    };
    void stopped.then(() => done(new Error(`sshd exited (${child.exitCode ?? child.signalCode ?? '?'}) before listening:\n${readFileSync(logFile, 'utf8')}`)));
    if (ready()) done();
  });
}

/** Live processes whose command line mentions `text` (zombies have none), from /proc. */
export function processesMentioning(text: string): Array<{ pid: number; cmdline: string }> {
  const found: Array<{ pid: number; cmdline: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    } catch {
      continue; // exited meanwhile
    }
    if (cmdline.includes(text)) found.push({ pid: Number(entry), cmdline });
  }
  return found;
}

const PIDFD_WAIT = [
  'import os, select, sys',
  'try:',
  '    fd = os.pidfd_open(int(sys.argv[1]))',
  'except ProcessLookupError:',
  '    sys.exit(0)',
  'select.select([fd], [], [])',
].join('\n');

/**
 * Resolves when process `pid` (any process, not only a child) has exited:
 * python's pidfd_open makes that an event, not a poll. At once when it is
 * already gone.
 */
export function processExit(pid: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const waiter = spawn('python3', ['-c', PIDFD_WAIT, String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    waiter.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    waiter.once('error', reject);
    waiter.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`waiting for pid ${pid} failed: ${stderr}`))));
  });
}
