import { parentPort, workerData } from 'node:worker_threads';
import { FuzzFailure, TARGETS, caseRng } from './fuzz-targets.js';

/**
 * Runs the fuzz cases of one target in a worker thread, so that the test
 * can see a hang (a case that never returns) and name it: before each case
 * the worker stores its index in shared memory, and it reports progress
 * every few hundred cases.
 */

export interface FuzzJob {
  seed: number;
  target: string;
  /** First and last (exclusive) case index. */
  from: number;
  to: number;
  /** [0]: the index of the case running now. */
  current: SharedArrayBuffer;
}

export type FuzzMessage =
  | { type: 'progress'; done: number }
  | { type: 'failure'; index: number; message: string; input: string }
  | { type: 'done'; cases: number; refused: number; failures: number };

const job = workerData as FuzzJob;
const port = parentPort;
if (port === null) throw new Error('fuzz-worker runs as a worker thread');
const current = new Int32Array(job.current);
const target = TARGETS.find((x) => x.name === job.target);
if (target === undefined) throw new Error(`no fuzz target ${job.target}`);

let refused = 0;
let failures = 0;
for (let index = job.from; index < job.to; index++) {
  Atomics.store(current, 0, index);
  try {
    if (await target.run(caseRng(job.seed, target.name, index))) refused++;
  } catch (err) {
    failures++;
    const message = err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err);
    port.postMessage({ type: 'failure', index, message, input: err instanceof FuzzFailure ? err.input : '' } satisfies FuzzMessage);
    if (failures >= 5) break;
  }
  if ((index - job.from) % 250 === 249) port.postMessage({ type: 'progress', done: index - job.from + 1 } satisfies FuzzMessage);
}
port.postMessage({ type: 'done', cases: job.to - job.from, refused, failures } satisfies FuzzMessage);
