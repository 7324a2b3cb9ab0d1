import { abortError, type Docker, type HealthcheckResult } from '../../engine/index.js';
import { delay, type Clock } from '../clock.js';
import { LatentWorkerCannotSubstantiate, LatentWorkerFailedToSubstantiate } from '../errors.js';
import { describeExit, short, withOutput } from './instance-check.js';
import type { Redactor } from './redactor.js';

/**
 * Readiness `'healthy'`: the image's `HEALTHCHECK` decides. The container
 * is inspected on the worker's clock until its health is `healthy`; it
 * fails the start when it turns `unhealthy` (with the health log), when the
 * container stops, or when it has no healthcheck at all. podman runs
 * healthchecks from systemd timers: without systemd a podman container
 * stays `starting` and only the missing timeout ends the start.
 */

/** How often the health is looked at, in milliseconds. */
export const HEALTH_POLL_MS = 500;

/** What the wait needs. */
export interface HealthWaitInput {
  readonly docker: Docker;
  readonly id: string;
  readonly workerName: string;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  readonly redactor: Redactor;
  /** The last lines of output, for the report of a container that stopped. */
  readonly lines: () => readonly string[];
  /** Resolves once the output of a stopped container was read to its end. */
  readonly drained: () => Promise<void>;
  readonly pollMs?: number;
}

/** Resolves once the container is healthy; rejects as described in the module comment. */
export async function waitHealthy(input: HealthWaitInput): Promise<void> {
  const { docker, id, workerName, clock, signal } = input;
  for (;;) {
    const info = await docker.containers.inspect(id, { signal });
    const health = info.State.Health;
    if (info.State.Running !== true) {
      await input.drained();
      throw new LatentWorkerFailedToSubstantiate(workerName,
        `worker "${workerName}" stopped before it was healthy: ${withOutput(describeExit(id, info), input.lines())}`);
    }
    if (health === undefined || health === null || health.Status === 'none') {
      throw new LatentWorkerCannotSubstantiate(workerName,
        `worker "${workerName}" waits for a healthy container, but container ${short(id)} has no healthcheck (add HEALTHCHECK to the image, or Healthcheck to the options)`);
    }
    if (health.Status === 'healthy') return;
    if (health.Status === 'unhealthy') {
      throw new LatentWorkerFailedToSubstantiate(workerName,
        `worker "${workerName}" is unhealthy: ${healthLog(health.Log ?? [], input.redactor)}`);
    }
    if (!await delay(clock, input.pollMs ?? HEALTH_POLL_MS, signal)) throw abortError(signal);
  }
}

/** The healthcheck's last results, one line each: exit code and output. */
export function healthLog(log: ReadonlyArray<HealthcheckResult | null>, redactor: Redactor): string {
  const results = log.filter((r): r is HealthcheckResult => r !== null).slice(-5);
  if (results.length === 0) return 'the healthcheck reported nothing';
  return `the last healthchecks said:\n${results.map((r) => `exit ${r.ExitCode ?? '?'}: ${redactor.text((r.Output ?? '').trim()) || '(no output)'}`).join('\n')}`;
}
