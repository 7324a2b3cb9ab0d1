/**
 * Keeps secrets out of what a worker reports: the worker password and the
 * registry credentials are replaced wherever they appear, in output lines,
 * health logs, build logs and error messages (the engine may quote what it
 * was given).
 */

/** What a secret is replaced with. */
export const REDACTED_TEXT = '[redacted]';

/** The deepest chain of causes walked when redacting an error. */
const MAX_CAUSES = 8;

/** Replaces known secrets in text and errors. */
export class Redactor {
  private readonly secrets: readonly string[];

  /** @param secrets the values to hide; empty and missing ones are ignored */
  constructor(secrets: Iterable<string | undefined>) {
    const unique = new Set<string>();
    for (const s of secrets) if (typeof s === 'string' && s !== '') unique.add(s);
    // the longest first, so a secret containing another is replaced whole
    this.secrets = [...unique].sort((a, b) => b.length - a.length);
  }

  /** True when `text` contains a secret. */
  leaks(text: string): boolean {
    return this.secrets.some((s) => text.includes(s));
  }

  /** `text` with every secret replaced by {@link REDACTED_TEXT}. */
  text(text: string): string {
    let out = text;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join(REDACTED_TEXT);
    return out;
  }

  /**
   * Redacts an error and its causes in place: every string property
   * (`message`, `stack`, `engineMessage`, …) and string-array property
   * (`transcript`, `log`) that contains a secret. Returns the error.
   */
  error<E>(err: E): E {
    let current: unknown = err;
    for (let depth = 0; depth < MAX_CAUSES && current instanceof Error; depth++) {
      for (const key of Object.getOwnPropertyNames(current)) this.property(current, key);
      if (!Object.getOwnPropertyNames(current).includes('stack')) this.property(current, 'stack');
      current = current.cause;
    }
    return err;
  }

  private property(target: Error, key: string): void {
    const value: unknown = (target as unknown as Record<string, unknown>)[key];
    let replacement: unknown;
    if (typeof value === 'string' && this.leaks(value)) replacement = this.text(value);
    else if (Array.isArray(value) && value.some((v) => typeof v === 'string' && this.leaks(v))) {
      replacement = Object.freeze(value.map((v: unknown) => (typeof v === 'string' ? this.text(v) : v)));
    } else return;
    const own = Object.getOwnPropertyDescriptor(target, key);
    try {
      Object.defineProperty(target, key, { value: replacement, writable: true, configurable: true, enumerable: own?.enumerable ?? false });
    } catch {
      // a non-configurable property cannot be replaced (no error class of berth has one)
    }
  }
}
