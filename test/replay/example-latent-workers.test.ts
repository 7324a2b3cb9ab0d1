import t from 'tap';
import { readFileSync } from 'node:fs';
import { LATENT_WORKERS, LATENT_WORKERS_ENV, exampleFixture, runExample } from '../helpers/examples.js';
import { WorkerContainers, comparableOutput } from '../helpers/latent-workers-example.js';
import { replay } from '../helpers/replay.js';
import { shortTempDir } from '../helpers/tmp.js';

/**
 * examples/latent-workers.ts against the replay engine, with the exchanges
 * recorded from a real dockerd: the test plays its worker containers (each
 * logs in to the example's master with the name and password it was
 * created with, after its start), and the example asks for exactly what it
 * asked of the real engine and prints what it printed there — less the
 * clock: step durations, and the order of lines written at the same time.
 */

t.test('examples/latent-workers.ts', async (t) => {
  const paths = exampleFixture(LATENT_WORKERS.name);
  const config = shortTempDir(t, 'bx');
  const containers = new WorkerContainers();
  t.teardown(() => containers.close());
  const r = await replay(t, [paths.exchanges], async ({ server, url }) => {
    containers.follow(server);
    try {
      return await runExample(LATENT_WORKERS, {
        PATH: process.env.PATH ?? '', DOCKER_HOST: url, DOCKER_CONFIG: config, ...LATENT_WORKERS_ENV,
      }, { timeoutMs: 60_000, onStdout: containers.onStdout });
    } finally {
      await containers.close();
    }
  }, { beforeUpgradeChunk: containers.beforeUpgradeChunk });
  t.equal(r.code, 0, `exits 0 ${r.stderr}`);
  t.equal(r.stderr, '', 'nothing on stderr');
  const recorded = readFileSync(paths.stdout, 'utf8');
  t.same(comparableOutput(r.stdout), comparableOutput(recorded), 'the output the real engine gave');
  t.same(containers.failures, [], 'every worker reached the master');
  t.same(Object.fromEntries(containers.received), {
    example_0: 'build 1\nbuild 3\nbuild 5\n',
    example_1: 'build 2\nbuild 4\n',
  }, 'each worker logged in, and was sent its builds');
});
