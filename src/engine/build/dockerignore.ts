import { Buffer } from 'node:buffer';
import { DockerArgumentError } from '../errors.js';
import { CompiledPattern, PatternSyntaxError } from './ignore-pattern.js';

/**
 * `.dockerignore` exactly as the docker CLI reads and applies it
 * (moby/patternmatcher and its `ignorefile` reader, and the walk of
 * moby/go-archive's `TarWithOptions`). Reading:
 *
 * 1. lines split at `\n` (a trailing `\r` dropped); a UTF-8 byte-order mark
 *    is stripped from the first line; a line longer than 64 KiB is an error;
 * 2. a line whose first character is `#` is a comment (`  # x` is a pattern);
 * 3. whitespace (Go's definition) is trimmed and empty lines skipped;
 * 4. a leading `!` makes an exception; whitespace after it is trimmed too;
 * 5. the pattern is cleaned like Go's `filepath.Clean` (`./a` → `a`,
 *    `a/../b` → `b`, `a//b` → `a/b`, trailing `/` dropped) and one leading
 *    `/` removed; `..` escaping the root stays and never matches;
 * 6. a bare `!` and malformed globs are errors.
 *
 * Matching: patterns apply in order and the last one that matches wins; a
 * path matches a pattern when the path or any of its parent directories does
 * (excluding `dir` excludes `dir/**`); the root is never excluded.
 */

/** One pattern of a `.dockerignore` file. */
export interface IgnorePattern {
  /** The cleaned pattern, without the `!` of an exception. */
  readonly pattern: string;
  /** `!pattern`: re-includes what earlier patterns excluded. */
  readonly exception: boolean;
  /** The 1-based line it came from, or 0 for a pattern added by berth (the build-file exceptions). */
  readonly line: number;
}

/**
 * Which patterns a directory matched, handed to the evaluation of its
 * children (go-archive's `MatchInfo`). Opaque: get it from
 * {@link DockerIgnore.evaluate} and pass it back for the directory's entries.
 */
export type IgnoreMatchState = readonly boolean[];

/** The verdict on one entry of a directory walk. */
export interface IgnoreWalkVerdict {
  /** The patterns exclude the entry: it is not written to the context. */
  readonly excluded: boolean;
  /**
   * For a directory: walk into it. An excluded directory is entered only
   * when some exception's text starts with `<dir>/`; its children are then
   * judged one by one (and the directory entry itself is not written).
   */
  readonly descend: boolean;
  /** Pass to the evaluation of the directory's children. */
  readonly state: IgnoreMatchState;
}

/** Lines longer than this make Go's line scanner fail (bufio.MaxScanTokenSize). */
const MAX_LINE_BYTES = 64 * 1024;

/**
 * Parses the text of a `.dockerignore` file into its patterns, in order.
 * Throws a {@link DockerArgumentError} naming the line and the pattern when a
 * line is `!` alone or a malformed glob (`[a`, a trailing `\`, `[z-a]`).
 */
export function parseDockerignore(text: string, source = '.dockerignore'): IgnorePattern[] {
  return readPatterns(text, source).map(({ pattern }) => pattern);
}

interface ReadPattern {
  pattern: IgnorePattern;
  compiled: CompiledPattern;
}

