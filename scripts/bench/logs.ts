/**
 * Logs end to end, trial side: one followed `GET /containers/{id}/logs`
 * (stdout and stderr) of a stopped container, whose stored output is the
 * workload, read to its end by one client in this fresh process. `follow`
 * on a stopped container sends the stored log and ends. Each contender
 * first makes one request of its own (negotiation or `/_ping`), so that
 * loading its library and connecting are not timed; the timed part is the
 * logs call from the request to the end of the body.
 *
 * With `allLoaded`, the process first loads every contender's library
 * (berth, undici, dockerode) whichever contender it runs, so that all of
 * them read the log with the same modules in the heap. V8 runs no
 * incremental marking while the old generation is under its activation
 * threshold (8 MB in Node 20): undici alone stays about there, undici with
 * berth loaded does not, and then V8 marks after nearly every scavenge of a
 * fast body. The fresh-process cases measure that threshold as much as the
 * reading; these cases measure the reading.
 */
import { finished } from 'node:stream/promises';
import { measure, numberParam, stringParam, unknownContender, type Params, type TrialOutcome } from './child.js';
import { countGcs } from './gc-count.js';
import { CountingSink } from './streams.js';

export const LOGS_CONTENDERS = ['berth-frames', 'berth-streams', 'undici', 'dockerode'] as const;

/** What a contender read: payload bytes per stream, or (undici, which does not demultiplex) the body's bytes. */
interface Counts {
  stdout: number;
  stderr: number;
  /** Body bytes, headers of the frames included (undici only). */
  wire?: number;
  /**
   * Items and their smallest and largest payload (berth's frame iterator
   * only). A frame that straddles two chunks of the body comes as two items,
   * so there are at least as many items as frames.
   */
  frames?: number;
  minFrame?: number;
  maxFrame?: number;
}

interface Reader {
  /** The timed part: one followed logs call, read to its end. */
  read(): Promise<Counts>;
  close(): Promise<void>;
}

interface Target {
  socketPath: string;
  id: string;
  apiVersion: string;
}

async function open(contender: string, t: Target): Promise<Reader> {
  switch (contender) {
    case 'berth-frames':
    case 'berth-streams': {
      const { Docker, demuxToStreams } = await import('../../src/index.js');
      const docker = new Docker({ socketPath: t.socketPath, env: {} });
      await docker.negotiate();
      const frames = async (): Promise<Counts> => {
        let stdout = 0;
        let stderr = 0;
        let frames = 0;
        let minFrame = Number.POSITIVE_INFINITY;
        let maxFrame = 0;
        for await (const f of docker.containers.logs(t.id, { follow: true })) {
          const n = f.data.length;
          if (f.stream === 'stderr') stderr += n;
          else stdout += n;
          frames++;
          if (n < minFrame) minFrame = n;
          if (n > maxFrame) maxFrame = n;
        }
        return { stdout, stderr, frames, minFrame, maxFrame };
      };
      // the logs API hands out frames only; a user who wants two Readables sends the same request and splits the body
      const streams = async (): Promise<Counts> => {
        const res = await docker.requester.send({
          method: 'GET', path: `/containers/${encodeURIComponent(t.id)}/logs`, query: { follow: true, stdout: true, stderr: true }, stream: true,
        });
        const { stdout, stderr, done } = demuxToStreams(res.body, { request: res.request, mapError: (err) => res.mapError(err) });
        const out = new CountingSink();
        const err = new CountingSink();
        stdout.pipe(out);
        stderr.pipe(err);
        await Promise.all([done, finished(out), finished(err)]);
        return { stdout: out.bytes, stderr: err.bytes };
      };
      return { read: contender === 'berth-frames' ? frames : streams, close: () => docker.close() };
    }
    case 'undici': {
      const { Pool } = await import('undici');
      const pool = new Pool('http://localhost', { socketPath: t.socketPath });
      await (await pool.request({ method: 'GET', path: '/_ping' })).body.text();
      const read = async (): Promise<Counts> => {
        const res = await pool.request({
          method: 'GET', path: `/v${t.apiVersion}/containers/${encodeURIComponent(t.id)}/logs?follow=1&stdout=1&stderr=1`,
        });
        if (res.statusCode !== 200) throw new Error(`logs: status ${res.statusCode}: ${await res.body.text()}`);
        let wire = 0;
        const body = res.body;
        await new Promise<void>((resolve, reject) => {
          body.on('data', (chunk: Buffer) => { wire += chunk.length; });
          body.once('end', resolve);
          body.once('error', reject);
        });
        return { stdout: Number.NaN, stderr: Number.NaN, wire };
      };
      return { read, close: () => pool.close() };
    }
    case 'dockerode': {
      const { loadDockerode } = await import('./peers.js');
      const Dockerode = loadDockerode();
      const docker = new Dockerode({ socketPath: t.socketPath });
      await docker.ping();
      const read = async (): Promise<Counts> => {
        const stream = await docker.getContainer(t.id).logs({ follow: true, stdout: true, stderr: true });
        const out = new CountingSink();
        const err = new CountingSink();
        docker.modem.demuxStream(stream, out, err);
        await finished(stream);
        return { stdout: out.bytes, stderr: err.bytes };
      };
      return { read, close: async () => undefined };
    }
    default:
      return unknownContender('logs', contender);
  }
}

/** Every contender's library, loaded and left unused. */
async function loadAll(): Promise<void> {
  await import('../../src/index.js');
  await import('undici');
  (await import('./peers.js')).loadDockerode();
}

export async function trial(contender: string, params: Params): Promise<TrialOutcome> {
  if (params.allLoaded === true) await loadAll();
  const expected = { stdout: numberParam(params, 'stdout'), stderr: numberParam(params, 'stderr'), frames: numberParam(params, 'frames') };
  const wire = expected.stdout + expected.stderr + 8 * expected.frames;
  const reader = await open(contender, {
    socketPath: stringParam(params, 'socket'), id: stringParam(params, 'id'), apiVersion: stringParam(params, 'apiVersion'),
  });
  const gcs = countGcs();
  const m = await measure(() => reader.read());
  const majorGCs = gcs().major;
  await reader.close();
  const got = m.value;
  const exact = got.wire !== undefined
    ? got.wire === wire
    : got.stdout === expected.stdout && got.stderr === expected.stderr && (got.frames === undefined || got.frames >= expected.frames);
  const checks: Record<string, number | boolean> = { exact, wireFrames: expected.frames };
  for (const [k, v] of Object.entries(got)) if (typeof v === 'number' && Number.isFinite(v)) checks[k] = v;
  return {
    metrics: { cpuS: m.cpuS, majorGCs, wallS: m.wallS, MBps: wire / 1e6 / m.wallS, cpuNsPerByte: (m.cpuS * 1e9) / wire },
    checks,
  };
}
