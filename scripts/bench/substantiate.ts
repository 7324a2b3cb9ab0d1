/**
 * Worker substantiation, trial side: N workers started at once, until each
 * runs (readiness `running`, busybox `sleep`), against the same number of
 * `docker run -d` (the docker CLI, one process each) started at once on the
 * same engine(s). Modes: one engine (`DockerLatentWorker`), a pool of two
 * engines (`EnginePool`; the CLI runs alternate between the two), and a
 * two-node swarm (`SwarmLatentWorker` through the manager; the CLI runs
 * alternate between the nodes' engines). Only the start is timed; the
 * removal that follows is not.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { measure, numberParam, stringParam, unknownContender, type Params, type TrialOutcome } from './child.js';

export const SUBSTANTIATE_CONTENDERS = ['berth', 'docker-run'] as const;

const run = promisify(execFile);

export async function trial(contender: string, params: Params): Promise<TrialOutcome> {
  const n = numberParam(params, 'workers');
  const mode = stringParam(params, 'mode');
  const sockets = stringParam(params, 'sockets').split(',');
  const image = stringParam(params, 'image');
  if (contender === 'docker-run') return dockerRun(n, mode === 'engine' ? sockets.slice(0, 1) : sockets, image);
  if (contender === 'berth') return berth(n, mode, sockets, image);
  return unknownContender('substantiate', contender);
}

async function dockerRun(n: number, sockets: readonly string[], image: string): Promise<TrialOutcome> {
  const host = (i: number): string => `unix://${sockets[i % sockets.length] as string}`;
  // --init: the container berth makes (HostConfig.Init defaults to true)
  const started = await measure(() => Promise.all(Array.from({ length: n }, async (_, i) => {
    const { stdout } = await run('docker', ['-H', host(i), 'run', '-d', '--init', '--network', 'none', image, 'sleep', '300']);
    return { host: host(i), id: stdout.trim() };
  })));
  for (const s of sockets) {
    const ids = started.value.filter((c) => c.host === `unix://${s}`).map((c) => c.id);
    if (ids.length > 0) await run('docker', ['-H', `unix://${s}`, 'rm', '-f', ...ids]);
  }
  return { metrics: { wallS: started.wallS, cpuS: started.cpuS }, checks: { started: started.value.length } };
}

async function berth(n: number, mode: string, sockets: readonly string[], image: string): Promise<TrialOutcome> {
  const b = await import('../../src/index.js');
  const clients = sockets.map((s) => new b.Docker({ host: `unix://${s}`, env: {} }));
  const masterId = `berth-bench:${process.pid}`;
  const common = {
    masterId, image, command: ['sleep', '300'], readiness: 'running' as const, masterFQDN: '127.0.0.1:9989',
    missingTimeout: 170, checkInstanceInterval: null, stopSignal: 'SIGKILL',
  };
  const pool = mode === 'pool'
    ? new b.EnginePool({ engines: clients.map((docker, i) => ({ name: `e${i}`, docker })), healthCheckInterval: null }) : undefined;
  const workers = Array.from({ length: n }, (_, i) => {
    const name = `bench-${i}`;
    if (mode === 'swarm') return new b.SwarmLatentWorker({ ...common, name, docker: clients[0] as InstanceType<typeof b.Docker> });
    return new b.DockerLatentWorker({
      ...common, name, hostconfig: { NetworkMode: 'none' },
      ...(pool !== undefined ? { pool } : { docker: clients[0] as InstanceType<typeof b.Docker> }),
    });
  });
  try {
    const started = await measure(() => Promise.all(workers.map((w) => w.substantiate())));
    const placed = pool?.engines.map((e) => e.workers).join('/') ?? String(n);
    return { metrics: { wallS: started.wallS, cpuS: started.cpuS }, checks: { started: started.value.length, placed } };
  } finally {
    await Promise.all(workers.map((w) => w.shutdown()));
    pool?.close();
    await Promise.all(clients.map((c) => c.close()));
  }
}
