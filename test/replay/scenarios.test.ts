import t from 'tap';
import { API_ENGINES, RECORDED_REGISTRIES } from '../helpers/engines.js';
import { fixturePath, replay } from '../helpers/replay.js';
import { loadScenarios } from '../scenarios/scenario.js';

/**
 * Every scenario with checks, replayed from its fixture on every engine it
 * was recorded on: a request that differs from the recording fails, and the
 * typed results are checked.
 */
const scenarios = (await loadScenarios()).filter((s) => s.check);

for (const s of scenarios) {
  for (const engine of s.engines ?? API_ENGINES) {
    t.test(`${s.name} on ${engine}`, (t) => replay(t, [fixturePath(engine, s.name)], async ({ docker }) => {
      const ctx = {
        engine, image: 'busybox:test', tmp: '/tmp', secret: () => undefined,
        registries: s.needs?.includes('registry') === true ? RECORDED_REGISTRIES : undefined,
      };
      const result = await s.run(docker, ctx);
      await s.check?.(t, result, { ...ctx, mode: 'replay' });
    }));
  }
}
