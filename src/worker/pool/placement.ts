/**
 * Where a pooled start goes: a pure function of the engines' state, so the
 * rule can be read (and tested) apart from the timers and clients around it.
 *
 * 1. Only engines carrying every required label, and not excluded (an
 *    engine this start already failed on), are candidates. None: the start
 *    cannot be placed (`none`).
 * 2. Of those, only engines that are up. None: `none` too — waiting for an
 *    engine to come back is the worker's retry, not the pool's.
 * 3. Of those, only engines below both limits (workers held, starts in
 *    flight). None: the start `wait`s for a slot.
 * 4. The least busy wins: the fewest workers per unit of `weight`; then the
 *    fewest starts in flight; then the one picked least recently (so equal
 *    engines take turns); then configuration order.
 */

/** What placement knows of one engine. */
export interface EngineLoad {
  readonly name: string;
  readonly up: boolean;
  readonly labels: Readonly<Record<string, string>>;
  /** Workers holding the engine (starting or running). */
  readonly workers: number;
  /** Of {@link workers}, those still starting. */
  readonly starting: number;
  /** undefined: no limit. */
  readonly maxWorkers: number | undefined;
  /** undefined: no limit. */
  readonly maxStarts: number | undefined;
  /** How much work the engine takes relative to the others (default 1). */
  readonly weight: number;
  /** When the engine was last picked (a counter); 0: never. */
  readonly lastPicked: number;
}

/** What a start asks of placement. */
export interface PlacementRequest {
  /** Labels the engine must carry, with these values. */
  readonly requireLabels?: Readonly<Record<string, string>>;
  /** Engines not to use (by name). */
  readonly exclude?: ReadonlySet<string>;
}

/** The outcome: an engine, a wait for a free slot, or no engine at all (with why). */
export type Placement =
  | { readonly kind: 'engine'; readonly engine: string }
  | { readonly kind: 'wait'; readonly reason: string }
  | { readonly kind: 'none'; readonly reason: string };

/** True when `labels` carry every label of `required`. */
export function hasLabels(labels: Readonly<Record<string, string>>, required: Readonly<Record<string, string>> | undefined): boolean {
  if (required === undefined) return true;
  return Object.entries(required).every(([k, v]) => labels[k] === v);
}

/** True when the engine can take one more start now. */
export function hasRoom(e: EngineLoad): boolean {
  return (e.maxWorkers === undefined || e.workers < e.maxWorkers) && (e.maxStarts === undefined || e.starting < e.maxStarts);
}

/** Chooses an engine for one start (see the rules above). */
export function place(engines: readonly EngineLoad[], request: PlacementRequest = {}): Placement {
  const wanted = request.requireLabels;
  const labelled = engines.filter((e) => hasLabels(e.labels, wanted));
  if (labelled.length === 0) return { kind: 'none', reason: `no engine of the pool has the labels ${describeLabels(wanted)}` };
  const candidates = labelled.filter((e) => !(request.exclude?.has(e.name) ?? false));
  if (candidates.length === 0) {
    return { kind: 'none', reason: `every engine with the labels ${describeLabels(wanted)} failed this start already (${labelled.map((e) => e.name).join(', ')})` };
  }
  const up = candidates.filter((e) => e.up);
  if (up.length === 0) return { kind: 'none', reason: `every engine that could take the start is down (${candidates.map((e) => e.name).join(', ')})` };
  const free = up.filter(hasRoom);
  if (free.length === 0) return { kind: 'wait', reason: `every engine that could take the start is at its limit (${up.map((e) => e.name).join(', ')})` };
  let best = free[0] as EngineLoad;
  for (const e of free.slice(1)) if (busier(best, e)) best = e;
  return { kind: 'engine', engine: best.name };
}

/** True when `a` is busier than `b` (so `b` is preferred). */
function busier(a: EngineLoad, b: EngineLoad): boolean {
  const la = a.workers / a.weight;
  const lb = b.workers / b.weight;
  if (la !== lb) return la > lb;
  if (a.starting !== b.starting) return a.starting > b.starting;
  return a.lastPicked > b.lastPicked;
}

function describeLabels(labels: Readonly<Record<string, string>> | undefined): string {
  if (labels === undefined || Object.keys(labels).length === 0) return '(none)';
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(', ');
}
