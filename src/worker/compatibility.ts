import { Buffer } from 'node:buffer';
/**
 * Which builds may share an instance (Buildbot's `isCompatibleWithBuild`).
 * The options that shape an instance are rendered for the build it starts
 * for, and the rendering is kept; another build may use the instance only
 * if its own rendering is equal. The kept rendering is dropped when the
 * instance stops, so a stopped worker accepts any build (Buildbot PR #5546
 * fixed workers that refused every build after a stop).
 */

/**
 * Keeps the rendering of the instance that runs or is starting.
 * `generation` changes whenever the kept rendering does, so a caller that
 * awaited a comparison can tell whether it still applies.
 */
export class CompatibilityTracker<Build> {
  private readonly render: (build: Build | undefined) => unknown;
  private kept: Promise<unknown> | undefined;
  private gen = 0;

  /** @param render renders the options that shape an instance for a build (may be async) */
  constructor(render: (build: Build | undefined) => unknown) {
    this.render = render;
  }

  /** Changes whenever {@link start} or {@link reset} changes the kept rendering. */
  get generation(): number {
    return this.gen;
  }

  /** True while a rendering is kept. */
  get holding(): boolean {
    return this.kept !== undefined;
  }

  /** Renders for the build an instance starts for, and keeps it. Never throws: a failed rendering matches nothing. */
  start(build: Build | undefined): void {
    this.gen++;
    const kept = this.renderSafely(build);
    kept.catch(() => undefined);
    this.kept = kept;
  }

  /** Drops the kept rendering (the instance stopped). */
  reset(): void {
    if (this.kept === undefined) return;
    this.gen++;
    this.kept = undefined;
  }

  /**
   * True when `build` may use the instance: nothing is kept, or its
   * rendering equals the kept one. A kept rendering that failed matches no
   * build; a failure to render `build` rejects.
   */
  async isCompatible(build: Build | undefined): Promise<boolean> {
    const kept = this.kept;
    if (kept === undefined) return true;
    const candidate = await this.renderSafely(build);
    let reference: unknown;
    try {
      reference = await kept;
    } catch {
      return false;
    }
    return deepEqual(reference, candidate);
  }

  private renderSafely(build: Build | undefined): Promise<unknown> {
    try {
      return Promise.resolve(this.render(build));
    } catch (err) {
      return Promise.reject(err);
    }
  }
}

/**
 * Structural equality of rendered values: primitives (`NaN` equals `NaN`),
 * arrays, plain objects (key order ignored, an `undefined` member equals a
 * missing one), `RegExp` (source and flags), `Date`, byte arrays; anything
 * else by identity.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => deepEqual(item, b[i]));
  }
  if (a instanceof RegExp || b instanceof RegExp) {
    return a instanceof RegExp && b instanceof RegExp && a.source === b.source && a.flags === b.flags;
  }
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a.byteLength !== b.byteLength) return false;
    return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    if (!deepEqual(a[key], b[key])) return false;
  }
  return true;
}

/** True for `{}` literals and `Object.create(null)` objects, not class instances. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
