import { NotFoundError, type ContainerInspectResponse, type Docker } from '../../engine/index.js';
import type { InstanceCheck } from '../crash-check.js';
import type { Redactor } from './redactor.js';

/**
 * The crash check of a started container that has not attached yet.
 * Buildbot noticed only `exited`; here a container that is dead, gone
 * (removed behind the worker's back) or restarting under a restart policy
 * fails the start too, with its exit code and its last lines of output.
 */

/** How many lines of output a crash report carries at most. */
export const CRASH_REPORT_LINES = 100;

/** What the check needs. */
export interface InstanceCheckInput {
  readonly docker: Docker;
  readonly id: string;
  /** The last lines of output the startup reader kept (empty: they are asked of the engine). */
  readonly lines: () => readonly string[];
  /**
   * Resolves once the startup reader has read everything (the engine ends
   * the attach of a stopped container after its last output): awaited before
   * a dead container's lines are read, so the report holds its last words.
   */
  readonly drained: () => Promise<void>;
  readonly redactor: Redactor;
  readonly signal?: AbortSignal;
}

/** Inspects the container: running is alive; exited, dead, removed or restarting is a crash, explained. */
export async function checkContainer(input: InstanceCheckInput): Promise<InstanceCheck> {
  const { docker, id } = input;
  const call = input.signal ? { signal: input.signal } : {};
  let info: ContainerInspectResponse;
  try {
    info = await docker.containers.inspect(id, call);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    await input.drained();
    return { ok: false, reason: withOutput(`container ${short(id)} was removed behind the worker's back`, input.lines()) };
  }
  const state = info.State;
  const restarts = info.RestartCount;
  if (state.Restarting === true || state.Status === 'restarting' || restarts > 0) {
    const exit = state.ExitCode !== undefined ? ` (last exit code ${state.ExitCode})` : '';
    // running again (or about to): its output does not end, so what was read so far is the report
    return { ok: false, reason: withOutput(`container ${short(id)} is in a restart loop: restarted ${restarts} time(s)${exit}`, await output(input, false)) };
  }
  if (state.Status === 'exited' || state.Status === 'dead' || state.Status === 'removing') {
    return { ok: false, reason: withOutput(describeExit(id, info), await output(input, true)) };
  }
  return { ok: true };
}

/** `container abc123 exited with code 3 (OOM killed; error: …)`. */
export function describeExit(id: string, info: ContainerInspectResponse): string {
  const state = info.State;
  const notes: string[] = [];
  if (state.OOMKilled === true) notes.push('killed for lack of memory');
  if (typeof state.Error === 'string' && state.Error !== '') notes.push(`engine error: ${state.Error}`);
  const extra = notes.length > 0 ? ` (${notes.join('; ')})` : '';
  // the worker removes its containers only after the start: one being removed now is someone else's doing
  if (state.Status === 'removing') {
    const code = state.ExitCode !== undefined ? `, exit code ${state.ExitCode}` : '';
    return `container ${short(id)} is being removed behind the worker's back${code}${extra}`;
  }
  const verb = state.Status === 'dead' ? 'is dead' : 'exited';
  const code = state.ExitCode !== undefined ? ` with code ${state.ExitCode}` : '';
  return `container ${short(id)} ${verb}${code}${extra}`;
}

/**
 * The kept lines, or the last ones the engine has (`logs?tail=100`),
 * redacted. `drain`: the container stopped, so its output ends; wait for
 * the rest of it first.
 */
async function output(input: InstanceCheckInput, drain: boolean): Promise<readonly string[]> {
  if (drain) await input.drained();
  const kept = input.lines();
  if (kept.length > 0) return kept;
  const lines: string[] = [];
  try {
    for await (const l of input.docker.containers.logLines(input.id, { tail: CRASH_REPORT_LINES, ...(input.signal ? { signal: input.signal } : {}) })) {
      lines.push(input.redactor.text(l.line));
    }
  } catch {
    // the logs are a courtesy: the container may be gone by now
  }
  return lines;
}

/** The reason followed by the last lines of output. */
export function withOutput(reason: string, lines: readonly string[]): string {
  const tail = lines.slice(-CRASH_REPORT_LINES);
  return tail.length === 0 ? `${reason}; it wrote no output` : `${reason}; its last output:\n${tail.join('\n')}`;
}

/** The 12-character form of a container id, as the docker CLI shows it. */
export function short(id: string): string {
  return id.slice(0, 12);
}
