/**
 * Records the README's examples from a real engine: each runs as a child
 * process against the recording proxy, and its exchanges and its output are
 * written to test/fixtures/examples/<name>.json and <name>.stdout, which
 * test/replay/examples.test.ts replays (latent-workers:
 * test/replay/example-latent-workers.test.ts). The latent-workers master
 * listens on a free port, kept as `<any>` (scripts/master-port.ts); its
 * workers' passwords are scrubbed by the proxy.
 *
 *   node build/scripts/record-examples.js DOCKER_HOST [example…]
 *
 * The engine needs the image test/helpers/examples.ts names (the test
 * engines have it), and the pull example an open registry where that file
 * says (`scripts/engine.sh registry DIR 5081`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Docker } from '../src/index.js';
import { RecordingProxy, loadFixture } from '../src/testing/index.js';
import { saveFixture } from '../src/testing/fixture.js';
import {
  EXAMPLES, EXAMPLE_IMAGE, EXAMPLE_PULL_REFERENCE, LATENT_WORKERS, LATENT_WORKERS_ENV, exampleFixture, runExample,
} from '../test/helpers/examples.js';
import { missingStartupLines } from '../test/helpers/latent-workers-example.js';
import { anyMasterPort } from './master-port.js';

/** What the examples leave behind when they fail half-way. */
async function clean(docker: Docker): Promise<void> {
  for (const name of ['containers', 'logs', 'exec', 'events', 'errors', 'cancellation']) {
    await docker.containers.remove(`berth-example-${name}`, { force: true }).catch(() => undefined);
  }
  await docker.images.remove('berth-example-build:latest').catch(() => undefined);
  await docker.images.remove(EXAMPLE_PULL_REFERENCE).catch(() => undefined);
}

/** The pull example pulls from a private registry: the image is pushed there first, and removed from the engine. */
async function preparePull(docker: Docker): Promise<void> {
  await docker.images.tag(EXAMPLE_IMAGE, EXAMPLE_PULL_REFERENCE);
  await docker.images.push(EXAMPLE_PULL_REFERENCE);
  await docker.images.remove(EXAMPLE_PULL_REFERENCE);
}

async function main(): Promise<void> {
  const [target, ...names] = process.argv.slice(2);
  if (target === undefined) throw new Error('usage: node build/scripts/record-examples.js DOCKER_HOST [example…]');
  const docker = new Docker({ host: target, env: {} });
  const dir = mkdtempSync('/tmp/bre-');
  try {
    for (const example of [...EXAMPLES, LATENT_WORKERS].filter((e) => names.length === 0 || names.includes(e.name))) {
      const latent = example === LATENT_WORKERS;
      await clean(docker);
      if (example.name === 'pull') await preparePull(docker);
      const proxy = await RecordingProxy.start({ target, listen: { socketPath: join(dir, `${example.name}.sock`) } });
      try {
        const env = { PATH: process.env.PATH ?? '', DOCKER_HOST: proxy.url, DOCKER_CONFIG: dir, ...(latent ? LATENT_WORKERS_ENV : {}) };
        const r = await runExample(example, env, { timeoutMs: 120_000 });
        if (r.code !== 0) throw new Error(`example ${example.name} failed (${r.code ?? '?'}):\n${r.stdout}${r.stderr}`);
        // a worker that logged in before its first line reached the master: a replay could not give the same output
        const missing = latent ? missingStartupLines(r.stdout, Number(LATENT_WORKERS_ENV.WORKERS)) : [];
        if (missing.length > 0) throw new Error(`no startup line of ${missing.join(', ')} before it logged in; record again:\n${r.stdout}`);
        const paths = exampleFixture(example.name);
        const description = latent
          ? `examples/${example.name}.ts with ${Object.entries(LATENT_WORKERS_ENV).map(([k, v]) => `${k}=${v}`).join(' ')}`
          : `examples/${example.name}.ts ${example.args.join(' ')}`.trim();
        await proxy.save(paths.exchanges, description);
        if (latent) await saveFixture(paths.exchanges, anyMasterPort(loadFixture(paths.exchanges)));
        writeFileSync(paths.stdout, r.stdout);
        console.log(`recorded ${example.name}: ${r.stdout.split('\n').length - 1} lines of output`);
      } finally {
        await proxy.close();
      }
    }
  } finally {
    await clean(docker);
    await docker.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
