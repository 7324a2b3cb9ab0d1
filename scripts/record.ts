/**
 * Records fixtures: runs scenarios against real engines through the
 * recording proxy and writes test/fixtures/<engine>/<scenario>.json.
 *
 *   node build/scripts/record.js [scenario…] [--engine NAME…]
 *
 * Needs BERTH_TEST_ENGINES (scripts/record-fixtures.sh sets it up).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Docker } from '../src/index.js';
import { RecordingProxy } from '../src/testing/index.js';
import { API_ENGINES, RECORDED_REGISTRIES, testEngines, testRegistries } from '../test/helpers/engines.js';
import { fixturePath } from '../test/helpers/replay.js';
import { loadScenarios, type ScenarioContext } from '../test/scenarios/scenario.js';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const engineFilter: string[] = [];
  const names: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--engine') engineFilter.push(args[++i] ?? '');
    else names.push(args[i] ?? '');
  }
  const all = await loadScenarios();
  const chosen = names.length ? all.filter((s) => names.includes(s.name)) : all;
  const unknown = names.filter((n) => !all.some((s) => s.name === n));
  if (unknown.length) throw new Error(`unknown scenarios: ${unknown.join(', ')} (known: ${all.map((s) => s.name).join(', ')})`);
  const engines = testEngines();
  if (!engines.length) throw new Error('no engines: run through scripts/record-fixtures.sh');
  let failed = 0;
  for (const s of chosen) {
    for (const name of s.engines ?? API_ENGINES) {
      if (engineFilter.length && !engineFilter.includes(name)) continue;
      const engine = engines.find((e) => e.name === name);
      if (!engine) { console.error(`skip ${s.name} on ${name}: engine not running`); continue; }
      const registries = testRegistries();
      if (s.needs?.includes('registry') === true) {
        // replay sends the recorded addresses: record against registries listening there
        if (!registries || registries.open !== RECORDED_REGISTRIES.open || registries.auth !== RECORDED_REGISTRIES.auth) {
          console.error(`skip ${s.name} on ${name}: needs the registries on ${RECORDED_REGISTRIES.open} and ${RECORDED_REGISTRIES.auth} (BERTH_REGISTRY_PORTS="5081 5082")`);
          failed++;
          continue;
        }
      }
      const tmp = mkdtempSync('/tmp/brec-');
      const secrets: string[] = [];
      if (registries) secrets.push(registries.password);
      const ctx: ScenarioContext = { engine: name, image: engine.image, tmp, secret: (v) => secrets.push(v), registries };
      const direct = new Docker({ host: engine.socket, env: {} });
      const proxy = await RecordingProxy.start({ target: engine.socket, listen: { socketPath: join(tmp, 'proxy.sock') }, secrets });
      const recorded = new Docker({ host: proxy.url, env: {} });
      try {
        await s.setup?.(direct, ctx);
        await s.run(recorded, { ...ctx, secret: (v) => { secrets.push(v); proxy.addSecret(v); } });
        await recorded.close();
        const path = fixturePath(name, s.name);
        const f = await proxy.save(path, s.description);
        console.error(`recorded ${s.name} on ${name}: ${f.exchanges.length} exchanges → ${path}`);
      } catch (err) {
        failed++;
        console.error(`FAILED ${s.name} on ${name}:`, err);
      } finally {
        await recorded.close();
        await proxy.close();
        await s.cleanup?.(direct, ctx).catch((err: unknown) => console.error(`cleanup of ${s.name} on ${name} failed:`, err));
        await direct.close();
        rmSync(tmp, { recursive: true, force: true });
      }
    }
  }
  if (failed) process.exitCode = 1;
}

await main();
