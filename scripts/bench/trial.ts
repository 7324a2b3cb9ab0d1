/**
 * One trial in a fresh process: `node trial.js SPEC_JSON`. Loads only the
 * benchmark's module (contenders import their own libraries when they
 * start, so a trial carries no other contender's code), runs it, and
 * prints the outcome with this process's own resource usage. A crash (an
 * uncaught exception) prints nothing and exits non-zero; the runner
 * records it.
 */
import { RESULT_PREFIX, type TrialFunction, type TrialSpec } from './child.js';

const arg = process.argv[2];
if (arg === undefined) {
  process.stderr.write('usage: trial.js SPEC_JSON\n');
  process.exit(2);
}
const spec = JSON.parse(arg) as TrialSpec;
if (!/^[a-z][a-z0-9-]*$/.test(spec.bench)) throw new Error(`bad benchmark name ${spec.bench}`);
const mod = await import(`./${spec.bench}.js`) as { trial?: TrialFunction };
if (typeof mod.trial !== 'function') throw new Error(`benchmark ${spec.bench} has no trial function`);
const outcome = await mod.trial(spec.contender, spec.params);
const usage = process.resourceUsage();
const self = { userS: usage.userCPUTime / 1e6, sysS: usage.systemCPUTime / 1e6, maxRssMB: usage.maxRSS / 1024 };
process.stdout.write(`${RESULT_PREFIX}${JSON.stringify({ ...outcome, self })}\n`, () => {
  // contenders close what they open; this only spares a trial from waiting on an idle keep-alive timer
  process.exit(0);
});
