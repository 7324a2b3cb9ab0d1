import { DockerProtocolError } from './errors.js';

/**
 * Narrowing of engine JSON. Bodies enter as `unknown`; each endpoint narrows
 * once with these helpers and hands out the wire type. The checks are
 * structural (object / array / the fields the client relies on), not a full
 * schema validation: engines add fields between versions.
 */

export type JsonObject = { readonly [key: string]: unknown };

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Narrows to an object of wire type `T`, or throws naming what was expected. */
export function asObject<T extends object>(value: unknown, what: string): T {
  if (!isObject(value)) throw new DockerProtocolError(`${what}: expected a JSON object, got ${describeJson(value)}`);
  return value as T;
}

/** Narrows to an array of objects of wire type `T`. */
export function asArray<T>(value: unknown, what: string): T[] {
  if (!Array.isArray(value)) throw new DockerProtocolError(`${what}: expected a JSON array, got ${describeJson(value)}`);
  return value as T[];
}

/** Narrows to an array that may be `null` on some engines (treated as empty). */
export function asArrayOrNull<T>(value: unknown, what: string): T[] {
  return value === null || value === undefined ? [] : asArray<T>(value, what);
}

/** Reads a required string field. */
export function stringField(obj: JsonObject, key: string, what: string): string {
  const v = obj[key];
  if (typeof v !== 'string') throw new DockerProtocolError(`${what}: field "${key}" should be a string, got ${describeJson(v)}`);
  return v;
}

/**
 * Narrows to an object of wire type `T` that names itself by a string
 * field (`Id`, `ID`, `Name`): what an inspect answers.
 */
export function asIdentified<T extends object>(value: unknown, key: string, what: string): T {
  const obj = asObject<JsonObject>(value, what);
  stringField(obj, key, what);
  return obj as unknown as T;
}

/** Reads an optional string field. */
export function optionalString(obj: JsonObject, key: string): string | undefined {
  const v = obj[key];
  return typeof v === 'string' ? v : undefined;
}

/** Reads an optional number field. */
export function optionalNumber(obj: JsonObject, key: string): number | undefined {
  const v = obj[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** A short description of a JSON value for error messages (never the whole value). */
export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 40 ? `a string "${value.slice(0, 40)}…"` : `"${value}"`;
  return typeof value;
}

/** Parses JSON text; a syntax error becomes a {@link DockerProtocolError} naming the source. */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const sample = text.length > 80 ? `${text.slice(0, 80)}…` : text;
    throw new DockerProtocolError(`${what}: invalid JSON (${JSON.stringify(sample)})`, { cause: err });
  }
}
