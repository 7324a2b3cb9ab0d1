/** A row of a benchmark's targets table: what is asked, what was measured, and whether it is met. */
export interface TargetRow {
  row: string[];
  met: boolean | undefined;
}

/** `measured` NaN (a contender failed or was skipped) reads "not measured", neither met nor missed. */
export function verdict(what: string, bar: string, measured: number | string, met: boolean): TargetRow {
  const missing = typeof measured === 'number' && !Number.isFinite(measured);
  const shown = typeof measured === 'number' ? measured.toFixed(2) : measured;
  return { row: [what, bar, missing ? 'not measured' : shown, missing ? '–' : met ? 'yes' : '**no**'], met: missing ? undefined : met };
}
