/**
 * The syntax check the docker CLI applies to every `.dockerignore` pattern
 * before using it: Go's `filepath.Match(pattern, ".")`, kept only for its
 * error. A pattern is refused when a character class is unclosed or empty,
 * when a range end is missing (`[a-]`), when a class starts with `-` or `]`,
 * or when a `\` escapes nothing. Whatever `filepath.Match` accepts passes,
 * even where the regular expression built from the pattern later means
 * something else (see `re2-regexp.ts`).
 */

/** Why a pattern fails Go's glob syntax, or undefined when it is well-formed. */
export function globSyntaxError(pattern: string): string | undefined {
  // filepath.Match splits the pattern into chunks at each `*` outside a
  // class and checks every chunk in full, whatever the name, so checking
  // each chunk's syntax is the same as calling it.
  let rest = Array.from(pattern);
  while (rest.length > 0) {
    let start = 0;
    while (start < rest.length && rest[start] === '*') start++;
    rest = rest.slice(start);
    const end = chunkEnd(rest);
    const error = chunkSyntaxError(rest.slice(0, end));
    if (error !== undefined) return error;
    rest = rest.slice(end);
  }
  return undefined;
}

/** Where the chunk ends: at the first `*` outside brackets (Go's scanChunk). */
function chunkEnd(chars: readonly string[]): number {
  let inRange = false;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === '\\') {
      if (i + 1 < chars.length) i++;
    } else if (c === '[') {
      inRange = true;
    } else if (c === ']') {
      inRange = false;
    } else if (c === '*' && !inRange) {
      return i;
    }
  }
  return chars.length;
}

/** The syntax part of Go's matchChunk. */
function chunkSyntaxError(chunk: readonly string[]): string | undefined {
  let i = 0;
  while (i < chunk.length) {
    const c = chunk[i];
    if (c === '[') {
      i++;
      if (chunk[i] === '^') i++;
      let ranges = 0;
      for (;;) {
        if (i < chunk.length && chunk[i] === ']' && ranges > 0) {
          i++;
          break;
        }
        const lo = classChar(chunk, i);
        if (lo === undefined) return 'malformed character class';
        i = lo;
        if (chunk[i] === '-') {
          const hi = classChar(chunk, i + 1);
          if (hi === undefined) return 'malformed character range';
          i = hi;
        }
        ranges++;
      }
    } else if (c === '\\') {
      if (i + 1 >= chunk.length) return 'trailing backslash';
      i += 2;
    } else {
      i++;
    }
  }
  return undefined;
}

/**
 * Go's getEsc: one (possibly escaped) class character at `i`; returns the
 * index after it, or undefined when the class is malformed there. Like Go,
 * a class character must be followed by something (the closing `]` at least).
 */
function classChar(chunk: readonly string[], i: number): number | undefined {
  const c = chunk[i];
  if (c === undefined || c === '-' || c === ']') return undefined;
  let at = i;
  if (c === '\\') {
    at++;
    if (at >= chunk.length) return undefined;
  }
  at++;
  return at >= chunk.length ? undefined : at;
}
