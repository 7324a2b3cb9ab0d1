/**
 * Records the README's examples from a real engine: each runs as a child
 * process against the recording proxy, and its exchanges and its output are
 * written to test/fixtures/examples/<name>.json and <name>.stdout, which
 * test/replay/examples.test.ts replays.
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
import { RecordingProxy } from '../src/testing/index.js';
import { EXAMPLES, EXAMPLE_IMAGE, EXAMPLE_PULL_REFERENCE, exampleFixture, runExample } from '../test/helpers/examples.js';

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
    for (const example of EXAMPLES.filter((e) => names.length === 0 || names.includes(e.name))) {
      await clean(docker);
      if (example.name === 'pull') await preparePull(docker);
      const proxy = await RecordingProxy.start({ target, listen: { socketPath: join(dir, `${example.name}.sock`) } });
      try {
        const r = await runExample(example, { PATH: process.env.PATH ?? '', DOCKER_HOST: proxy.url, DOCKER_CONFIG: dir });
        if (r.code !== 0) throw new Error(`example ${example.name} failed (${r.code ?? '?'}):\n${r.stdout}${r.stderr}`);
        const paths = exampleFixture(example.name);
        await proxy.save(paths.exchanges, `examples/${example.name}.ts ${example.args.join(' ')}`.trim());
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
