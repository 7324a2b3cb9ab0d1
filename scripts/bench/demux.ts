/**
 * In-process demultiplexing, trial side: a synthetic multiplexed stream
 * (stdout and stderr frames alternating) fed through a Readable into two
 * counting sinks, one `write()` per frame (or per piece of a frame).
 */
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { measure, numberParam, stringParam, unknownContender, type Params, type TrialOutcome } from './child.js';
import { CountingSink, fixedCutter, patternSource, type Cutter } from './streams.js';
import type { Frame } from '../../src/engine/streams/index.js';

export const DEMUX_CONTENDERS = ['berth-demux', 'berth-streams', 'iterator-floor', 'ref', 'passthrough', 'dockerode'] as const;

/** Frame sizes of each workload, cycled: [stream, payload bytes]. */
const WORKLOADS: Record<string, readonly (readonly [1 | 2, number])[]> = {
  mixed: [[1, 20], [2, 32 * 1024], [2, 20], [1, 32 * 1024]],
  small: [[1, 20], [2, 20]],
  tiny: [[1, 1], [2, 1]],
};

/** About 4 MiB of whole frame cycles; the payload bytes are a letter per stream. */
export function demuxPattern(workload: string): { pattern: Buffer; stdout: number; stderr: number } {
  const cycle = WORKLOADS[workload];
  if (!cycle) throw new Error(`no demux workload ${workload}`);
  const cycleBytes = cycle.reduce((n, [, size]) => n + 8 + size, 0);
  const cycles = Math.max(1, Math.floor((4 << 20) / cycleBytes));
  const pattern = Buffer.alloc(cycles * cycleBytes);
  let at = 0;
  let stdout = 0;
  let stderr = 0;
  for (let c = 0; c < cycles; c++) {
    for (const [stream, size] of cycle) {
      pattern[at] = stream;
      pattern.writeUInt32BE(size, at + 4);
      pattern.fill(stream === 1 ? 0x6f : 0x65, at + 8, at + 8 + size);
      at += 8 + size;
      if (stream === 1) stdout += size;
      else stderr += size;
    }
  }
  return { pattern, stdout, stderr };
}

/** One frame per chunk, as dockerd's logs endpoint writes them. */
const frameCutter: Cutter = (pattern, offset) => offset + 8 + pattern.readUInt32BE(offset + 4);

/**
 * The reference: a zero-copy demultiplexer in a `data` handler. Payload
 * bytes are written as views of the chunk they arrived in (a frame split
 * across chunks is written in pieces, never joined); only a split header
 * is copied. It pauses the source while a sink is full.
 */
function referenceDemux(src: Readable, out: Writable, err: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const header = Buffer.alloc(8);
    let headerFill = 0;
    let need = 0;
    let target = out;
    src.on('data', (chunk: Buffer) => {
      let pos = 0;
      let full: Writable | undefined;
      while (pos < chunk.length) {
        if (need > 0) {
          const take = Math.min(need, chunk.length - pos);
          if (!target.write(chunk.subarray(pos, pos + take))) full = target;
          pos += take;
          need -= take;
        } else if (headerFill === 0 && chunk.length - pos >= 8) {
          target = chunk[pos] === 2 ? err : out;
          need = chunk.readUInt32BE(pos + 4);
          pos += 8;
        } else {
          const take = Math.min(8 - headerFill, chunk.length - pos);
          chunk.copy(header, headerFill, pos, pos + take);
          headerFill += take;
          pos += take;
          if (headerFill === 8) {
            headerFill = 0;
            target = header[0] === 2 ? err : out;
            need = header.readUInt32BE(4);
          }
        }
      }
      if (full) {
        src.pause();
        full.once('drain', () => src.resume());
      }
    });
    src.once('end', () => (need > 0 || headerFill > 0 ? reject(new Error('stream ended inside a frame')) : resolve()));
    src.once('error', reject);
  });
}

/**
 * The least an async iterator of frames can cost: berth's decoder run in a
 * `data` handler (as the reference decodes), each piece queued as a frame
 * object (a view, never joined) and handed out one per `next()`, the source
 * paused while 64 wait. It is read by the same loop as berth's `demux()`, so
 * what separates the two is berth's iterator and chunk queue; what separates
 * it from the reference is the protocol's (a promise, a result and an await
 * per piece) and the loop's.
 */
