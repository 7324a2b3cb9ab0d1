/**
 * What an {@link EnginePool} reports on its `event` channel: where each
 * start went and why, and every change of an engine's health.
 */

/** The body of a pool event. */
export type EnginePoolEventBody =
  /** A start got an engine: the least busy that matched (`workers`: on that engine, this one included). */
  | { readonly type: 'placed'; readonly worker: string; readonly engine: string; readonly workers: number }
  /** A start waits for a slot: every engine that could take it is at a limit. */
  | { readonly type: 'waiting'; readonly worker: string; readonly reason: string }
  /** A start could not be placed: no engine matches, or every one that does is down or failed it. */
  | { readonly type: 'unplaced'; readonly worker: string; readonly reason: string }
  /** A worker gave its engine back (its instance is gone). */
  | { readonly type: 'released'; readonly worker: string; readonly engine: string }
  /** An engine stopped answering (a health check or a start could not reach it): no start goes there. */
  | { readonly type: 'engine-down'; readonly engine: string; readonly reason: string }
  /** An engine answers again: starts may go there. */
  | { readonly type: 'engine-up'; readonly engine: string };

/** A pool event, with when it happened (clock time, ms). */
export type EnginePoolEvent = EnginePoolEventBody & { readonly at: number };

/** The events of an {@link EnginePool}. */
export interface EnginePoolEvents {
  event: [EnginePoolEvent];
}
