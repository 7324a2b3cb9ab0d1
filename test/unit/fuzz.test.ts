import t from 'tap';
import { Worker } from 'node:worker_threads';
import { TARGETS } from '../helpers/fuzz-targets.js';
import type { FuzzJob, FuzzMessage } from '../helpers/fuzz-worker.js';

/**
 * Bad input, seeded: over 100,000 random and mutated inputs to the endpoint
 * parser and resolver, the `.dockerignore` reader and matcher, the volume
 * parser, the frame demultiplexer and the JSON-lines readers. Each must be
 * accepted or refused with the typed error of its contract, never another
 * exception, never a hang (a watchdog names the case that stops making
 * progress). Reproducible: the same seed gives the same inputs.
 *
 *   BERTH_FUZZ_SEED=n        another seed (default 20240601; `random` for a fresh one, printed)
 *   BERTH_FUZZ_SCALE=k       k times the cases (default 1: 110,000 in all)
 *   BERTH_FUZZ_CASE=target#i replays one case (target as named below)
 */

const DEFAULT_SEED = 20240601;
/** No progress for this long is a hang: a case is 10 µs to a few ms. */
const STALL_MS = 20_000;

function seed(): number {
  const v = process.env.BERTH_FUZZ_SEED;
  if (v === undefined || v === '') return DEFAULT_SEED;
  if (v === 'random') return (Date.now() ^ (process.pid << 16)) >>> 0;
  return Number(v) >>> 0;
}

const scale = Math.max(1, Number(process.env.BERTH_FUZZ_SCALE ?? 1) || 1);
const only = process.env.BERTH_FUZZ_CASE;
const runSeed = seed();

function run(job: Omit<FuzzJob, 'current'>): Promise<{ messages: FuzzMessage[]; hung?: number }> {
  const current = new SharedArrayBuffer(4);
  const worker = new Worker(new URL('../helpers/fuzz-worker.js', import.meta.url), { workerData: { ...job, current } satisfies FuzzJob });
  const messages: FuzzMessage[] = [];
  return new Promise((resolve, reject) => {
    let watchdog: NodeJS.Timeout;
    const arm = (): void => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        const hung = Atomics.load(new Int32Array(current), 0);
        void worker.terminate().then(() => resolve({ messages, hung }));
      }, STALL_MS);
    };
    arm();
    worker.on('message', (m: FuzzMessage) => {
      messages.push(m);
      arm();
      if (m.type === 'done') {
        clearTimeout(watchdog);
        void worker.terminate().then(() => resolve({ messages }));
      }
    });
    worker.on('error', (err) => {
      clearTimeout(watchdog);
      reject(err);
    });
  });
}

t.comment(`BERTH_FUZZ_SEED=${runSeed}`);
let total = 0;
for (const target of TARGETS) {
  const cases = target.cases * scale;
  total += cases;
  const [name, index] = only?.split('#') ?? [];
  if (only !== undefined && name !== target.name) continue;
  t.test(`${target.name}: ${only !== undefined ? `case ${index ?? '?'}` : `${cases} cases`}, seed ${runSeed}`, async (t) => {
    const from = only !== undefined ? Number(index) : 0;
    const { messages, hung } = await run({ seed: runSeed, target: target.name, from, to: only !== undefined ? from + 1 : cases });
    if (hung !== undefined) t.fail(`case ${hung} made no progress for ${STALL_MS} ms: a hang (replay: BERTH_FUZZ_SEED=${runSeed} BERTH_FUZZ_CASE='${target.name}#${hung}')`);
    for (const m of messages) {
      if (m.type === 'failure') t.fail(`case ${m.index}: ${m.message} (replay: BERTH_FUZZ_SEED=${runSeed} BERTH_FUZZ_CASE='${target.name}#${m.index}')`, { input: m.input });
    }
    const done = messages.find((m): m is Extract<FuzzMessage, { type: 'done' }> => m.type === 'done');
    t.ok(done, 'the run finished');
    if (done && only === undefined) {
      t.equal(done.failures, 0, `${done.cases} cases, ${done.refused} refused with a typed error, none broke the contract`);
      t.ok(done.refused > done.cases / 20 && done.refused < done.cases, 'a mix of accepted and refused inputs');
    }
  });
}
if (only === undefined) t.ok(total >= 100_000, `${total} cases in all`);
