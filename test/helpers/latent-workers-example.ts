import { connect, type Socket } from 'node:net';
import { isObject } from '../../src/engine/json.js';
import type { ReplayServer, SeenRequest } from '../../src/testing/index.js';

/**
 * examples/latent-workers.ts against the replay engine. No container runs
 * there, so {@link WorkerContainers} does what each busybox worker does: it
 * prints its first line (the replayed output) and then, as `nc`, dials the
 * master and logs in with the variables the container was created with.
 */

/** The first line a worker's container prints, before it dials the master (its `echo`). */
export function startupLine(worker: string): string {
  return `${worker}:   | worker ${worker} connecting to `;
}

/** Workers `example_0` … whose first line is not in the output (they logged in before the master read it). */
export function missingStartupLines(stdout: string, workers: number): string[] {
  return Array.from({ length: workers }, (_, i) => `example_${i}`).filter((w) => !stdout.includes(`\n${startupLine(w)}`));
}

/**
 * The output of a run, less what depends on the clock: the durations of the
 * steps, and the order in which lines of the two workers (running at the
 * same time) and of one worker's engine start and its login (racing each
 * other) come. Per writer (each worker; the master): every line, sorted,
 * and the lines that must keep their order — the state changes and the
 * builds.
 */
export interface ComparableOutput {
  readonly lines: Record<string, string[]>;
  readonly ordered: Record<string, string[]>;
  readonly last: string;
}

export function comparableOutput(stdout: string): ComparableOutput {
  const lines: Record<string, string[]> = {};
  const ordered: Record<string, string[]> = {};
  const all = stdout.split('\n').filter((l) => l !== '');
  for (const raw of all) {
    const line = raw.replace(/^(example_\d+: {3}[\w-]+ )\d+ ms/, '$1<n> ms');
    const writer = /^(example_\d+): /.exec(line)?.[1] ?? /^build \d+ finished on (example_\d+)$/.exec(line)?.[1] ?? 'master';
    (lines[writer] ??= []).push(line);
    if (line.includes(' → ') || line.startsWith('build ')) (ordered[writer] ??= []).push(line);
  }
  for (const l of Object.values(lines)) l.sort();
  return { lines, ordered, last: all.at(-1) ?? '' };
}

/** What a container was created with: the worker contract's variables. */
interface WorkerContainer {
  readonly name: string;
  readonly password: string;
  readonly host: string;
  readonly port: number;
}

/** The container id of a create exchange's recorded answer. */
function createdId(server: ReplayServer, request: SeenRequest): string | undefined {
  const body = server.exchanges[request.exchange]?.response?.body;
  return isObject(body) && typeof body.Id === 'string' ? body.Id : undefined;
}

/** The worker variables of a `POST /containers/create` body. */
function workerEnv(body: unknown): WorkerContainer | undefined {
  if (!isObject(body) || !Array.isArray(body.Env)) return undefined;
  const env = new Map<string, string>();
  for (const e of body.Env as unknown[]) {
    if (typeof e !== 'string') continue;
    const at = e.indexOf('=');
    if (at > 0) env.set(e.slice(0, at), e.slice(at + 1));
  }
  const name = env.get('WORKERNAME');
  const password = env.get('WORKERPASS');
  const host = env.get('BUILDMASTER');
  const port = Number(env.get('BUILDMASTER_PORT'));
  if (name === undefined || password === undefined || host === undefined || !Number.isInteger(port)) return undefined;
  return { name, password, host, port };
}

/**
 * Plays the worker containers of a replayed run: for each container the
 * example creates, once the engine was asked to start it and its first line
 * reached the master, dials `BUILDMASTER:BUILDMASTER_PORT` and sends
 * `WORKERNAME WORKERPASS` (the example's worker command); the connection
 * stays open until the engine is asked to stop the container, as `nc` is
 * killed with it. The rest of the container's output is what `nc` printed,
 * what the master sent it: {@link beforeUpgradeChunk} holds each replayed
 * chunk of it until the master has sent that much. What the master sent
 * each worker is kept.
 */
export class WorkerContainers {
  /** What the master wrote to each worker, by worker name. */
  readonly received = new Map<string, string>();
  /** Logins that could not be made (the master was not listening, say). */
  readonly failures: string[] = [];
  private server: ReplayServer | undefined;
  private readonly byId = new Map<string, WorkerContainer>();
  private readonly sockets = new Map<string, Socket>();
  /** The raw output replayed so far, by attach exchange. */
  private readonly replayed = new Map<number, Buffer>();
  private readonly tasks: Array<Promise<void>> = [];
  private output = '';
  private waiters: Array<{ ready: () => boolean; resolve: () => void }> = [];
  private stopped = false;
  private stop: () => void = () => undefined;
  private done: Promise<void> = Promise.resolve();

