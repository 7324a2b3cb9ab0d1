/**
 * A regular-expression matcher that runs in time linear in the input, for
 * the expressions `re2-regexp.ts` writes. Go matches `.dockerignore`
 * patterns with RE2, an automaton; JavaScript's `RegExp` backtracks, and a
 * pattern such as `*a*a*a*a*a*a*a*a*b` (`^[^/]*a[^/]*a…b$`) takes seconds
 * against a forty-character name, and hours against a longer one. This is
 * a Pike VM (Thompson's construction, all threads in lockstep, one step per
 * code point), so a `.dockerignore` cannot hang a build.
 *
 * It reads only the JavaScript syntax the RE2 translator emits: literals
 * (ASCII letters and digits, or `\u{…}`), classes of explicit ranges
 * (`[…]`, `[^…]`, with `\n` and `\u{…}` inside), `(?:…)`, `|`, the
 * repetitions `*`, `+` and `?` (lazy or not: a whole-input test does not
 * care), and the assertions `^`, `$`, `\b` and `\B` — as the `u` flag reads
 * them, without `m` or `i`.
 */

/** Source the matcher cannot read: the translator wrote something it does not emit. */
export class LinearRegExpError extends Error {}

type Range = readonly [number, number];

type Node =
  | { readonly type: 'char'; readonly ranges: readonly Range[]; readonly negated: boolean }
  | { readonly type: 'assert'; readonly kind: '^' | '$' | 'b' | 'B' }
  | { readonly type: 'concat'; readonly items: readonly Node[] }
  | { readonly type: 'alt'; readonly options: readonly Node[] }
  | { readonly type: 'repeat'; readonly node: Node; readonly min: 0 | 1; readonly many: boolean };

type Instruction =
  | { op: 'char'; ranges: readonly Range[]; negated: boolean }
  | { op: 'assert'; kind: '^' | '$' | 'b' | 'B' }
  | { op: 'split'; x: number; y: number }
  | { op: 'jmp'; x: number }
  | { op: 'match' };

const MAX_RUNE = 0x10ffff;

class Parser {
  private readonly src: string;
  private pos = 0;

  constructor(src: string) {
    this.src = src;
  }

  parse(): Node {
    const node = this.alternation();
    if (this.pos < this.src.length) throw this.error('unexpected )');
    return node;
  }

  private error(why: string): LinearRegExpError {
    return new LinearRegExpError(`${why} at ${this.pos} in ${this.src}`);
  }

  private alternation(): Node {
    const options = [this.concatenation()];
    while (this.src[this.pos] === '|') {
      this.pos++;
      options.push(this.concatenation());
    }
    return options.length === 1 ? options[0] as Node : { type: 'alt', options };
  }

  private concatenation(): Node {
    const items: Node[] = [];
    while (this.pos < this.src.length && this.src[this.pos] !== '|' && this.src[this.pos] !== ')') {
      let node = this.atom();
      const op = this.src[this.pos];
      if (op === '*' || op === '+' || op === '?') {
        if (node.type === 'assert') throw this.error('a repeated assertion');
        this.pos++;
        if (this.src[this.pos] === '?') this.pos++; // lazy: the same whole-input matches
        node = { type: 'repeat', node, min: op === '+' ? 1 : 0, many: op !== '?' };
      }
      items.push(node);
    }
    return items.length === 1 ? items[0] as Node : { type: 'concat', items };
  }

  private atom(): Node {
    const c = this.src[this.pos];
    switch (c) {
      case '(': {
        if (!this.src.startsWith('(?:', this.pos)) throw this.error('a capturing group');
        this.pos += 3;
        const inner = this.alternation();
        if (this.src[this.pos] !== ')') throw this.error('missing )');
        this.pos++;
        return inner;
      }
      case '[':
        return this.charClass();
      case '^':
      case '$':
        this.pos++;
        return { type: 'assert', kind: c };
      case '\\': {
        const e = this.src[this.pos + 1];
        if (e === 'b' || e === 'B') {
          this.pos += 2;
          return { type: 'assert', kind: e };
        }
        const code = this.escaped();
        return { type: 'char', ranges: [[code, code]], negated: false };
      }
      default: {
        const code = this.src.codePointAt(this.pos);
        if (code === undefined || !isAlnum(code)) throw this.error(`unexpected ${JSON.stringify(c)}`);
        this.pos++;
        return { type: 'char', ranges: [[code, code]], negated: false };
      }
    }
  }

  /** `\u{hex}` or `\n` at pos. */
  private escaped(): number {
    if (this.src.startsWith('\\n', this.pos)) {
      this.pos += 2;
      return 0x0a;
    }
    if (!this.src.startsWith('\\u{', this.pos)) throw this.error('an escape the translator does not write');
    const close = this.src.indexOf('}', this.pos);
    const hex = close < 0 ? '' : this.src.slice(this.pos + 3, close);
    if (!/^[0-9a-f]{1,6}$/i.test(hex)) throw this.error('a bad \\u{…} escape');
    const code = Number.parseInt(hex, 16);
    if (code > MAX_RUNE) throw this.error('a code point past U+10FFFF');
    this.pos = close + 1;
    return code;
  }

  private classChar(): number {
    if (this.src[this.pos] === '\\') return this.escaped();
    const code = this.src.codePointAt(this.pos);
    if (code === undefined || !isAlnum(code)) throw this.error('a class character the translator does not write');
    this.pos++;
    return code;
  }

