import type { LatentWorkerEvent } from '../../worker/index.js';
import type { Style } from '../output.js';

/**
 * The demo's summary, from the workers' `event` channel: containers created
 * and removed (the `create` and `remove` steps), and the time spent in each
 * phase, summed over the workers: substantiating (request to attached),
 * building (build started to finished), idle (last build finished to the
 * idle stop) and stopping. The image phase is the demo's own (looking for
 * the image, building it), measured before any worker starts.
 */

/** Milliseconds spent in each phase. */
export interface PhaseTimes {
  image: number;
  substantiate: number;
  build: number;
  idle: number;
  stop: number;
}

/** The machine-readable summary (`--json`). */
export interface DemoSummary {
  ok: boolean;
  mode: 'engine' | 'replay';
  engine: string;
  workers: number;
  builds: { total: number; succeeded: number; failed: number; interrupted: number; notRun: number };
  containers: { created: number; removed: number; left: number };
  image: { name: string; built: boolean; base: string | null; removed: boolean };
  phasesMs: PhaseTimes;
  totalMs: number;
  interrupted: boolean;
}

/** Counts and times taken from worker events as they come. */
export class EventTally {
  created = 0;
  removed = 0;
  readonly phases: PhaseTimes = { image: 0, substantiate: 0, build: 0, idle: 0, stop: 0 };
  private readonly buildStarts = new Map<string, number[]>();
  private readonly lastFinish = new Map<string, number>();

  /** Takes one event into account. */
  add(event: LatentWorkerEvent): void {
    switch (event.type) {
      case 'step':
        if (event.detail?.failed === true) break;
        if (event.step === 'create') this.created++;
        if (event.step === 'remove') this.removed++;
        break;
      case 'substantiated':
        this.phases.substantiate += event.durationMs;
        break;
      case 'build-started': {
        const starts = this.buildStarts.get(event.worker) ?? [];
        starts.push(event.at);
        this.buildStarts.set(event.worker, starts);
        break;
      }
      case 'build-finished': {
        const started = this.buildStarts.get(event.worker)?.shift();
        if (started !== undefined) this.phases.build += event.at - started;
        this.lastFinish.set(event.worker, event.at);
        break;
      }
      case 'idle': {
        const since = this.lastFinish.get(event.worker);
        if (since !== undefined) this.phases.idle += event.at - since;
        this.lastFinish.delete(event.worker);
        break;
      }
      case 'stop':
        this.phases.stop += event.durationMs;
        break;
      default:
        break;
    }
  }
}

/** A duration for people: `850 ms`, `3.2 s`, `2 min 5 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** The summary as lines of text. */
export function formatSummary(summary: DemoSummary, style: Style): string[] {
  const { builds, containers, image, phasesMs: p } = summary;
  const buildLine = `${builds.succeeded} of ${builds.total} succeeded on ${summary.workers} worker${summary.workers === 1 ? '' : 's'}`
    + (builds.failed > 0 ? `, ${builds.failed} failed` : '') + (builds.interrupted > 0 ? `, ${builds.interrupted} interrupted` : '')
    + (builds.notRun > 0 ? `, ${builds.notRun} not run` : '');
  const imageLine = image.built
    ? `${image.name}, built from ${image.base ?? '?'}${image.removed ? ', removed' : ', kept'}`
    : `${image.name}, already on the engine (left there)`;
  const leftText = containers.left === 0 ? style.green('0 left') : style.red(`${containers.left} left`);
  return [
    style.bold('summary'),
    `  engine      ${summary.engine}`,
    `  builds      ${buildLine}`,
    `  containers  ${containers.created} created, ${containers.removed} removed, ${leftText}`,
    `  image       ${imageLine}`,
    `  time        image ${formatDuration(p.image)}, substantiate ${formatDuration(p.substantiate)}, build ${formatDuration(p.build)},`
      + ` idle ${formatDuration(p.idle)}, stop ${formatDuration(p.stop)} (summed over workers); ${formatDuration(summary.totalMs)} in all`,
    summary.ok ? style.green(`ok: ${builds.total} builds done`) : style.red(summary.interrupted ? 'interrupted' : 'failed'),
  ];
}
