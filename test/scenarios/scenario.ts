import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import type { Docker } from '../../src/index.js';
import type { EngineName, TestRegistries } from '../helpers/engines.js';

/**
 * A scenario is a piece of client code run twice: once against a real engine
 * through the recording proxy (`npm run record`), which writes
 * test/fixtures/<engine>/<name>.json, and once in a replay test against the
 * replay server, which fails if the client's requests no longer match what
 * was recorded. Scenarios must be deterministic: fixed names, no random ids.
 */
export interface ScenarioContext {
  /** The engine being recorded or replayed. */
  engine: EngineName;
  /** The busybox test image on that engine. */
  image: string;
  /** A short scratch directory. */
  tmp: string;
  /** Register a secret the recorder must scrub. */
  secret(value: string): void;
  /** The test registries, for scenarios that declare `needs: ['registry']` (replay: {@link RECORDED_REGISTRIES}). */
  registries?: TestRegistries | undefined;
}

export interface Scenario<R = unknown> {
  name: string;
  description: string;
  /** Engines to record on (default: the four API engines). */
  engines?: readonly EngineName[];
  /** What else must run: `registry` (the test registries, in `ctx.registries`). */
  needs?: ReadonlyArray<'registry'>;
  /** Runs against the real engine, unrecorded, before `run` (clean state, images). */
  setup?(docker: Docker, ctx: ScenarioContext): Promise<void>;
  /** The recorded part. Returns what replay tests assert on. */
  run(docker: Docker, ctx: ScenarioContext): Promise<R>;
  /** Runs against the real engine, unrecorded, after `run`. */
  cleanup?(docker: Docker, ctx: ScenarioContext): Promise<void>;
  /**
   * Assertions on the result, shared by the replay test (against the
   * fixture) and the integration test (against the live engine).
   */
  check?(t: Test, result: R, ctx: CheckContext): void | Promise<void>;
}

export interface CheckContext extends ScenarioContext {
  mode: 'replay' | 'live';
}

/** Every scenario in test/scenarios (compiled), in file order. */
export async function loadScenarios(): Promise<Scenario[]> {
  const dir = fileURLToPath(new URL('.', import.meta.url));
  const out: Scenario[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.js')).sort()) {
    const mod = (await import(join(dir, file))) as { scenarios?: Scenario[] };
    if (Array.isArray(mod.scenarios)) out.push(...mod.scenarios);
  }
  return out;
}

/** Declares a scenario with its result type inferred. */
export function scenario<R>(s: Scenario<R>): Scenario<R> {
  return s;
}

/** Runs `fn` and returns its error (or throws if it did not fail): for recording error paths. */
export async function failure(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof Error) return err;
    throw err;
  }
  throw new Error('expected a failure');
}