  /** Follows the requests `server` receives (the containers created, started, stopped). */
  follow(server: ReplayServer): void {
    this.server = server;
    const stopped = new Promise<void>((resolve) => { this.stop = resolve; });
    this.done = this.followRequests(server, stopped);
  }

  /** The example's output so far (from `runExample`'s `onStdout`). */
  readonly onStdout = (stdout: string): void => {
    this.output = stdout;
    this.wake();
  };

  /** For the replay server: a chunk of a worker's attached output goes out once the master sent what it shows. */
  readonly beforeUpgradeChunk = (exchange: number, _chunk: number, data: Buffer): Promise<void> | undefined => {
    const m = /\/containers\/([^/]+)\/attach$/.exec(this.server?.exchanges[exchange]?.request.path ?? '');
    const worker = m?.[1] === undefined ? undefined : this.byId.get(m[1]);
    if (worker === undefined) return undefined;
    const raw = Buffer.concat([this.replayed.get(exchange) ?? Buffer.alloc(0), data]);
    this.replayed.set(exchange, raw);
    const shown = framePayload(raw);
    const afterFirstLine = shown.slice(shown.indexOf('\n') + 1);
    if (!shown.includes('\n') || afterFirstLine === '') return undefined;
    return this.until(() => (this.received.get(worker.name) ?? '').startsWith(afterFirstLine));
  };

  /** Stops following, closes every worker connection, lets every held chunk go. */
  async close(): Promise<void> {
    this.stopped = true;
    this.stop();
    for (const s of this.sockets.values()) s.destroy();
    this.wake();
    await this.done;
    await Promise.all(this.tasks);
  }

  private async followRequests(server: ReplayServer, stopped: Promise<void>): Promise<void> {
    for (let seen = 0; ; seen++) {
      await Promise.race([server.waitForRequests(seen + 1), stopped]);
      if (this.stopped) return;
      const request = server.requests[seen];
      if (request !== undefined && request.method === 'POST') this.onRequest(server, request);
    }
  }

  private onRequest(server: ReplayServer, request: SeenRequest): void {
    if (request.path.endsWith('/containers/create')) {
      const worker = workerEnv(request.body);
      const id = createdId(server, request);
      if (worker !== undefined && id !== undefined) this.byId.set(id, worker);
      return;
    }
    const m = /\/containers\/([^/]+)\/(start|stop|kill)$/.exec(request.path);
    const worker = m?.[1] === undefined ? undefined : this.byId.get(m[1]);
    if (worker === undefined) return;
    if (m?.[2] === 'start') this.tasks.push(this.logIn(worker));
    else this.sockets.get(worker.name)?.destroy();
  }

  private async logIn(worker: WorkerContainer): Promise<void> {
    // the container's `echo` comes before its `nc`
    await this.until(() => this.output.includes(`\n${startupLine(worker.name)}`));
    if (this.stopped) return;
    const socket = connect({ host: worker.host, port: worker.port });
    this.sockets.set(worker.name, socket);
    this.received.set(worker.name, '');
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.received.set(worker.name, `${this.received.get(worker.name) ?? ''}${d}`);
      this.wake();
    });
    await new Promise<void>((resolve) => {
      socket.once('connect', () => { socket.write(`${worker.name} ${worker.password}\n`); });
      socket.once('error', (err) => { this.failures.push(`${worker.name}: ${err.message}`); });
      socket.once('close', () => resolve());
    });
  }

  /** Resolves once `ready()` holds (checked whenever the output or a worker's input grows), or at close. */
  private until(ready: () => boolean): Promise<void> {
    if (this.stopped || ready()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ ready, resolve }));
  }

  private wake(): void {
    const due = this.waiters.filter((w) => this.stopped || w.ready());
    this.waiters = this.waiters.filter((w) => !due.includes(w));
    for (const w of due) w.resolve();
  }
}

/** The payload of the complete frames of a multiplexed stream (stdout and stderr together), as text. */
function framePayload(raw: Buffer): string {
  const parts: Buffer[] = [];
  for (let at = 0; at + 8 <= raw.length;) {
    const size = raw.readUInt32BE(at + 4);
    if (at + 8 + size > raw.length) break;
    parts.push(raw.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}
