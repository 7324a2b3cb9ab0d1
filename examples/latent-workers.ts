/**
 * A minimal build master on a pool of Docker latent workers.
 *
 * The master listens on 127.0.0.1 for workers; each worker is a container
 * started only when a build needs it, which dials back with busybox `nc`
 * and presents `WORKERNAME WORKERPASS` (the worker contract's variables).
 * The master checks the password and calls `attached()`; the build then
 * runs (here: a job line sent to the worker, which prints it), and a worker
 * left idle for `buildWaitTimeout` seconds is stopped and removed. Build n
 * runs on worker (n - 1) mod WORKERS, one after another on each worker.
 *
 *   npx tsc -p tsconfig.test.json
 *   DOCKER_HOST=unix:///var/run/docker.sock node build/examples/latent-workers.js
 *
 * Environment: WORKER_IMAGE (default `busybox:latest`, pulled when missing),
 * WORKERS (pool size, default 2), BUILDS (default 5). The containers use the
 * host's network, so 127.0.0.1 is the master.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { DockerLatentWorker, substantiationOutcome, type LatentWorkerEvent } from '../src/index.js';

interface Build {
  readonly number: number;
  readonly properties: { readonly buildnumber: number };
}

const IMAGE = process.env.WORKER_IMAGE ?? 'busybox:latest';
const POOL = Number(process.env.WORKERS ?? 2);
const BUILDS = Number(process.env.BUILDS ?? 5);
const MASTER_ID = 'berth-example:/latent-workers';

/** What the worker inside runs: connect, log in, print what the master sends. */
const WORKER_COMMAND = ['sh', '-c', [
  'echo "worker $WORKERNAME connecting to $BUILDMASTER:$BUILDMASTER_PORT"',
  '{ echo "$WORKERNAME $WORKERPASS"; exec sleep 3600; } | exec nc "$BUILDMASTER" "$BUILDMASTER_PORT"',
].join('; ')];

const workers = new Map<string, DockerLatentWorker<Build>>();
const connections = new Map<string, Socket>();

// the master's port for workers: one line `name password`, then the connection stays open
const server = createServer((socket) => {
  let line = '';
  let name: string | undefined;
  socket.setEncoding('utf8');
  socket.on('error', () => undefined);
  socket.on('data', (chunk: string) => {
    if (name !== undefined) return;
    line += chunk;
    if (!line.includes('\n')) return;
    const [who = '', password = ''] = line.trim().split(' ');
    const worker = workers.get(who);
    if (worker === undefined || worker.password !== password) {
      socket.end('denied\n');
      return;
    }
    name = who;
    connections.set(who, socket);
    try {
      worker.attached();
    } catch {
      socket.destroy(); // the start was given up meanwhile
    }
  });
  socket.on('close', () => {
    if (name === undefined || connections.get(name) !== socket) return;
    connections.delete(name);
    workers.get(name)?.detached();
  });
});

function log(e: LatentWorkerEvent): void {
  if (e.type === 'state') console.log(`${e.worker}: ${e.from} → ${e.to}`);
  else if (e.type === 'step') console.log(`${e.worker}:   ${e.step} ${e.durationMs} ms${e.detail?.failed === true ? ' (failed)' : ''}`);
  else if (e.type === 'output') console.log(`${e.worker}:   | ${e.line}`);
  else if (e.type === 'start-error' || e.type === 'stop-error') console.log(`${e.worker}: ${e.type}: ${e.error.message}`);
}

/** Runs one build on `worker`: substantiate (start a container, or reuse the running one), work, finish. */
async function runBuild(worker: DockerLatentWorker<Build>, build: Build): Promise<boolean> {
  try {
    await worker.substantiate(build);
  } catch (err) {
    console.log(`build ${build.number}: ${worker.name} could not start: ${(err as Error).message}`);
    if (substantiationOutcome(err) !== 'retry') return true; // permanent (a bad image, say): the build is dropped
    // retryable: the build goes back in the queue, and this worker waits out its quarantine
    await new Promise((resolve) => setTimeout(resolve, 1000));
    return false;
  }
  worker.buildStarted();
  connections.get(worker.name)?.write(`build ${build.number}\n`);
  // the "build": a stand-in for the commands a real master would send
  await new Promise((resolve) => setTimeout(resolve, 500));
  worker.buildFinished({ success: true });
  console.log(`build ${build.number} finished on ${worker.name}`);
  return true;
}

async function main(): Promise<void> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  for (let i = 0; i < POOL; i++) {
    const worker = new DockerLatentWorker<Build>({
      name: `example_${i}`, masterId: MASTER_ID, masterFQDN: `127.0.0.1:${port}`, image: IMAGE, autopull: true,
      command: WORKER_COMMAND, hostconfig: { NetworkMode: 'host' }, followStartupLogs: true,
      // kept for 2 s after its last build: the next build in the queue reuses the container
      buildWaitTimeout: 2, missingTimeout: 120, quarantineInitialTimeout: 1,
      // containers left by an earlier run of this example that crashed
      reapAtFirstStart: i === 0,
    });
    worker.on('event', log);
    workers.set(worker.name, worker);
  }
  const builds: Build[] = Array.from({ length: BUILDS }, (_, n) => ({ number: n + 1, properties: { buildnumber: n + 1 } }));
  // build n goes to worker (n - 1) mod WORKERS: every run puts the same builds on the same workers
  await Promise.all([...workers.values()].map(async (worker, w) => {
    const queue = builds.filter((b) => (b.number - 1) % POOL === w);
    for (let build = queue.shift(); build !== undefined; build = queue.shift()) {
      if (!(await runBuild(worker, build))) queue.push(build);
    }
  }));
  await Promise.all([...workers.values()].map((w) => w.shutdown()));
  server.close();
  console.log('all builds done; every worker container removed');
}

main().catch(async (err: unknown) => {
  console.error(err);
  process.exitCode = 1;
  server.close();
  await Promise.all([...workers.values()].map((w) => w.shutdown()));
});
