import t from 'tap';
import { API_ENGINES, dockerFor, engineOr, registriesOr } from '../helpers/engines.js';
import { shortTempDir } from '../helpers/tmp.js';
import { loadScenarios } from '../scenarios/scenario.js';

/** Every scenario with checks, run live on every engine it is meant for, with the same checks as its replay. */
const scenarios = (await loadScenarios()).filter((s) => s.check);

for (const s of scenarios) {
  for (const name of s.engines ?? API_ENGINES) {
    t.test(`${s.name} on ${name}`, async (t) => {
      const engine = engineOr(t, name);
      if (!engine) return;
      const registries = s.needs?.includes('registry') === true ? registriesOr(t) : undefined;
      if (s.needs?.includes('registry') === true && !registries) return;
      const docker = dockerFor(t, engine);
      const ctx = { engine: name, image: engine.image, tmp: shortTempDir(t), secret: () => undefined, registries };
      await s.setup?.(docker, ctx);
      try {
        const result = await s.run(docker, ctx);
        await s.check?.(t, result, { ...ctx, mode: 'live' });
      } finally {
        await s.cleanup?.(docker, ctx);
      }
    });
  }
}
