/**
 * The docker CLI matches `.dockerignore` patterns with Go regular
 * expressions (RE2 syntax) built from each pattern. This module reads such
 * an expression the way Go's `regexp/syntax` parser does and writes an
 * equivalent JavaScript `RegExp`, so a pattern means in berth what it means
 * in the CLI, corners included: `[[:digit:]]` is a POSIX class, a `*` inside
 * brackets turns into `[^/]*` and closes the class early, `.` never matches
 * a newline, `\d` is a digit.
 *
 * Every literal is written as a `\u{…}` escape and every class as explicit
 * code point ranges, so nothing depends on JavaScript's own escape rules.
 * Syntax that a `.dockerignore` pattern cannot produce or that has no
 * faithful translation here (`\p{…}`, `(?flags)`, `{n,m}`) is refused with a
 * {@link Re2SyntaxError} rather than approximated.
 */

import { LinearRegExp } from './linear-regexp.js';

/** An expression Go would reject, or one berth does not translate. */
export class Re2SyntaxError extends Error {}

type Range = readonly [number, number];

const DIGIT: readonly Range[] = [[0x30, 0x39]];
const WORD: readonly Range[] = [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]];
const PERL_SPACE: readonly Range[] = [[0x09, 0x0a], [0x0c, 0x0d], [0x20, 0x20]];

/** Go's POSIX classes (ASCII only, as in RE2). */
const POSIX: Readonly<Record<string, readonly Range[]>> = {
  alnum: [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]],
  alpha: [[0x41, 0x5a], [0x61, 0x7a]],
  ascii: [[0x00, 0x7f]],
  blank: [[0x09, 0x09], [0x20, 0x20]],
  cntrl: [[0x00, 0x1f], [0x7f, 0x7f]],
  digit: DIGIT,
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [[0x21, 0x2f], [0x3a, 0x40], [0x5b, 0x60], [0x7b, 0x7e]],
  space: [[0x09, 0x0d], [0x20, 0x20]],
  upper: [[0x41, 0x5a]],
  word: WORD,
  xdigit: [[0x30, 0x39], [0x41, 0x46], [0x61, 0x66]],
};

const PERL: Readonly<Record<string, readonly Range[]>> = { d: DIGIT, s: PERL_SPACE, w: WORD };

const CONTROL_ESCAPES: Readonly<Record<string, number>> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };

const MAX_RUNE = 0x10ffff;
const cp = (c: string): number => c.codePointAt(0) as number;

/**
 * Translates an RE2 expression (Go's default Perl flags) into a JavaScript
 * RegExp with the same matches. JavaScript backtracks: for untrusted
 * expressions match with {@link re2ToLinear} instead.
 */
export function re2ToRegExp(source: string): RegExp {
  const js = new Translator(source).translate();
  try {
    return new RegExp(js, 'u');
  } catch (err) {
    throw new Re2SyntaxError(`cannot translate ${source}: ${(err as Error).message}`);
  }
}

/**
 * Translates an RE2 expression into a matcher that, like RE2, runs in time
 * linear in the input (see `linear-regexp.ts`); same matches as
 * {@link re2ToRegExp}.
 */
export function re2ToLinear(source: string): LinearRegExp {
  const js = new Translator(source).translate();
  try {
    new RegExp(js, 'u'); // the translation is also checked as JavaScript
    return new LinearRegExp(js);
  } catch (err) {
    throw new Re2SyntaxError(`cannot translate ${source}: ${(err as Error).message}`);
  }
}

class Translator {
  private readonly chars: readonly string[];
  private pos = 0;
  private out = '';
  private depth = 0;
  /** The last thing written can take a repetition operator. */
  private operand = false;
  /** The last thing written was a repetition (Go refuses `a**`). */
  private repeated = false;

  constructor(source: string) {
    this.chars = Array.from(source);
  }

