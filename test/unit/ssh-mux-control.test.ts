import t, { type Test } from 'tap';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { MuxControl } from '../../src/engine/ssh/mux-control.js';
import { shortTempDir } from '../helpers/tmp.js';

/**
 * The control connection against a fake ControlMaster that speaks the mux
 * protocol as OpenSSH documents it (PROTOCOL.mux); the real master is
 * covered by the ssh integration tests.
 */

const HELLO = 0x00000001;
const ALIVE_CHECK = 0x10000004;
const TERMINATE = 0x10000005;
const S_OK = 0x80000001;
const S_ALIVE = 0x80000005;

function frame(...words: number[]): Buffer {
  const b = Buffer.alloc(4 + 4 * words.length);
  b.writeUInt32BE(4 * words.length, 0);
  words.forEach((w, i) => b.writeUInt32BE(w >>> 0, 4 + 4 * i));
  return b;
}

/** Reads whole mux messages from a client and hands them to `on` as arrays of uint32. */
function messages(socket: Socket, on: (words: number[]) => void): void {
  let buf = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
      const len = buf.readUInt32BE(0);
      const words: number[] = [];
      for (let at = 4; at + 4 <= 4 + len; at += 4) words.push(buf.readUInt32BE(at));
      buf = buf.subarray(4 + len);
      on(words);
    }
  });
}

async function listen(t: Test, onClient: (socket: Socket) => void): Promise<{ path: string; server: Server }> {
  const path = join(shortTempDir(t, 'bmux'), 'ctl');
  const server = createServer((socket) => {
    socket.on('error', () => undefined); // the client hangs up on what it refuses
    onClient(socket);
    socket.resume(); // read (and drop) what no test reads, so the client's hang-up is seen
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { path, server };
}

t.test('hello, alive check with the pid, terminate: the master exits and the connection says so', async (t) => {
  const received: number[][] = [];
  const { path } = await listen(t, (socket) => {
    socket.write(frame(HELLO, 4));
    messages(socket, (words) => {
      received.push(words);
      if (words[0] === ALIVE_CHECK) socket.write(frame(S_ALIVE, words[1] ?? 0, 4242));
      if (words[0] === TERMINATE) {
        socket.write(frame(S_OK, words[1] ?? 0));
        socket.end();
      }
    });
  });
  const control = await MuxControl.connect(path, 5_000);
  t.equal(control.pid, 4242, 'the pid from the alive answer');
  t.equal(control.open, true);
  t.same(received.slice(0, 2), [[HELLO, 4], [ALIVE_CHECK, 0]], 'our hello (protocol 4), then the alive check');
  t.equal(await control.terminate(), true, 'the master agreed');
  await control.closed;
  t.equal(control.open, false);
  t.same(received[2], [TERMINATE, 1]);
  t.equal(await control.terminate(), true, 'terminating a gone master is done at once');
});

t.test('a master that dies is noticed at once, and a pending terminate is answered', async (t) => {
  let client: Socket | undefined;
  const { path } = await listen(t, (socket) => {
    client = socket;
    socket.write(frame(HELLO, 4));
    messages(socket, (words) => {
      if (words[0] === ALIVE_CHECK) socket.write(frame(S_ALIVE, words[1] ?? 0, 7));
      // TERMINATE is never answered: the process is "killed" below instead
    });
  });
  const control = await MuxControl.connect(path, 5_000);
  const terminated = control.terminate();
  client?.destroy();
  await control.closed;
  t.equal(await terminated, true, 'a master that went away did what was asked');
  t.equal(control.open, false);
});

t.test('what is not a mux master is refused', async (t) => {
  await t.test('garbage length', async (t) => {
    const { path } = await listen(t, (socket) => socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4])));
    await t.rejects(MuxControl.connect(path, 5_000), /does not speak the mux protocol/);
  });
  await t.test('an answer other than alive', async (t) => {
    const { path } = await listen(t, (socket) => {
      socket.write(frame(HELLO, 4));
      socket.write(frame(0x80000003, 0));
    });
    await t.rejects(MuxControl.connect(path, 5_000), /unexpected answer 0x80000003/);
  });
  await t.test('closed without answering', async (t) => {
    const { path } = await listen(t, (socket) => socket.end());
    await t.rejects(MuxControl.connect(path, 5_000), /closed its control socket/);
  });
  await t.test('silent', async (t) => {
    const { path } = await listen(t, () => undefined);
    await t.rejects(MuxControl.connect(path, 50), /did not answer within 50 ms/);
  });
  await t.test('no socket', async (t) => {
    const path = join(shortTempDir(t, 'bmux'), 'none');
    await t.rejects(MuxControl.connect(path, 5_000), { code: 'ENOENT' });
  });
});
