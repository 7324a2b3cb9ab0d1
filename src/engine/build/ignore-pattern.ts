import { globSyntaxError } from './glob-syntax.js';
import type { LinearRegExp } from './linear-regexp.js';
import { Re2SyntaxError, re2ToLinear } from './re2-regexp.js';

// One `.dockerignore` pattern, compiled the way moby/patternmatcher compiles
// it. Most patterns end up as a regular expression over the whole path:
// `*` is `[^/]*`, `?` is `[^/]`, `**` is `(.*/)?` (any number of segments,
// zero included), `\x` escapes `x`, brackets are passed through, and
// `.+()|{}$` are literal. Three shapes skip the expression, and berth keeps
// them because they decide some matches on their own:
//
// - no wildcard at all: the path must equal the pattern (so `a^b` matches
//   the file `a^b`, while `a^b*` matches nothing: `^` is an anchor there);
// - a trailing `**` after plain text: a string prefix (`foo/**` matches
//   everything under `foo/` but not `foo`; `foo**` matches `foo` and `foobar`);
// - a leading `**` before plain text: a string suffix (`**.txt` matches
//   `a.txt` and `x/y.txt`; `**` alone matches everything).

/** How a compiled pattern decides a match. */
export type PatternKind = 'exact' | 'prefix' | 'suffix' | 'regexp';

/** A pattern the CLI would refuse, with the reason. */
export class PatternSyntaxError extends Error {}

/** `.+()|{}$`: regular-expression characters with no meaning in a glob, escaped. */
const LITERAL_SPECIALS = new Set(['.', '+', '(', ')', '|', '{', '}', '$']);

/** One pattern ready to match paths, in the shape patternmatcher would use. */
export class CompiledPattern {
  /** The cleaned pattern, without the leading `!` of an exception. */
  readonly text: string;
  readonly kind: PatternKind;
  private readonly regexp: LinearRegExp | undefined;

  private constructor(text: string, kind: PatternKind, regexp: LinearRegExp | undefined) {
    this.text = text;
    this.kind = kind;
    this.regexp = regexp;
  }

  /**
   * Compiles a cleaned pattern. Throws a {@link PatternSyntaxError} when Go's
   * `filepath.Match` rejects it, or when the expression built from it is not
   * valid RE2 (the CLI only finds that out while packing, and fails then).
   */
  static compile(text: string): CompiledPattern {
    const syntax = globSyntaxError(text);
    if (syntax !== undefined) throw new PatternSyntaxError(`syntax error in pattern (${syntax})`);
    const { kind, source } = translate(text);
    if (kind !== 'regexp') return new CompiledPattern(text, kind, undefined);
    try {
      return new CompiledPattern(text, kind, re2ToLinear(source));
    } catch (err) {
      if (err instanceof Re2SyntaxError) throw new PatternSyntaxError(`the docker CLI cannot use it: ${err.message}`);
      throw err;
    }
  }

  /** Whether `path` (context-relative, `/`-separated, cleaned) matches this pattern on its own. */
  matches(path: string): boolean {
    switch (this.kind) {
      case 'exact':
        return path === this.text;
      case 'prefix':
        return path.startsWith(this.text.slice(0, -2));
      case 'suffix': {
        const suffix = this.text.slice(2);
        // `**/foo` also matches `foo` itself
        return path.endsWith(suffix) || (suffix.startsWith('/') && path === suffix.slice(1));
      }
      case 'regexp':
        return (this.regexp as LinearRegExp).test(path);
    }
  }
}

/** The regular expression (RE2 syntax) patternmatcher builds, and the shape it settles on. */
export function translate(pattern: string): { kind: PatternKind; source: string } {
  const chars = Array.from(pattern);
  // Go's text/scanner drops a byte-order mark at the start of its input.
  let pos = chars[0] === '\uFEFF' ? 1 : 0;
  let source = '^';
  let kind: PatternKind = 'exact';
  for (let step = 0; pos < chars.length; step++) {
    const c = chars[pos++] as string;
    if (c === '*') {
      if (chars[pos] === '*') {
        pos++;
        if (chars[pos] === '/') pos++; // `**/` is `**`
        if (pos >= chars.length) {
          if (kind === 'exact') kind = 'prefix';
          else {
            source += '.*';
            kind = 'regexp';
          }
        } else {
          source += '(.*/)?';
          kind = 'regexp';
        }
        if (step === 0) kind = 'suffix';
      } else {
        source += '[^/]*';
        kind = 'regexp';
      }
    } else if (c === '?') {
      source += '[^/]';
      kind = 'regexp';
    } else if (LITERAL_SPECIALS.has(c)) {
      source += `\\${c}`;
    } else if (c === '\\') {
      if (pos < chars.length) {
        source += `\\${chars[pos++] as string}`;
        kind = 'regexp';
      } else {
        source += '\\';
      }
    } else if (c === '[' || c === ']') {
      source += c;
      kind = 'regexp';
    } else {
      source += c;
    }
  }
  return { kind, source: `${source}$` };
}
