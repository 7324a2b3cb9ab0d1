/**
 * The `filters` query parameter: a JSON object of filter name → values.
 * berth sends the list form (`{"label":["a=b"]}`), which every engine
 * accepts (dockerd also reads a map form; podman's compat API reads both).
 */

/** A filter set: each key lists the values to match (empty lists are dropped). */
export type Filters = Readonly<Record<string, ReadonlyArray<string | number | boolean> | undefined>>;

/** Filters as the query value, or undefined when there is nothing to filter on. */
export function filtersQuery(filters: Filters | undefined): Record<string, string[]> | undefined {
  if (!filters) return undefined;
  const out: Record<string, string[]> = {};
  for (const [key, values] of Object.entries(filters)) {
    if (values && values.length > 0) out[key] = values.map(String);
  }
  return Object.keys(out).length ? out : undefined;
}

/** `label` filter values from a record: `{a: 'b', c: undefined}` → `['a=b', 'c']` (c: any value). */
export function labelFilter(labels: Readonly<Record<string, string | undefined>>): string[] {
  return Object.entries(labels).map(([k, v]) => (v === undefined ? k : `${k}=${v}`));
}
