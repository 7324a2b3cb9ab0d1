import { DockerArgumentError } from './errors.js';

/**
 * Points in time as the engine's `since`/`until` parameters take them (logs,
 * events): Unix seconds with an optional fraction of up to nine digits,
 * `1700000000` or `1700000000.000000001`.
 */

/** A point in time: Unix seconds (a fraction allowed), a `Date`, or a string in the engine's or RFC 3339 form. */
export type TimeValue = number | Date | string;

const ENGINE_FORM = /^\d+(?:\.\d{1,9})?$/;
const RFC3339 = /^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * The engine's form of a point in time. RFC 3339 strings (what inspect
 * answers in `Created`, `State.StartedAt`) keep their nanoseconds; a number
 * keeps microseconds, a `Date` milliseconds. Anything else is a
 * {@link DockerArgumentError} naming `what`.
 */
export function unixTime(value: TimeValue, what: string): string {
  if (value instanceof Date) {
    const ms = value.getTime();
    if (!Number.isFinite(ms) || ms < 0) throw new DockerArgumentError(`${what}: invalid date`);
    return withFraction(Math.floor(ms / 1000), (ms % 1000) * 1_000_000);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new DockerArgumentError(`${what} must be a non-negative number of Unix seconds, got ${value}`);
    const seconds = Math.floor(value);
    // doubles hold about 16 digits: round the fraction to microseconds
    return withFraction(seconds, Math.round((value - seconds) * 1_000_000) * 1000);
  }
  if (typeof value === 'string') {
    if (ENGINE_FORM.test(value)) return value;
    const m = RFC3339.exec(value);
    if (m) {
      const ms = Date.parse(`${m[1] ?? ''}${m[3] ?? ''}`.replace(' ', 'T'));
      if (Number.isFinite(ms) && ms >= 0) return withFraction(ms / 1000, Number((m[2] ?? '').padEnd(9, '0') || '0'));
    }
  }
  throw new DockerArgumentError(`${what} must be Unix seconds, a Date, or an RFC 3339 time, got ${JSON.stringify(value)}`);
}

function withFraction(seconds: number, nanos: number): string {
  if (nanos <= 0) return String(seconds);
  if (nanos >= 1e9) return String(seconds + 1);
  return `${seconds}.${String(nanos).padStart(9, '0')}`;
}