  translate(): string {
    const chars = this.chars;
    while (this.pos < chars.length) {
      const c = chars[this.pos] as string;
      switch (c) {
        case '^': this.assertion('^'); break;
        case '$': this.assertion('$'); break;
        case '.': this.atom('[^\\n]'); break;
        case '(':
          if (chars[this.pos + 1] === '?') throw new Re2SyntaxError('group flags are not supported');
          this.pos++;
          this.depth++;
          this.out += '(?:';
          this.operand = false;
          this.repeated = false;
          break;
        case ')':
          if (this.depth === 0) throw new Re2SyntaxError('unexpected )');
          this.depth--;
          this.atom(')');
          break;
        case '|':
          this.pos++;
          this.out += '|';
          this.operand = false;
          this.repeated = false;
          break;
        case '*': case '+': case '?':
          this.repetition(c);
          break;
        case '{':
          throw new Re2SyntaxError('counted repetition is not supported');
        case '[':
          this.pos++;
          this.atom(this.parseClass(), false);
          break;
        case '\\':
          this.escape();
          break;
        default:
          this.atom(literal(cp(c)));
      }
    }
    if (this.depth > 0) throw new Re2SyntaxError('missing closing )');
    return this.out;
  }

  private atom(js: string, advance = true): void {
    if (advance) this.pos++;
    this.out += js;
    this.operand = true;
    this.repeated = false;
  }

  private assertion(js: string, width = 1): void {
    this.pos += width;
    this.out += js;
    // Go accepts a repeated assertion; nothing a pattern produces does that.
    this.operand = false;
    this.repeated = false;
  }

  private repetition(op: string): void {
    if (this.repeated) throw new Re2SyntaxError(`invalid nested repetition operator ${op}`);
    if (!this.operand) throw new Re2SyntaxError(`missing argument to repetition operator ${op}`);
    this.pos++;
    this.out += op;
    if (this.chars[this.pos] === '?') { // non-greedy: same matches for a whole-string test
      this.pos++;
      this.out += '?';
    }
    this.repeated = true;
  }

  private escape(): void {
    const c = this.chars[this.pos + 1];
    if (c === undefined) throw new Re2SyntaxError('trailing backslash at end of expression');
    const code = cp(c);
    if (code < 0x80 && !isAlnum(code)) {
      this.pos++;
      this.atom(literal(code));
      return;
    }
    switch (c) {
      case 'A': this.assertion('^', 2); return;
      case 'z': this.assertion('$', 2); return;
      case 'b': this.assertion('\\b', 2); return;
      case 'B': this.assertion('\\B', 2); return;
      case 'Q': {
        this.pos += 2;
        while (this.pos < this.chars.length && !(this.chars[this.pos] === '\\' && this.chars[this.pos + 1] === 'E')) {
          this.atom(literal(cp(this.chars[this.pos] as string)));
        }
        if (this.pos < this.chars.length) this.pos += 2;
        return;
      }
      case 'p': case 'P':
        throw new Re2SyntaxError('Unicode classes (\\p, \\P) are not supported');
      default: break;
    }
    const perl = perlClass(c);
    if (perl !== undefined) {
      this.pos += 2;
      this.atom(classSource(perl, false), false);
      return;
    }
    const { code: value, next } = this.escapedChar(this.pos + 1);
    this.pos = next;
    this.atom(literal(value), false);
  }

  /** Go's parseEscape for a single character; `at` is just after the backslash. */
  private escapedChar(at: number): { code: number; next: number } {
    const chars = this.chars;
    const c = chars[at];
    if (c === undefined) throw new Re2SyntaxError('trailing backslash at end of expression');
    const code = cp(c);
    if (code < 0x80 && !isAlnum(code)) return { code, next: at + 1 };
    const control = Object.hasOwn(CONTROL_ESCAPES, c) ? CONTROL_ESCAPES[c] : undefined;
    if (control !== undefined) return { code: control, next: at + 1 };
    if (c >= '0' && c <= '7') {
      // a lone non-zero digit would be a back-reference, which RE2 lacks
      if (c !== '0' && !isOctal(chars[at + 1])) throw new Re2SyntaxError(`invalid escape sequence \\${c}`);
      let value = code - 0x30;
      let next = at + 1;
      for (let i = 1; i < 3 && isOctal(chars[next]); i++, next++) value = value * 8 + (cp(chars[next] as string) - 0x30);
      return { code: value, next };
    }
    if (c === 'x') return this.hexEscape(at + 1);
    throw new Re2SyntaxError(`invalid escape sequence \\${c}`);
  }