async function iteratorFloor(src: Readable): Promise<AsyncIterableIterator<Frame, undefined>> {
  const { FrameDecoder } = await import('../../src/engine/streams/index.js');
  const decoder = new FrameDecoder();
  const waiting: Array<Frame | undefined> = [];
  let head = 0;
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  src.on('data', (chunk: Buffer) => {
    try {
      decoder.push(chunk);
      for (let data = decoder.readPayload(); data !== undefined; data = decoder.readPayload()) waiting.push({ stream: decoder.payloadStream, data });
    } catch (err) {
      failure = err;
      src.destroy();
    }
    if (waiting.length - head >= 64) src.pause();
    notify();
  });
  src.once('end', () => {
    try {
      decoder.end();
    } catch (err) {
      failure = err;
    }
    ended = true;
    notify();
  });
  src.once('error', (err) => { failure ??= err; notify(); });
  const iterator: AsyncIterableIterator<Frame, undefined> = {
    [Symbol.asyncIterator]: () => iterator,
    next(): Promise<IteratorResult<Frame, undefined>> {
      const value = waiting[head];
      if (value !== undefined) {
        waiting[head++] = undefined;
        if (head === waiting.length) {
          waiting.length = 0;
          head = 0;
          src.resume();
        }
        return Promise.resolve({ value, done: false });
      }
      if (failure !== undefined) return Promise.reject(failure);
      if (ended) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => {
        wake = () => resolve(iterator.next());
        src.resume();
      });
    },
  };
  return iterator;
}

async function run(contender: string, src: Readable, out: CountingSink, err: CountingSink): Promise<void> {
  switch (contender) {
    case 'passthrough':
      // one sink takes everything: what the source and stream machinery cost with no demultiplexing
      src.pipe(out);
      await finished(out);
      return;
    case 'ref':
      await referenceDemux(src, out, err);
      return;
    case 'berth-demux': {
      const { demux } = await import('../../src/engine/streams/index.js');
      for await (const f of demux(src)) {
        const sink = f.stream === 'stderr' ? err : out;
        if (!sink.write(f.data)) await once(sink, 'drain');
      }
      return;
    }
    case 'iterator-floor':
      for await (const f of await iteratorFloor(src)) {
        const sink = f.stream === 'stderr' ? err : out;
        if (!sink.write(f.data)) await once(sink, 'drain');
      }
      return;
    case 'berth-streams': {
      const { demuxToStreams } = await import('../../src/engine/streams/index.js');
      const { stdout, stderr, done } = demuxToStreams(src);
      stdout.pipe(out);
      stderr.pipe(err);
      await Promise.all([done, finished(out), finished(err)]);
      return;
    }
    case 'dockerode': {
      const { loadDockerode } = await import('./peers.js');
      const Dockerode = loadDockerode();
      new Dockerode({ socketPath: '/nonexistent' }).modem.demuxStream(src, out, err);
      await finished(src);
      return;
    }
    default:
      unknownContender('demux', contender);
  }
}

export async function trial(contender: string, params: Params): Promise<TrialOutcome> {
  const { pattern, stdout, stderr } = demuxPattern(stringParam(params, 'workload'));
  const repeats = Math.max(1, Math.round(numberParam(params, 'bytes') / pattern.length));
  const chunking = stringParam(params, 'chunking');
  const cutter = chunking === 'frame' ? frameCutter : fixedCutter(chunking === '1m' ? 1 << 20 : 64 * 1024);
  // load the contender's code before the clock starts
  if (contender.startsWith('berth') || contender === 'iterator-floor') await import('../../src/engine/streams/index.js');
  if (contender === 'dockerode') (await import('./peers.js')).loadDockerode();
  const out = new CountingSink();
  const err = new CountingSink();
  const m = await measure(() => run(contender, patternSource(pattern, repeats, cutter), out, err));
  const wire = pattern.length * repeats;
  const exact = contender === 'passthrough'
    ? out.bytes === wire
    : out.bytes === stdout * repeats && err.bytes === stderr * repeats;
  return {
    metrics: { MBps: wire / 1e6 / m.wallS, wallS: m.wallS, cpuS: m.cpuS, wireMB: wire / 1e6 },
    checks: { exact, stdoutBytes: out.bytes, stderrBytes: err.bytes },
  };
}
