/**
 * Request overhead, trial side: one client makes `warmup` calls of
 * `/_ping`, then `batches` timed batches of `requests` calls each,
 * `concurrency` at a time, over a unix socket.
 *
 * The first batch is the measure (2,000 requests after 1,000 of
 * warm-up). At 16 concurrent most of its CPU is V8 compiling the hot path on
 * its background threads, so the trial also reports how much of it ran on
 * the main thread, and the median of the later batches, when compiling has
 * settled: a client's cost per request once it has run for a while.
 */
import { readFileSync } from 'node:fs';
import { countGcs } from './gc-count.js';
import { median } from './median.js';
import { measure, numberParam, stringParam, unknownContender, type Params, type TrialOutcome } from './child.js';

interface Client {
  call(): Promise<void>;
  close(): Promise<void>;
}

/** The contenders, by name: what each sends is in the report's notes. */
export const PING_CONTENDERS = ['berth-ping', 'berth-request', 'undici', 'dockerode', 'node-http'] as const;

async function open(contender: string, socketPath: string): Promise<Client> {
  switch (contender) {
    case 'berth-ping':
    case 'berth-request': {
      const { Docker } = await import('../../src/index.js');
      const docker = new Docker({ socketPath, env: {} });
      const call = contender === 'berth-ping'
        ? async () => { await docker.ping(); }
        : async () => { await docker.requester.text({ method: 'GET', path: '/_ping', unversioned: true }); };
      return { call, close: () => docker.close() };
    }
    case 'undici': {
      const { Pool } = await import('undici');
      const pool = new Pool('http://localhost', { socketPath });
      return {
        call: async () => {
          const res = await pool.request({ method: 'GET', path: '/_ping' });
          await res.body.text();
        },
        close: () => pool.close(),
      };
    }
    case 'dockerode': {
      const { loadDockerode } = await import('./peers.js');
      const Dockerode = loadDockerode();
      const docker = new Dockerode({ socketPath });
      return { call: async () => { await docker.ping(); }, close: async () => undefined };
    }
    case 'node-http': {
      const http = await import('node:http');
      const agent = new http.Agent({ keepAlive: true });
      const call = (): Promise<void> => new Promise((resolve, reject) => {
        const req = http.get({ socketPath, path: '/_ping', agent }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (s: string) => { body += s; });
          res.on('end', () => (res.statusCode === 200 && body === 'OK' ? resolve() : reject(new Error(`status ${res.statusCode}: ${body}`))));
          res.on('error', reject);
        });
        req.on('error', reject);
      });
      return { call, close: async () => { agent.destroy(); } };
    }
    default:
      return unknownContender('ping', contender);
  }
}

/** `n` calls, `concurrency` in flight at a time. */
async function drive(client: Client, n: number, concurrency: number): Promise<void> {
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < n) {
      started++;
      await client.call();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** CPU seconds this process's main thread has run (Linux), or undefined where the kernel does not say. */
function mainThreadCpuS(): number | undefined {
  try {
    const ns = Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]);
    return Number.isFinite(ns) ? ns / 1e9 : undefined;
  } catch {
    return undefined;
  }
}

export async function trial(contender: string, params: Params): Promise<TrialOutcome> {
  const requests = numberParam(params, 'requests');
  const concurrency = numberParam(params, 'concurrency');
  const batches = numberParam(params, 'batches');
  if (batches < 2) throw new Error('batches must be at least 2: one first batch and the later ones');
  const client = await open(contender, stringParam(params, 'socket'));
  await drive(client, numberParam(params, 'warmup'), concurrency);
  const gcs = countGcs();
  const main0 = mainThreadCpuS();
  const first = await measure(() => drive(client, requests, concurrency));
  const main1 = mainThreadCpuS();
  const gc = gcs();
  const later: { wallS: number; cpuS: number }[] = [];
  for (let i = 1; i < batches; i++) later.push(await measure(() => drive(client, requests, concurrency)));
  await client.close();
  const metrics: Record<string, number> = {
    reqPerS: requests / first.wallS, cpuUsPerReq: (first.cpuS * 1e6) / requests, wallS: first.wallS, cpuS: first.cpuS,
    majorGCs: gc.major, minorGCs: gc.minor, gcPauseMs: gc.pauseMs,
    settledReqPerS: requests / median(later.map((b) => b.wallS)),
    settledCpuUsPerReq: (median(later.map((b) => b.cpuS)) * 1e6) / requests,
  };
  if (main0 !== undefined && main1 !== undefined) metrics.mainCpuUsPerReq = ((main1 - main0) * 1e6) / requests;
  return { metrics };
}
