import { createServer, type Socket } from 'node:net';
import type { Teardown } from './tmp.js';

/**
 * A stand-in for a Buildbot master's worker port, for workers that connect
 * back with busybox `nc`: each connection sends one line, `<name> <password>`.
 */

/** A login line a worker sent. */
export interface TestLogin {
  readonly name: string;
  readonly password: string;
}

/** The test master: its port on 127.0.0.1, every login so far, and the next one. */
export interface TestMaster {
  readonly port: number;
  readonly logins: TestLogin[];
  next(): Promise<TestLogin>;
  /** Stops listening and closes every connection: a worker's next `nc` is refused. */
  hangUp(): void;
}

/** Listens on 127.0.0.1 (a free port) until teardown. */
export async function testMaster(t: Teardown): Promise<TestMaster> {
  const logins: TestLogin[] = [];
  const waiting: Array<(l: TestLogin) => void> = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString('utf8');
      const nl = data.indexOf('\n');
      if (nl < 0) return;
      const [name = '', password = ''] = data.slice(0, nl).split(' ');
      const login = { name, password };
      logins.push(login);
      waiting.shift()?.(login);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port, logins, next: () => new Promise((resolve) => waiting.push(resolve)),
    hangUp: () => {
      server.close();
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
  };
}
