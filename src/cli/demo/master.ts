import { Buffer } from 'node:buffer';
import { createServer, type Server, type Socket } from 'node:net';
import { timingSafeEqual } from 'node:crypto';

/**
 * The demo's build master, as far as workers see it: a TCP server on
 * 127.0.0.1 that a worker container connects back to and logs in with two
 * lines, `WORKERNAME` and `WORKERPASS`. A known name with its password is
 * welcomed and counted as attached for as long as the connection stays up;
 * anything else is told no and disconnected.
 */

/** A worker the master accepts logins from. */
export interface MasterWorker {
  readonly name: string;
  readonly password: string;
  /** The worker logged in. */
  attached(): void;
  /** Its connection closed after it logged in. */
  detached(): void;
}

/** What happened at the door, for the demo's output (never a password). */
export type LoginEvent =
  | { readonly kind: 'login'; readonly worker: string }
  | { readonly kind: 'refused'; readonly worker: string; readonly why: string }
  | { readonly kind: 'closed'; readonly worker: string };

/** The most bytes a login may take: a name and a password, with room to spare. */
const MAX_LOGIN_BYTES = 1024;
/** How long a connection may take to log in, in milliseconds. */
const LOGIN_TIMEOUT_MS = 10_000;

function samePassword(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The master's listening socket and its connected workers. */
export class DemoMaster {
  private readonly server: Server;
  private readonly workers = new Map<string, MasterWorker>();
  private readonly sockets = new Set<Socket>();
  private readonly onLogin: (event: LoginEvent) => void;

  private constructor(server: Server, onLogin: (event: LoginEvent) => void) {
    this.server = server;
    this.onLogin = onLogin;
  }

  /** Listens on 127.0.0.1, on a free port. */
  static async start(onLogin: (event: LoginEvent) => void): Promise<DemoMaster> {
    let master: DemoMaster | undefined;
    const server = createServer((socket) => master?.accept(socket));
    master = new DemoMaster(server, onLogin);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0 }, () => { server.off('error', reject); resolve(); });
    });
    return master;
  }

  /** The port workers connect to. */
  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  /** Accepts logins of `worker` from now on. */
  add(worker: MasterWorker): void {
    this.workers.set(worker.name, worker);
  }

  /** Stops listening and drops every connection. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.setEncoding('utf8');
    socket.setTimeout(LOGIN_TIMEOUT_MS);
    socket.on('timeout', () => socket.destroy());
    socket.on('error', () => undefined);
    let text = '';
    let loggedIn: MasterWorker | undefined;
    const onData = (chunk: string): void => {
      text += chunk;
      const lines = text.split('\n');
      if (lines.length < 3) {
        if (text.length > MAX_LOGIN_BYTES) this.refuse(socket, '?', 'login too long');
        return;
      }
      socket.off('data', onData);
      socket.setTimeout(0);
      const name = (lines[0] ?? '').trim();
      const password = (lines[1] ?? '').trim();
      const worker = this.workers.get(name);
      if (worker === undefined) return this.refuse(socket, name, 'unknown worker');
      if (!samePassword(password, worker.password)) return this.refuse(socket, name, 'wrong password');
      loggedIn = worker;
      socket.write(`welcome ${name}\n`);
      this.onLogin({ kind: 'login', worker: name });
      worker.attached();
    };
    socket.on('data', onData);
    socket.on('close', () => {
      this.sockets.delete(socket);
      if (loggedIn === undefined) return;
      this.onLogin({ kind: 'closed', worker: loggedIn.name });
      loggedIn.detached();
    });
  }

  private refuse(socket: Socket, worker: string, why: string): void {
    this.onLogin({ kind: 'refused', worker, why });
    socket.end(`refused: ${why}\n`);
  }
}
