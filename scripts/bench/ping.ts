/**
 * Request overhead, trial side: one client makes `warmup` then `requests`
 * calls of `/_ping`, `concurrency` at a time, over a unix socket. The timed
 * part is the second batch: its wall time and this process's CPU.
 */
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

export async function trial(contender: string, params: Params): Promise<TrialOutcome> {
  const requests = numberParam(params, 'requests');
  const concurrency = numberParam(params, 'concurrency');
  const client = await open(contender, stringParam(params, 'socket'));
  await drive(client, numberParam(params, 'warmup'), concurrency);
  const m = await measure(() => drive(client, requests, concurrency));
  await client.close();
  return {
    metrics: { reqPerS: requests / m.wallS, cpuUsPerReq: (m.cpuS * 1e6) / requests, wallS: m.wallS, cpuS: m.cpuS },
  };
}
