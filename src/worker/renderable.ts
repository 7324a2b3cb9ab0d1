import { isPlainObject } from './compatibility.js';
import { RenderError } from './errors.js';

/**
 * Values that depend on the build (Buildbot's renderables). An option is
 * either a value or a function of the build's properties, called when an
 * instance starts for that build.
 *
 * ```ts
 * const volumes: Renderable<Renderable<string>[]> = [
 *   '/srv/cache:/cache:ro',
 *   (p) => `/srv/builds/${String(p.getProperty('builder'))}:/build`,
 * ];
 * ```
 */

/** A property value: JSON-like data. */
export type PropertyValue =
  | string | number | boolean | null
  | readonly PropertyValue[]
  | { readonly [key: string]: PropertyValue };

/** A build's properties, read-only. */
export interface BuildProperties {
  /** Every property, by name. */
  readonly values: Readonly<Record<string, PropertyValue>>;
  /** A property's value, or `fallback` (default undefined) when it is not set. */
  getProperty(name: string): PropertyValue | undefined;
  getProperty(name: string, fallback: PropertyValue): PropertyValue;
  /** True when the property is set (even to null). */
  hasProperty(name: string): boolean;
}

/** A value of type `T`, or a function of the build's properties giving one (possibly asynchronously). */
export type Renderable<T> = T | ((props: BuildProperties) => T | Promise<T>);

/**
 * The properties of `layers` merged, later layers winning (e.g. the worker's
 * `properties`, then the build's). The result is frozen.
 */
export function buildProperties(...layers: ReadonlyArray<Readonly<Record<string, PropertyValue>> | undefined>): BuildProperties {
  const values: Record<string, PropertyValue> = Object.create(null) as Record<string, PropertyValue>;
  for (const layer of layers) {
    if (layer === undefined) continue;
    for (const [k, v] of Object.entries(layer)) values[k] = v;
  }
  Object.freeze(values);
  function getProperty(name: string, fallback?: PropertyValue): PropertyValue | undefined {
    return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : fallback;
  }
  return Object.freeze({
    values,
    getProperty: getProperty as BuildProperties['getProperty'],
    hasProperty: (name: string) => Object.prototype.hasOwnProperty.call(values, name),
  });
}

/** No properties at all (a start without a build). */
export const NO_PROPERTIES: BuildProperties = buildProperties();

/** A renderable that reads one property (Buildbot's `Property('name', default)`). */
export function property(name: string, fallback?: PropertyValue): (props: BuildProperties) => PropertyValue | undefined {
  return (props) => (fallback === undefined ? props.getProperty(name) : props.getProperty(name, fallback));
}

/** The deepest nesting `renderAll` follows (a guard against cycles). */
const MAX_DEPTH = 32;

/**
 * Renders one value: calls it with the properties if it is a function,
 * otherwise returns it as it is (not deep: see {@link renderAll}).
 * A throwing or rejecting function becomes a {@link RenderError} naming `path`.
 */
export async function render<T>(value: Renderable<T>, props: BuildProperties, path = ''): Promise<T> {
  if (typeof value !== 'function') return value;
  try {
    return await (value as (p: BuildProperties) => T | Promise<T>)(props);
  } catch (err) {
    throw err instanceof RenderError ? err : new RenderError(path, err);
  }
}

/** What `renderAll` makes of a deep renderable: every function replaced by what it rendered to. */
export type Rendered<T> =
  T extends (props: BuildProperties) => infer R ? Rendered<Awaited<R>>
    : T extends RegExp | Date | Uint8Array ? T
      : T extends ReadonlyArray<infer E> ? Array<Rendered<E>>
        : T extends object ? { [K in keyof T]: Rendered<T[K]> }
          : T;

/**
 * Renders deeply, as Buildbot renders `volumes` items and `hostconfig`
 * values: functions are called (and what they return is rendered too),
 * arrays and plain objects are walked, everything else (strings, numbers,
 * RegExps, class instances) is kept. Members are rendered concurrently.
 * Errors are {@link RenderError}s whose `path` names the value
 * (`hostconfig.Binds[1]`).
 */
export async function renderAll<T>(value: T, props: BuildProperties, path = ''): Promise<Rendered<T>> {
  return (await renderDeep(value, props, path, 0)) as Rendered<T>;
}

async function renderDeep(value: unknown, props: BuildProperties, path: string, depth: number): Promise<unknown> {
  if (depth > MAX_DEPTH) throw new RenderError(path, new Error(`nested more than ${MAX_DEPTH} levels deep (a cycle?)`));
  if (typeof value === 'function') {
    const rendered = await render(value as (p: BuildProperties) => unknown, props, path);
    return renderDeep(rendered, props, path, depth + 1);
  }
  if (Array.isArray(value)) {
    return Promise.all(value.map((item, i) => renderDeep(item, props, `${path}[${i}]`, depth + 1)));
  }
  if (isPlainObject(value)) {
    const entries = await Promise.all(Object.entries(value).map(async ([k, v]) =>
      [k, await renderDeep(v, props, path === '' ? k : `${path}.${k}`, depth + 1)] as const));
    return Object.fromEntries(entries);
  }
  return value;
}

/** What a build may carry for rendering: plain properties, or a {@link BuildProperties}. */
export type BuildPropertySource = Readonly<Record<string, PropertyValue>> | BuildProperties;

/** True when `value` is a {@link BuildProperties} (has `getProperty` and `hasProperty`). */
export function isBuildProperties(value: unknown): value is BuildProperties {
  return typeof value === 'object' && value !== null
    && typeof (value as Partial<BuildProperties>).getProperty === 'function'
    && typeof (value as Partial<BuildProperties>).hasProperty === 'function';
}

/** A build's `properties` member, when it has one that is properties (the default `propertiesOf` of the container workers). */
export function defaultPropertiesOf(build: unknown): BuildPropertySource | undefined {
  if (typeof build !== 'object' || build === null || !('properties' in build)) return undefined;
  const p: unknown = build.properties;
  if (isBuildProperties(p)) return p;
  return isPlainObject(p) ? p as Record<string, PropertyValue> : undefined;
}

/** The properties a worker's options render against: the worker's `properties`, then `workername`, then the build's (which win). */
export function workerBuildProperties(workerProperties: Readonly<Record<string, PropertyValue>>, workerName: string,
  own: BuildPropertySource | undefined): BuildProperties {
  const values = own === undefined ? undefined : isBuildProperties(own) ? own.values : own;
  return buildProperties(workerProperties, { workername: workerName }, values);
}