function readPatterns(text: string, source: string): ReadPattern[] {
  const out: ReadPattern[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop(); // a final newline ends the last line; it does not start one
  for (const [index, raw] of lines.entries()) {
    const lineNo = index + 1;
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (Buffer.byteLength(line) >= MAX_LINE_BYTES) {
      throw new DockerArgumentError(`${source} line ${lineNo} is longer than ${MAX_LINE_BYTES - 1} bytes; the docker CLI cannot read it`);
    }
    if (index === 0 && line.startsWith('\uFEFF')) line = line.slice(1);
    if (line.startsWith('#')) continue;
    const entry = readLine(line);
    if (entry === undefined) continue;
    out.push(compileEntry(entry.pattern, entry.exception, lineNo, `${source} line ${lineNo}`));
  }
  return out;
}

/** Steps 3–5 for one line, then the extra trim and clean patternmatcher applies when it loads the list. */
function readLine(line: string): { pattern: string; exception: boolean } | undefined {
  let pattern = trimSpace(line);
  if (pattern === '') return undefined;
  const invert = pattern.startsWith('!');
  if (invert) pattern = trimSpace(pattern.slice(1));
  if (pattern !== '') {
    pattern = cleanPath(pattern);
    if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
  }
  return loadedPattern(invert ? `!${pattern}` : pattern);
}

/** What patternmatcher.New does with one entry of the list: trim, clean, split off `!`. */
function loadedPattern(entry: string): { pattern: string; exception: boolean } | undefined {
  let p = trimSpace(entry);
  if (p === '') return undefined;
  p = cleanPath(p);
  if (!p.startsWith('!')) return { pattern: p, exception: false };
  return { pattern: p.slice(1), exception: true };
}

function compileEntry(pattern: string, exception: boolean, line: number, where: string): ReadPattern {
  const shown = exception ? `!${pattern}` : pattern;
  if (exception && pattern === '') throw new DockerArgumentError(`${where}: illegal exclusion pattern: "!"`);
  try {
    return { pattern: { pattern, exception, line }, compiled: CompiledPattern.compile(pattern) };
  } catch (err) {
    if (err instanceof PatternSyntaxError) throw new DockerArgumentError(`${where}: ${err.message}: ${JSON.stringify(shown)}`);
    throw err;
  }
}

/**
 * The rules of one `.dockerignore`, ready to apply. Build it with
 * {@link DockerIgnore.parse} (file text) or {@link DockerIgnore.from} (lines).
 *
 * ```ts
 * const ignore = DockerIgnore.parse('node_modules\n*.log\n!keep.log\n');
 * ignore.matches('node_modules/x/index.js'); // true
 * ignore.matches('keep.log');                // false
 * ```
 */
export class DockerIgnore {
  /** The patterns, in file order. */
  readonly patterns: readonly IgnorePattern[];
  /** Some pattern is an exception (`!…`). */
  readonly hasExceptions: boolean;
  private readonly compiled: readonly CompiledPattern[];

  private constructor(read: readonly ReadPattern[]) {
    this.patterns = read.map((r) => r.pattern);
    this.compiled = read.map((r) => r.compiled);
    this.hasExceptions = this.patterns.some((p) => p.exception);
  }

  /** No patterns: nothing is excluded. */
  static readonly empty = new DockerIgnore([]);

  /** Parses the text of a `.dockerignore` file. Throws a {@link DockerArgumentError} naming a bad line. */
  static parse(text: string, source = '.dockerignore'): DockerIgnore {
    return new DockerIgnore(readPatterns(text, source));
  }

  /** Builds the rules from lines, each read like a line of a `.dockerignore` file (`#` comments included). */
  static from(lines: readonly string[]): DockerIgnore {
    return DockerIgnore.parse(lines.join('\n'), 'ignore pattern');
  }

  /**
   * Whether the patterns exclude `path` (context-relative, `/`-separated):
   * the last pattern matching the path or one of its parent directories
   * decides. The root (`.` or empty) is never excluded. This is
   * patternmatcher's `MatchesOrParentMatches`, which the daemon uses too; a
   * directory walk uses {@link evaluate}, which differs from it only for
   * contrived orders of exceptions (see there).
   */
  matches(path: string): boolean {
    const file = cleanPath(path);
    if (file === '.') return false;
    const parents = parentPrefixes(file);
    let excluded = false;
    for (const [i, pattern] of this.compiled.entries()) {
      if ((this.patterns[i] as IgnorePattern).exception !== excluded) continue;
      if (pattern.matches(file) || parents.some((p) => pattern.matches(p))) excluded = !excluded;
    }
    return excluded;
  }

  /**
   * Judges one entry of a depth-first walk, given its parent directory's
   * state (omit it for entries of the root): patternmatcher's
   * `MatchesUsingParentResults` plus go-archive's directory rule. A pattern
   * the parent matched counts as matched, so excluding `dir` excludes all of
   * `dir/**`; but a pattern skipped while judging the parent (an exception
   * reached before anything matched) is then tried on the child alone — for
   * `a/b` + `!a` the CLI excludes `a/b` although {@link matches} says no.
   */
  evaluate(path: string, isDirectory: boolean, parent?: IgnoreMatchState): IgnoreWalkVerdict {
    const count = this.compiled.length;
    const known = parent !== undefined && parent.length === count && count > 0 ? parent : undefined;
    const state: boolean[] = isDirectory ? new Array<boolean>(count).fill(false) : [];
    const parents = known === undefined && path.includes('/') ? parentPrefixes(path) : [];
    let excluded = false;
    for (let i = 0; i < count; i++) {
      let match = known?.[i] === true;
      if (!match) {
        if ((this.patterns[i] as IgnorePattern).exception !== excluded) continue;
        const pattern = this.compiled[i] as CompiledPattern;
        match = pattern.matches(path) || parents.some((p) => pattern.matches(p));
      }
      if (isDirectory) state[i] = match;
      if (match) excluded = !(this.patterns[i] as IgnorePattern).exception;
    }
    const descend = isDirectory && (!excluded || this.hasExceptionUnder(path));
    return { excluded, descend, state };
  }

  /** go-archive's rule for an excluded directory: some exception's text, plus `/`, starts with `<dir>/`. */
  hasExceptionUnder(dir: string): boolean {
    if (!this.hasExceptions) return false;
    const prefix = `${dir}/`;
    return this.patterns.some((p) => p.exception && `${p.pattern}/`.startsWith(prefix));
  }

  /**
   * The rules the CLI packs with: when the patterns exclude `.dockerignore`
   * or the Dockerfile, an exception for each is appended (docker/cli's
   * `TrimBuildFilesFromExcludes`), so both reach the engine; the classic
   * builder then drops them from what `COPY` sees if the file's own patterns
   * match them. Pass `dockerfile` only when it lies inside the context.
   */
  withBuildFiles(dockerfile?: string): DockerIgnore {
    let rules: DockerIgnore = this;
    for (const file of ['.dockerignore', ...(dockerfile === undefined ? [] : [dockerfile])]) {
      if (!rules.matchesLikeCli(file)) continue;
      const loaded = loadedPattern(`!${file}`);
      if (loaded === undefined) continue;
      let extra: ReadPattern;
      try {
        extra = compileEntry(loaded.pattern, loaded.exception, 0, 'build file exception');
      } catch {
        continue; // a Dockerfile name that is no valid glob: the CLI fails here; berth's walk sends the file anyway
      }
      const read = rules.patterns.map((pattern, i) => ({ pattern, compiled: rules.compiled[i] as CompiledPattern }));
      rules = new DockerIgnore([...read, extra]);
    }
    return rules;
  }

  /**
   * patternmatcher's deprecated `Matches`, which the CLI still uses to decide
   * whether the build files need their exception: it tries a pattern on the
   * one parent directory as deep as the pattern, not on every parent.
   */
  private matchesLikeCli(path: string): boolean {
    const file = cleanPath(path);
    if (file === '.') return false;
    const slash = file.lastIndexOf('/');
    const parentDirs = slash < 0 ? [] : file.slice(0, slash).split('/');
    let excluded = false;
    for (const [i, pattern] of this.compiled.entries()) {
      const p = this.patterns[i] as IgnorePattern;
      if (p.exception !== excluded) continue;
      let match = pattern.matches(file);
      const depth = p.pattern.split('/').length;
      if (!match && parentDirs.length > 0 && depth <= parentDirs.length) {
        match = pattern.matches(parentDirs.slice(0, depth).join('/'));
      }
      if (match) excluded = !p.exception;
    }
    return excluded;
  }
}

/** `a`, `a/b` for `a/b/c`: the parent directories, shallowest first. */
function parentPrefixes(path: string): string[] {
  const out: string[] = [];
  for (let at = path.indexOf('/'); at >= 0; at = path.indexOf('/', at + 1)) out.push(path.slice(0, at));
  return out;
}

/** Go's `filepath.Clean` on a `/`-separated path. */
export function cleanPath(path: string): string {
  if (path === '') return '.';
  const rooted = path.startsWith('/');
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

/** Go's `unicode.IsSpace`: not quite JavaScript's `trim()` (U+0085 is a space, U+FEFF is not). */
const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const LEADING_SPACE = new RegExp(`^[${GO_SPACE}]+`, 'u');
const TRAILING_SPACE = new RegExp(`[${GO_SPACE}]+$`, 'u');

/** Go's `strings.TrimSpace`. */
export function trimSpace(s: string): string {
  return s.replace(LEADING_SPACE, '').replace(TRAILING_SPACE, '');
}
