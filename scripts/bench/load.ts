/**
 * Module load, trial side: the time and resident memory one import takes
 * in a fresh process: berth's built package (`import('berth')`, resolved
 * through its own package.json) and its stream parsers alone
 * (`import('berth/streams')`), dockerode as its users load it
 * (`require`), undici, and node:http for scale.
 */
import { createRequire } from 'node:module';
import { unknownContender, type Params, type TrialOutcome } from './child.js';

export const LOAD_CONTENDERS = ['berth', 'berth-streams', 'dockerode', 'undici', 'node-http'] as const;

const SPECIFIERS: Record<string, string> = { berth: 'berth', 'berth-streams': 'berth/streams', undici: 'undici', 'node-http': 'node:http' };

export async function trial(contender: string, _params: Params): Promise<TrialOutcome> {
  const require = createRequire(import.meta.url);
  const specifier = SPECIFIERS[contender];
  if (contender !== 'dockerode' && specifier === undefined) unknownContender('load', contender);
  const rss0 = process.memoryUsage.rss();
  const t0 = performance.now();
  // a specifier in a variable: the type checker must not need the built package
  const loaded: unknown = contender === 'dockerode' ? require('dockerode') : await import(specifier as string);
  const ms = performance.now() - t0;
  const rss1 = process.memoryUsage.rss();
  return {
    metrics: { importMs: ms, rssDeltaMB: (rss1 - rss0) / (1 << 20) },
    checks: { loaded: loaded !== null && (typeof loaded === 'object' || typeof loaded === 'function') },
  };
}