  private hexEscape(at: number): { code: number; next: number } {
    const chars = this.chars;
    if (chars[at] === '{') {
      let value = 0;
      let digits = 0;
      let next = at + 1;
      for (; chars[next] !== '}'; next++) {
        const v = hexValue(chars[next]);
        if (v < 0) throw new Re2SyntaxError('invalid escape sequence \\x{');
        value = value * 16 + v;
        if (value > MAX_RUNE) throw new Re2SyntaxError('invalid escape sequence \\x{');
        digits++;
      }
      if (digits === 0) throw new Re2SyntaxError('invalid escape sequence \\x{}');
      return { code: value, next: next + 1 };
    }
    const hi = hexValue(chars[at]);
    const lo = hexValue(chars[at + 1]);
    if (hi < 0 || lo < 0) throw new Re2SyntaxError('invalid escape sequence \\x');
    return { code: hi * 16 + lo, next: at + 2 };
  }

  /** Go's parseClass, from just after `[`; returns the JavaScript class. */
  private parseClass(): string {
    const chars = this.chars;
    let negated = false;
    if (chars[this.pos] === '^') {
      negated = true;
      this.pos++;
    }
    const ranges: Range[] = [];
    let first = true;
    while (this.pos >= chars.length || chars[this.pos] !== ']' || first) {
      if (this.pos >= chars.length) throw new Re2SyntaxError('missing closing ]');
      first = false;
      if (chars[this.pos] === '[' && chars[this.pos + 1] === ':' && chars.length - this.pos > 2) {
        const named = this.namedClass();
        if (named !== undefined) {
          ranges.push(...named);
          continue;
        }
      }
      if (chars[this.pos] === '\\') {
        const e = chars[this.pos + 1];
        if (e === 'p' || e === 'P') throw new Re2SyntaxError('Unicode classes (\\p, \\P) are not supported');
        const perl = e === undefined ? undefined : perlClass(e);
        if (perl !== undefined) {
          ranges.push(...perl);
          this.pos += 2;
          continue;
        }
      }
      const lo = this.classChar();
      let hi = lo;
      if (chars.length - this.pos >= 2 && chars[this.pos] === '-' && chars[this.pos + 1] !== ']') {
        this.pos++;
        hi = this.classChar();
        if (hi < lo) throw new Re2SyntaxError('invalid character class range');
      }
      ranges.push([lo, hi]);
    }
    this.pos++; // the closing ]
    return classSource(ranges, negated);
  }

  private classChar(): number {
    const c = this.chars[this.pos];
    if (c === undefined) throw new Re2SyntaxError('missing closing ]');
    if (c === '\\') {
      const { code, next } = this.escapedChar(this.pos + 1);
      this.pos = next;
      return code;
    }
    this.pos++;
    return cp(c);
  }

  /** `[:alpha:]` or `[:^alpha:]` at pos; undefined when there is no `:]` at all (then `[` is a plain character). */
  private namedClass(): Range[] | undefined {
    const rest = this.chars.slice(this.pos + 2).join('');
    const close = rest.indexOf(':]');
    if (close < 0) return undefined;
    const inner = rest.slice(0, close);
    const negated = inner.startsWith('^');
    const name = negated ? inner.slice(1) : inner;
    const ranges = Object.hasOwn(POSIX, name) ? POSIX[name] : undefined;
    if (ranges === undefined) throw new Re2SyntaxError(`invalid character class range [:${inner}:]`);
    this.pos += 2 + Array.from(inner).length + 2;
    return negated ? complement(ranges) : [...ranges];
  }
}

/** `\d \s \w` and their negations `\D \S \W`. */
function perlClass(letter: string): readonly Range[] | undefined {
  const lower = letter.toLowerCase();
  const ranges = Object.hasOwn(PERL, lower) ? PERL[lower] : undefined;
  if (ranges === undefined) return undefined;
  return letter === lower ? ranges : complement(ranges);
}

function classSource(ranges: readonly Range[], negated: boolean): string {
  const set = negated ? complement(ranges) : normalize(ranges);
  let out = '[';
  for (const [lo, hi] of set) out += lo === hi ? literal(lo) : `${literal(lo)}-${literal(hi)}`;
  return `${out}]`;
}

function normalize(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

function complement(ranges: readonly Range[]): Range[] {
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of normalize(ranges)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_RUNE) out.push([next, MAX_RUNE]);
  return out;
}

function literal(code: number): string {
  return isAlnum(code) ? String.fromCodePoint(code) : `\\u{${code.toString(16)}}`;
}

function isAlnum(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

function isOctal(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '7';
}

function hexValue(c: string | undefined): number {
  return c !== undefined && /^[0-9a-fA-F]$/.test(c) ? Number.parseInt(c, 16) : -1;
}
