import { DockerVersionError } from './errors.js';

/** The oldest Engine API version berth speaks (docker 19.03). */
export const MIN_API_VERSION = '1.40';
/** The newest Engine API version berth is typed against (docker 29.6–29.7). */
export const MAX_API_VERSION = '1.55';

/** An API version as `[major, minor]`; compared numerically, never as text. */
export type ParsedVersion = readonly [number, number];

const VERSION = /^v?(\d{1,4})\.(\d{1,4})$/;

/** Parses `1.41` (or `v1.41`); undefined when it is not `major.minor`. */
export function parseApiVersion(text: string): ParsedVersion | undefined {
  const m = VERSION.exec(text.trim());
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2])];
}

/** Parses an API version or throws a {@link DockerVersionError} naming where it came from. */
export function requireApiVersion(text: string, source: string): string {
  const v = parseApiVersion(text);
  if (!v) throw new DockerVersionError(`${source}: "${text}" is not an API version (expected major.minor, e.g. 1.41)`);
  return `${v[0]}.${v[1]}`;
}

/** Numeric comparison: negative when a < b, 0 when equal, positive when a > b. */
export function compareApiVersions(a: string, b: string): number {
  const pa = parseApiVersion(a);
  const pb = parseApiVersion(b);
  if (!pa || !pb) throw new DockerVersionError(`cannot compare API versions "${a}" and "${b}"`);
  return pa[0] !== pb[0] ? pa[0] - pb[0] : pa[1] - pb[1];
}

/** True when `version` is at least `min`. */
export function apiVersionAtLeast(version: string, min: string): boolean {
  return compareApiVersions(version, min) >= 0;
}

/** The smaller of two API versions. */
export function minApiVersion(a: string, b: string): string {
  return compareApiVersions(a, b) <= 0 ? a : b;
}
