import t from 'tap';
import type { Test } from 'tap';
import { DEMO_IMAGE, DEMO_MASTER_ID } from '../../src/cli/demo/plan.js';
import type { DemoSummary } from '../../src/cli/demo/summary.js';
import { ownedByFilter } from '../../src/index.js';
import { cleanEnv, runBerth, spawnBerth } from '../helpers/cli.js';
import { dockerFor, engineOr, type EngineName } from '../helpers/engines.js';

/**
 * `berth demo` against real engines, as a child process: the summary adds
 * up, no container with the demo's labels is left, the password never
 * shows, and Ctrl-C in the middle of the builds still removes everything.
 */

const ENGINES: readonly EngineName[] = ['dockerd-20.10', 'podman-4.3'];

/** Every `password X` shown says `[redacted]`. */
function checkRedacted(t: Test, text: string): void {
  const shown = [...text.matchAll(/password (\S+)/g)].map((m) => m[1]);
  t.ok(shown.length > 0, 'the startup output shows where the password was');
  t.same([...new Set(shown)], ['[redacted]'], 'and it is redacted');
  t.notMatch(text, /WORKERPASS=(?!<)/, 'no password variable value');
}

for (const name of ENGINES) {
  t.test(`on ${name}`, async (t) => {
    const engine = engineOr(t, name);
    if (!engine) return;
    const docker = dockerFor(t, engine);
    const leftovers = async (): Promise<number> => (await docker.containers.list({ all: true, filters: ownedByFilter(DEMO_MASTER_ID) })).length;

    await t.test('builds run, workers go idle and are removed, the summary adds up', async (t) => {
      const r = await runBerth(['demo', '--host', engine.host, '--builds', '5', '--workers', '2', '--idle', '1', '--json'], cleanEnv(t),
        { timeoutMs: 180_000 });
      t.equal(r.code, 0, r.stderr);
      const s = JSON.parse(r.stdout) as DemoSummary;
      t.match(s, {
        ok: true, mode: 'engine', workers: 2,
        builds: { total: 5, succeeded: 5, failed: 0, interrupted: 0, notRun: 0 },
        containers: { created: 2, removed: 2, left: 0 },
        image: { name: DEMO_IMAGE, built: true, removed: true },
      });
      // the idle stop is a Node timer, counted from the event loop's cached time, which lags Date.now() (the events'
      // clock) by however long the current turn has run: under load a 1 s timer can read as a few ms less
      t.ok(s.phasesMs.idle >= 2 * 900, `each worker idled for its buildWaitTimeout (${s.phasesMs.idle} ms for two)`);
      t.equal(await leftovers(), 0, 'no container of the demo is left');
      t.equal(await docker.images.exists(DEMO_IMAGE), false, 'the image it built is removed');
    });

    await t.test('the progress shows the lifecycle; the password is never shown', async (t) => {
      const r = await runBerth(['demo', '--host', engine.host, '--builds', '2', '--workers', '1', '--idle', '0', '--plain', '--keep'], cleanEnv(t),
        { timeoutMs: 180_000 });
      t.teardown(() => docker.images.remove(DEMO_IMAGE).catch(() => undefined));
      t.equal(r.code, 0, r.stderr);
      t.match(r.stderr.split('\n')[0], new RegExp(`^engine: ${engine.kind} \\S+ at ${engine.host.replace(/[/.]/g, '\\$&')} \\(from the host option\\), API `));
      t.match(r.stderr, /^master: listening on 127\.0\.0\.1:\d+ for 1 worker\(s\)$/m);
      t.match(r.stderr, /^master: worker demo-1 logged in$/m, 'the worker connected back to the master');
      t.match(r.stderr, /^build 2 on demo-1: test\n {2}1 of 1 tests passed\nbuild 2: success$/m);
      checkRedacted(t, r.stdout + r.stderr);
      t.match(r.stdout, /^ {2}containers {2}1 created, 1 removed, 0 left$/m);
      t.match(r.stdout, /^ {2}image {7}berth-demo-worker:latest, built from .*, kept$/m);
      t.equal(await docker.images.exists(DEMO_IMAGE), true, '--keep kept the image');
      const again = await runBerth(['demo', '--host', engine.host, '--builds', '1', '--workers', '1', '--idle', '0', '--plain'], cleanEnv(t),
        { timeoutMs: 180_000 });
      t.equal(again.code, 0, again.stderr);
      t.match(again.stderr, /^the worker image berth-demo-worker:latest is on the engine$/m, 'a kept image is used, not rebuilt');
      t.match(again.stdout, /already on the engine \(left there\)/);
    });

    await t.test('Ctrl-C during the builds: exit 130, every container removed', async (t) => {
      const run = spawnBerth(t, ['demo', '--host', engine.host, '--builds', '40', '--workers', '2', '--plain'], cleanEnv(t));
      await run.stderrMatching(/^build \d+: success$/m);
      run.kill('SIGINT');
      const r = await run.done;
      t.equal(r.code, 130, r.stderr);
      t.match(r.stderr, /^interrupted: stopping the builds and removing the containers/m);
      t.match(r.stdout, /^interrupted$/m);
      t.match(r.stdout, /containers {2}2 created, 2 removed, 0 left/);
      t.equal(await leftovers(), 0, 'no container of the demo is left');
    });
  });
}
