import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Teardown } from './tmp.js';
import type { LatentWorker } from '../../src/index.js';

/**
 * A tiny "master" for the worker integration tests: a TCP server on
 * 127.0.0.1 that the worker inside a container connects back to (with
 * busybox `nc`, the container on the host's network) and sends one line,
 * `WORKERNAME WORKERPASS`. A known name with the right password is told
 * `welcome`, and the worker's `attached()` is called; anything else is
 * told `denied` and dropped. A dropped connection of an accepted worker
 * calls `detached()`, as a master does when a worker goes away.
 */

/** A worker the master accepts, with the password it must present. */
export interface Registered {
  readonly worker: Pick<LatentWorker, 'attached' | 'detached' | 'name'>;
  readonly password: string;
  /** Awaited before `attached()` is called (a test that checks the startup output waits for its last line). */
  readonly before: Promise<unknown> | undefined;
}

/** A login the master saw. */
export interface Login {
  readonly name: string;
  readonly accepted: boolean;
}

/** The shell command a busybox worker runs: `extra` commands, a hello (password included), then connect and stay connected. */
export function connectBackCommand(extra = ''): string[] {
  return ['sh', '-c', [
    extra,
    'echo "worker $WORKERNAME dialing $BUILDMASTER:$BUILDMASTER_PORT ($BUILDMASTER_PROTOCOL) with password $WORKERPASS"',
    '{ echo "$WORKERNAME $WORKERPASS"; exec sleep 600; } | exec nc "$BUILDMASTER" "$BUILDMASTER_PORT"',
  ].filter((l) => l !== '').join('; ')];
}

export class TestMaster {
  readonly logins: Login[] = [];
  private readonly server: Server;
  private readonly workers = new Map<string, Registered>();
  private readonly sockets = new Set<Socket>();
  private listeners: Array<() => void> = [];

  private constructor(server: Server) {
    this.server = server;
    server.on('connection', (socket) => this.accept(socket));
  }

  /** Starts a master on a free port of 127.0.0.1, closed at teardown. */
  static async start(t: Teardown): Promise<TestMaster> {
    const server = createServer();
    const master = new TestMaster(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    t.teardown(() => master.close());
    return master;
  }

  /** `host:port` for `masterFQDN`. */
  get address(): string {
    const a = this.server.address() as AddressInfo;
    return `127.0.0.1:${a.port}`;
  }

  /** Accepts `worker` when it presents `password`; calls its `attached()` once `before` (if given) settled. */
  register(worker: Registered['worker'], password: string, before?: Promise<unknown>): void {
    this.workers.set(worker.name, { worker, password, before });
  }

  /** Resolves once `count` logins were seen (a bounded wait: the test fails after `ms` real milliseconds). */
  async loginsSeen(count: number, ms = 60_000): Promise<void> {
    if (this.logins.length >= count) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${this.logins.length} of ${count} logins within ${ms} ms`)), ms);
      const check = (): void => {
        if (this.logins.length < count) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
        resolve();
      };
      this.listeners.push(check);
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    let buffered = '';
    let accepted: Registered | undefined;
    socket.setEncoding('utf8');
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.sockets.delete(socket);
      if (accepted !== undefined) accepted.worker.detached();
    });
    socket.on('data', (chunk: string) => {
      if (accepted !== undefined) return;
      buffered += chunk;
      const end = buffered.indexOf('\n');
      if (end < 0) return;
      const [name = '', password = ''] = buffered.slice(0, end).trim().split(' ');
      const known = this.workers.get(name);
      const ok = known !== undefined && known.password === password;
      this.logins.push({ name, accepted: ok });
      if (ok) {
        accepted = known;
        socket.write('welcome\n');
        const attach = (): void => {
          try {
            known.worker.attached();
          } catch {
            // refused (the start was given up): drop the connection
            socket.destroy();
          }
        };
        if (known.before === undefined) attach();
        else void known.before.finally(attach).catch(() => undefined);
      } else {
        socket.end('denied\n');
      }
      for (const l of [...this.listeners]) l();
    });
  }
}
