import { Buffer, isAscii } from 'node:buffer';

/**
 * Decoding whole lines of UTF-8 that is mostly ASCII. The engine's UTF-8
 * decoder leaves its fast path at the first byte ≥ 0x80 and decodes the
 * rest of the text byte by byte, some twenty times slower: one `✓` near the
 * start of a 64 KiB chunk of progress messages makes the whole chunk slow.
 * Progress and event streams are ASCII but for a few lines of build
 * output, so the bytes are decoded one character per byte (latin1, fast
 * whatever they hold) and split, and only the lines that hold a byte ≥ 0x80
 * are decoded again, as UTF-8. Each line is then exactly what decoding the
 * whole text as UTF-8 and splitting it gives: `\n` never occurs inside a
 * multi-byte sequence, and an invalid one ends at the `\n` either way.
 */

const NEWLINE = '\n';
const HIGH_BITS = 0x80808080;

/** The `\n`-separated lines of `bytes[start, end)` (which holds whole lines), decoded as UTF-8. */
export function decodeLines(bytes: Buffer, start: number, end: number): string[] {
  const lines = bytes.toString('latin1', start, end).split(NEWLINE);
  if (isAscii(bytes.subarray(start, end))) return lines;
  // the chunk's bytes as 32-bit words, to look at four at a time
  const firstWord = bytes.byteOffset >>> 2;
  const words = new Uint32Array(bytes.buffer, firstWord * 4, ((bytes.byteOffset + end) >>> 2) - firstWord);
  let index = 0;
  let lineStart = start;
  for (let high = firstHighByte(bytes, words, lineStart, end); high < end; high = firstHighByte(bytes, words, lineStart, end)) {
    // a latin1 line has one character per byte: its length is its size in bytes
    let lineEnd = lineStart + (lines[index] as string).length;
    while (lineEnd < high) {
      lineStart = lineEnd + 1;
      index++;
      lineEnd = lineStart + (lines[index] as string).length;
    }
    lines[index] = bytes.toString('utf8', lineStart, lineEnd);
    lineStart = lineEnd + 1;
    index++;
  }
  return lines;
}

/**
 * The index of the first byte ≥ 0x80 in `bytes[from, end)`, or `end`.
 * `words` views the buffer under `bytes` from the word holding its first
 * byte; only words wholly inside `[from, end)` are read through it.
 */
function firstHighByte(bytes: Buffer, words: Uint32Array, from: number, end: number): number {
  const offset = bytes.byteOffset;
  let i = from;
  while (i < end && ((offset + i) & 3) !== 0) {
    if ((bytes[i] as number) >= 0x80) return i;
    i++;
  }
  const base = offset >>> 2;
  const lastWord = ((offset + end) >>> 2) - base;
  let w = ((offset + i) >>> 2) - base;
  while (w < lastWord && ((words[w] as number) & HIGH_BITS) === 0) w++;
  for (i = Math.max(i, (w + base) * 4 - offset); i < end; i++) {
    if ((bytes[i] as number) >= 0x80) return i;
  }
  return end;
}