  private charClass(): Node {
    this.pos++;
    let negated = false;
    if (this.src[this.pos] === '^') {
      negated = true;
      this.pos++;
    }
    const ranges: Array<[number, number]> = [];
    while (this.src[this.pos] !== ']') {
      if (this.pos >= this.src.length) throw this.error('missing ]');
      const lo = this.classChar();
      let hi = lo;
      if (this.src[this.pos] === '-') {
        this.pos++;
        hi = this.classChar();
        if (hi < lo) throw this.error('a reversed range');
      }
      ranges.push([lo, hi]);
    }
    this.pos++;
    return { type: 'char', ranges, negated };
  }
}

/** Thompson's construction: the program of a node, appended to `prog`. */
function emit(node: Node, prog: Instruction[]): void {
  switch (node.type) {
    case 'char':
      prog.push({ op: 'char', ranges: node.ranges, negated: node.negated });
      return;
    case 'assert':
      prog.push({ op: 'assert', kind: node.kind });
      return;
    case 'concat':
      for (const item of node.items) emit(item, prog);
      return;
    case 'alt': {
      // split L1, next; L1: option; jmp end; next: split …; the last option falls through
      const jumps: Array<{ op: 'jmp'; x: number }> = [];
      node.options.forEach((option, i) => {
        if (i < node.options.length - 1) {
          const split: Instruction = { op: 'split', x: prog.length + 1, y: -1 };
          prog.push(split);
          emit(option, prog);
          const jmp = { op: 'jmp' as const, x: -1 };
          prog.push(jmp);
          jumps.push(jmp);
          split.y = prog.length;
        } else {
          emit(option, prog);
        }
      });
      for (const j of jumps) j.x = prog.length;
      return;
    }
    case 'repeat': {
      if (node.min === 1) {
        // e+: L: e; split L, next
        const start = prog.length;
        emit(node.node, prog);
        prog.push({ op: 'split', x: start, y: prog.length + 1 });
        return;
      }
      if (!node.many) {
        // e?: split L1, next; L1: e
        const split: Instruction = { op: 'split', x: prog.length + 1, y: -1 };
        prog.push(split);
        emit(node.node, prog);
        split.y = prog.length;
        return;
      }
      // e*: L: split L1, next; L1: e; jmp L
      const start = prog.length;
      const split: Instruction = { op: 'split', x: start + 1, y: -1 };
      prog.push(split);
      emit(node.node, prog);
      prog.push({ op: 'jmp', x: start });
      split.y = prog.length;
      return;
    }
  }
}

function isAlnum(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

function isWord(code: number | undefined): boolean {
  return code !== undefined && (isAlnum(code) || code === 0x5f);
}

function inRanges(ranges: readonly Range[], code: number): boolean {
  for (const [lo, hi] of ranges) if (code >= lo && code <= hi) return true;
  return false;
}

/** A compiled expression; {@link test} matches it anywhere in the input, as `RegExp.prototype.test` does. */
export class LinearRegExp {
  /** The JavaScript source it was compiled from. */
  readonly source: string;
  private readonly prog: readonly Instruction[];

  constructor(source: string) {
    this.source = source;
    const prog: Instruction[] = [];
    const root = new Parser(source).parse();
    const anchored = (root.type === 'assert' && root.kind === '^') || (root.type === 'concat' && root.items[0]?.type === 'assert' && root.items[0].kind === '^');
    // unanchored search: any prefix in front, as RegExp.test tries every start
    if (!anchored) prog.push({ op: 'split', x: 3, y: 1 }, { op: 'char', ranges: [[0, MAX_RUNE]], negated: false }, { op: 'jmp', x: 0 });
    emit(root, prog);
    prog.push({ op: 'match' });
    this.prog = prog;
  }

  /** Whether the expression matches somewhere in `input` (code points, as with the `u` flag). Linear in the input. */
  test(input: string): boolean {
    const codes = Array.from(input, (c) => c.codePointAt(0) as number);
    const size = this.prog.length;
    let current: number[] = [];
    let next: number[] = [];
    const seen = new Int32Array(size).fill(-1);
    let generation = 0;
    // adds pc and everything reachable from it without reading, at position `at`
    const add = (list: number[], start: number, at: number): boolean => {
      const stack = [start];
      while (stack.length > 0) {
        const pc = stack.pop() as number;
        if (seen[pc] === generation) continue;
        seen[pc] = generation;
        const ins = this.prog[pc] as Instruction;
        switch (ins.op) {
          case 'match':
            return true;
          case 'jmp':
            stack.push(ins.x);
            break;
          case 'split':
            stack.push(ins.y, ins.x);
            break;
          case 'assert':
            if (holds(ins.kind, codes, at)) stack.push(pc + 1);
            break;
          case 'char':
            list.push(pc);
            break;
        }
      }
      return false;
    };
    if (add(current, 0, 0)) return true;
    for (let at = 0; at < codes.length; at++) {
      const code = codes[at] as number;
      generation++;
      next.length = 0;
      for (const pc of current) {
        const ins = this.prog[pc] as Instruction & { op: 'char' };
        if (inRanges(ins.ranges, code) !== ins.negated && add(next, pc + 1, at + 1)) return true;
      }
      [current, next] = [next, current];
      if (current.length === 0) return false;
    }
    return false;
  }
}

function holds(kind: '^' | '$' | 'b' | 'B', codes: readonly number[], at: number): boolean {
  switch (kind) {
    case '^': return at === 0;
    case '$': return at === codes.length;
    case 'b': return isWord(codes[at - 1]) !== isWord(codes[at]);
    case 'B': return isWord(codes[at - 1]) === isWord(codes[at]);
  }
}
