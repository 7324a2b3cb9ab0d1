import { Buffer } from 'node:buffer';
import { connect, type Socket } from 'node:net';

/**
 * A control connection to an OpenSSH ControlMaster, speaking its mux
 * protocol (OpenSSH's PROTOCOL.mux, version 4): hello, an alive check that
 * returns the master's pid, and terminate. Every message is a uint32 length
 * and a payload that starts with a uint32 type.
 *
 * Held open, the connection does two more things: it tells at once when
 * the master is gone (the socket closes when the process exits), and it
 * counts as a client, so the master's ControlPersist timer only starts
 * once this process is gone — an orphaned master ends by itself.
 */

const MUX_MSG_HELLO = 0x00000001;
const MUX_C_ALIVE_CHECK = 0x10000004;
const MUX_C_TERMINATE = 0x10000005;
const MUX_S_OK = 0x80000001;
const MUX_S_PERMISSION_DENIED = 0x80000002;
const MUX_S_FAILURE = 0x80000003;
const MUX_S_ALIVE = 0x80000005;
const MUX_VERSION = 4;
/** A master never sends more than a short error string; anything bigger is not a mux master. */
const MAX_MESSAGE = 64 * 1024;

function message(...words: number[]): Buffer {
  const buf = Buffer.alloc(4 + 4 * words.length);
  buf.writeUInt32BE(4 * words.length, 0);
  words.forEach((w, i) => buf.writeUInt32BE(w >>> 0, 4 + 4 * i));
  return buf;
}

/** A live control connection; see the module comment. */
export class MuxControl {
  /** The master's process id, from its alive answer. */
  readonly pid: number;
  /** Resolves when the connection closed: the master exited (or was told to). */
  readonly closed: Promise<void>;
  private readonly socket: Socket;
  private isOpen = true;
  private nextId = 1;
  private readonly waiting = new Map<number, (type: number, payload: Buffer) => void>();

  private constructor(socket: Socket, pid: number, closed: Promise<void>) {
    this.socket = socket;
    this.pid = pid;
    this.closed = closed;
    void closed.then(() => { this.isOpen = false; });
  }

  /** True until the master closed the connection. */
  get open(): boolean {
    return this.isOpen;
  }

  /**
   * Connects to the control socket at `path`, exchanges hellos and asks
   * whether the master is alive. Rejects when nothing answers within
   * `timeoutMs` or the answer is not the mux protocol.
   */
  static connect(path: string, timeoutMs: number): Promise<MuxControl> {
    return new Promise((resolve, reject) => {
      const socket = connect({ path });
      let buffered: Buffer = Buffer.alloc(0);
      let control: MuxControl | undefined;
      let settled = false;
      let helloSeen = false;
      const closed = new Promise<void>((done) => socket.once('close', () => done()));
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      const timer = setTimeout(() => fail(new Error(`the ssh control socket ${path} did not answer within ${timeoutMs} ms`)), timeoutMs);
      const onMessage = (type: number, payload: Buffer): void => {
        if (type === MUX_MSG_HELLO) {
          helloSeen = true;
          return;
        }
        if (control === undefined) {
          if (type === MUX_S_ALIVE && helloSeen && payload.length >= 12) {
            settled = true;
            clearTimeout(timer);
            socket.unref(); // watching the master must not keep the process alive
            control = new MuxControl(socket, payload.readUInt32BE(8), closed);
            resolve(control);
          } else {
            fail(new Error(`unexpected answer 0x${type.toString(16)} from the ssh control socket ${path}`));
          }
          return;
        }
        control.answer(type, payload);
      };
      socket.on('data', (chunk: Buffer) => {
        buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
        while (buffered.length >= 4) {
          const len = buffered.readUInt32BE(0);
          if (len < 4 || len > MAX_MESSAGE) {
            fail(new Error(`the ssh control socket ${path} does not speak the mux protocol`));
            socket.destroy(); // also once connected: a master that garbles its answers is not one to use
            return;
          }
          if (buffered.length < 4 + len) break;
          const payload = buffered.subarray(4, 4 + len);
          buffered = buffered.subarray(4 + len);
          onMessage(payload.readUInt32BE(0), payload);
        }
      });
      socket.on('error', (err) => fail(err));
      socket.once('close', () => {
        fail(new Error(`the ssh master closed its control socket ${path}`));
        control?.closedNow();
      });
      socket.once('connect', () => {
        socket.write(message(MUX_MSG_HELLO, MUX_VERSION));
        socket.write(message(MUX_C_ALIVE_CHECK, 0));
      });
    });
  }

  /**
   * Asks the master to exit (what `ssh -O exit` sends). Resolves true when
   * it agreed (or closed at once), false when it refused.
   */
  terminate(): Promise<boolean> {
    if (!this.isOpen) return Promise.resolve(true);
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, (type) => resolve(type === MUX_S_OK || type === 0));
      this.socket.write(message(MUX_C_TERMINATE, id));
    });
  }

  /** Drops the connection (the master then persists for its ControlPersist time with no other client). */
  destroy(): void {
    this.socket.destroy();
  }

  private answer(type: number, payload: Buffer): void {
    if ((type === MUX_S_OK || type === MUX_S_PERMISSION_DENIED || type === MUX_S_FAILURE) && payload.length >= 8) {
      const id = payload.readUInt32BE(4);
      const waiter = this.waiting.get(id);
      this.waiting.delete(id);
      waiter?.(type, payload);
    }
  }

  /** The master went away: every pending request has its answer. */
  private closedNow(): void {
    this.isOpen = false;
    for (const waiter of this.waiting.values()) waiter(0, Buffer.alloc(0));
    this.waiting.clear();
  }
}
