import { defineCommand } from '../command.js';
import { CliError, EXIT, UsageError } from '../failure.js';
import { createRenderer } from '../progress/index.js';
import { BUNDLED_SESSION, chooseEngine, type DemoEngine, type RecordedParameters } from '../demo/engine-choice.js';
import { DEMO_IMAGE, DEMO_MASTER_ID } from '../demo/plan.js';
import { REPLAY_TIME_SCALE, runDemo } from '../demo/run-demo.js';
import { formatSummary } from '../demo/summary.js';
import { HOST_BUSYBOX } from '../demo/worker-image.js';

function count(text: string | undefined, fallback: number, option: string, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${option} ${JSON.stringify(text)} is not a whole number from 1 to ${max}`);
  return n;
}

function seconds(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || n > 3600) throw new UsageError(`--idle ${JSON.stringify(text)} is not a number of seconds from 0 to 3600`);
  return n;
}

/** How long a replayed demo may take before it counts as stalled, in milliseconds (a good one takes about one second). */
const REPLAY_DEADLINE_MS = 20_000;
/** How often a replay is checked for having strayed, in milliseconds. */
const WATCH_INTERVAL_MS = 100;

/**
 * The parameters to run with: what was asked, and for a replay the ones it
 * was recorded with (other values would ask for what was never recorded).
 */
function replayParameters(engine: DemoEngine, asked: RecordedParameters,
  given: { builds?: string | undefined; workers?: string | undefined; idle?: string | undefined }): RecordedParameters {
  const recorded = engine.recorded;
  if (engine.mode !== 'replay' || recorded === undefined) return asked;
  const differ = (given.builds !== undefined && asked.builds !== recorded.builds)
    || (given.workers !== undefined && asked.workers !== recorded.workers)
    || (given.idle !== undefined && asked.idleSeconds !== recorded.idleSeconds);
  if (differ) {
    throw new UsageError(`the recorded session ran ${recorded.builds} builds on ${recorded.workers} workers with --idle ${recorded.idleSeconds}: it cannot replay other values`,
      'give --builds, --workers and --idle with an engine (see berth doctor)');
  }
  return recorded;
}

/** `berth demo`: a small build master running a queue of builds on Docker latent workers. */
export const demo = defineCommand({
  name: 'demo',
  summary: 'run a queue of builds on Docker latent workers, and watch it happen',
  synopsis: 'demo [--builds N] [--workers K] [--idle SECONDS] [--keep] [--json] [--host H | --context C | --replay]',
  description: `
A small build master: a TCP server on 127.0.0.1 that worker containers log in
to, and a queue of builds run on a pool of Docker latent workers. It makes the
worker image when the engine lacks it (${DEMO_IMAGE}: FROM scratch plus the
host's static busybox, ${HOST_BUSYBOX}, or else FROM a busybox image the engine
already has — no registry is needed), starts a container per worker, follows
its startup output (the password redacted) until the worker inside logs in,
runs each build's commands in the container (build n on worker (n-1) mod K),
lets each worker go idle and removes its container after --idle seconds
(buildWaitTimeout), then prints a summary: builds, containers created and
removed, and the time spent in each phase.

The engine is the one the docker CLI would use (--host, --context,
DOCKER_HOST, the current context, the default socket). When no engine
answers there — and neither --host nor --context was given — the demo
replays the session in ${BUNDLED_SESSION}, recorded from a real dockerd, on
an embedded fake engine, and says so on its first line. A replay cannot
connect containers back to a master, so worker logins are simulated at the
recorded login line, and idle timeouts run ${REPLAY_TIME_SCALE} times faster.

Its containers carry the label berth.master=${DEMO_MASTER_ID}; Ctrl-C stops
the builds and removes every one of them (by label, as a last resort), and
leftovers of an interrupted run are removed at the next start. The image is
removed at the end when this run built it, unless --keep.`,
  options: {
    builds: { type: 'string', value: 'N', description: 'how many builds to queue (default 6)' },
    workers: { type: 'string', value: 'K', description: 'how many latent workers run them (default 2)' },
    idle: { type: 'string', value: 'SECONDS', description: 'buildWaitTimeout: how long an idle worker is kept (default 3)' },
    keep: { type: 'boolean', description: 'keep the worker image this run built' },
    json: { type: 'boolean', description: 'print the summary as one JSON object on stdout' },
    host: { type: 'string', value: 'HOST', description: 'the engine, like DOCKER_HOST (no fallback to the recorded session)' },
    context: { type: 'string', value: 'NAME', description: 'use this docker context (no fallback to the recorded session)' },
    replay: { type: 'boolean', description: 'replay the bundled recorded session even when an engine answers' },
    session: { type: 'string', value: 'FILE', description: 'replay this recorded session instead of the bundled one' },
  },
  examples: [
    'berth demo',
    'berth demo --builds 10 --workers 3 --idle 5',
    'berth demo --replay --plain',
    'berth demo --host unix:///run/user/1000/docker.sock --json',
  ],
  async run({ args, out, env, signal }) {
    const v = args.values;
    const asked = { builds: count(v.builds, 6, '--builds', 100), workers: count(v.workers, 2, '--workers', 10), idleSeconds: seconds(v.idle, 3) };
    if ([v.host, v.context, v.replay === true ? true : undefined, v.session].filter((x) => x !== undefined).length > 1) {
      throw new UsageError('give one of --host, --context, --replay and --session');
    }
    const mode = v.json === true ? 'quiet' : out.progressMode(out.stderr);
    const engine = await chooseEngine({ host: v.host, context: v.context, env, replay: v.replay === true, session: v.session, signal });
    let parameters: RecordedParameters;
    try {
      parameters = replayParameters(engine, asked, v);
    } catch (err) {
      await engine.finish();
      throw err;
    }
    const progress = createRenderer({ stream: out.stderr, mode, color: out.errStyle.enabled });
    let summary;
    let strayed = false;
    // a replay that strays may wait for answers only the recorded requests release: give up on it at its first
    // request that was never recorded, or when it takes far longer than a replay does
    const started = Date.now();
    const watchdog = engine.mode === 'replay' ? setInterval(() => {
      const missed = engine.misses() > 0;
      if (!missed && Date.now() - started < REPLAY_DEADLINE_MS) return;
      clearInterval(watchdog);
      strayed = true;
      out.warn(missed ? 'the replay asked for something the session never recorded: giving up on it' : 'the replay stalled: giving up on the recorded session');
      void engine.abandon();
    }, WATCH_INTERVAL_MS) : undefined;
    // the workers' timers do not keep a process alive (by design): this does, until the demo is over
    const keepAlive = setInterval(() => undefined, 60_000);
    try {
      out.note(engine.banner);
      summary = await runDemo({ engine, ...parameters, keep: v.keep === true, out, progress, signal })
        .catch((err: unknown) => {
          if (!strayed) throw err;
          throw new CliError('failed', 'the replayed demo strayed from its recorded session', {
            hint: 'a replay runs what was recorded; run against an engine (see berth doctor) or record the session again', cause: err,
          });
        });
    } finally {
      clearInterval(watchdog);
      clearInterval(keepAlive);
      progress.end();
      const replay = await engine.finish();
      if (replay !== undefined && (replay.missed > 0 || replay.unserved > 0) && summary?.interrupted !== true) {
        strayed = true;
        out.warn(`the replay strayed from the recorded session: ${replay.missed} request(s) not recorded, ${replay.unserved} recorded answer(s) not asked for`);
      }
    }
    if (v.json === true) out.result(JSON.stringify(summary, null, 2));
    else for (const line of formatSummary(summary, out.style)) out.result(line);
    if (summary.interrupted) return EXIT.interrupted;
    return summary.ok && !strayed ? EXIT.ok : EXIT.failed;
  },
});
