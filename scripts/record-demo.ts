/**
 * Records the session `berth demo` replays when no engine answers: a whole
 * demo run against a real engine, through the recording proxy, written to
 * fixtures/demo-session.json (shipped in the package).
 *
 *   node build/scripts/record-demo.js DOCKER_HOST [OUT]
 *
 * The worker passwords are masked in the recording (the demo tells the
 * proxy each one before it is used), and the master's port, which is a
 * free port picked at each run, is kept as `<any>`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Output } from '../src/cli/output.js';
import { createRenderer } from '../src/cli/progress/index.js';
import { chooseEngine, sessionDescription } from '../src/cli/demo/engine-choice.js';
import { runDemo } from '../src/cli/demo/run-demo.js';
import { formatSummary } from '../src/cli/demo/summary.js';
import { RecordingProxy, loadFixture } from '../src/testing/index.js';
import { anyMasterPort } from './master-port.js';
import { saveFixture } from '../src/testing/fixture.js';

async function main(): Promise<void> {
  const [target, out = 'fixtures/demo-session.json'] = process.argv.slice(2);
  if (target === undefined) throw new Error('usage: node build/scripts/record-demo.js DOCKER_HOST [OUT]');
  const dir = mkdtempSync('/tmp/brd-');
  const proxy = await RecordingProxy.start({ target, listen: { socketPath: join(dir, 'proxy.sock') } });
  try {
    const controller = new AbortController();
    const engine = await chooseEngine({ host: proxy.url, context: undefined, env: {}, replay: false, session: undefined, signal: controller.signal });
    const output = new Output(process.stdout, process.stderr, { plain: true, env: {} });
    const progress = createRenderer({ stream: process.stderr, mode: 'plain' });
    const summary = await runDemo({
      engine, builds: 6, workers: 2, idleSeconds: 3, keep: false, out: output, progress, signal: controller.signal,
      onSecret: (s) => proxy.addSecret(s),
    });
    progress.end();
    await engine.finish();
    for (const line of formatSummary(summary, output.style)) console.log(line);
    if (!summary.ok) throw new Error('the demo did not succeed: not saving the session');
    const description = `${sessionDescription({ builds: 6, workers: 2, idleSeconds: 3 })}: 6 builds on 2 Docker latent workers, the worker image built FROM scratch with a static busybox`;
    await proxy.save(out, description);
    await saveFixture(out, anyMasterPort(loadFixture(out)));
    console.log(`recorded the demo session to ${out}`);
  } finally {
    await proxy.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
