/**
 * JSON progress lines, trial side: a pull/build-like progress stream
 * (`\r\n`-terminated objects, one in eight carrying multi-byte text) in
 * 64 KiB chunks, every other chunk boundary moved inside a multi-byte
 * character. Each contender parses every line and checks the multi-byte
 * text arrived intact.
 */
import type { Readable } from 'node:stream';
import { measure, numberParam, unknownContender, type Params, type TrialOutcome } from './child.js';
import { patternSource, type Cutter } from './streams.js';

export const JSON_CONTENDERS = ['berth-json-lines', 'berth-progress', 'split2', 'dockerode'] as const;

/** The text of the multi-byte lines: 2-, 3- and 4-byte UTF-8 sequences. */
export const MULTIBYTE_TEXT = "Step 3/7 : RUN echo 'über ✓ 日本語 — 🐳 ok'\n";
const PATTERN_LINES = 5000;
const CHUNK = 64 * 1024;

function hex(i: number): string {
  return (0x3f4ca61aafcd + i * 7919).toString(16).slice(-12).padStart(12, '0');
}

function line(i: number): object {
  const id = hex(i % 13);
  const total = 30_000_000 + (i % 97) * 1_000_003;
  const current = Math.floor((total * (i % 50)) / 50);
  const bar = `[${'='.repeat(i % 50)}>${' '.repeat(49 - (i % 50))}]`;
  switch (i % 8) {
    case 0: return { stream: MULTIBYTE_TEXT };
    case 2: return { status: 'Extracting', progressDetail: { current, total }, progress: `${bar}  ${(current / 1e6).toFixed(1)}MB/${(total / 1e6).toFixed(1)}MB`, id };
    case 4: return { stream: ` ---> Running in ${hex(i)}\n` };
    case 6: return { status: 'Pull complete', progressDetail: {}, id };
    case 7: return { status: 'Verifying Checksum', progressDetail: {}, id };
    default: return { status: 'Downloading', progressDetail: { current, total }, progress: `${bar}  ${(current / 1e6).toFixed(1)}MB/${(total / 1e6).toFixed(1)}MB`, id };
  }
}

/** The pattern (PATTERN_LINES lines), its chunk ends, and how many multi-byte characters those ends split. */
export function jsonPattern(): { pattern: Buffer; ends: number[]; splitChars: number; multibyteLines: number } {
  const lines: string[] = [];
  let multibyteLines = 0;
  for (let i = 0; i < PATTERN_LINES; i++) {
    if (i % 8 === 0) multibyteLines++;
    lines.push(`${JSON.stringify(line(i))}\r\n`);
  }
  const pattern = Buffer.from(lines.join(''), 'utf8');
  const ends: number[] = [];
  let splitChars = 0;
  for (let at = CHUNK, k = 0; at < pattern.length; k++) {
    let end = at;
    if (k % 2 === 1) {
      // move this boundary to just after the lead byte of the next multi-byte character
      let lead = at;
      while (lead < pattern.length && (pattern[lead] as number) < 0xc0) lead++;
      if (lead < pattern.length) {
        end = lead + 1;
        splitChars++;
      }
    }
    ends.push(end);
    at = end + CHUNK;
  }
  ends.push(pattern.length);
  return { pattern, ends, splitChars, multibyteLines };
}

/** Counts lines and checks the multi-byte ones. */
class Tally {
  lines = 0;
  intact = 0;
  corrupt = 0;
  see(value: unknown): void {
    this.lines++;
    const s = (value as { stream?: unknown }).stream;
    if (typeof s === 'string' && s.charCodeAt(0) === 0x53 /* S */) {
      if (s === MULTIBYTE_TEXT) this.intact++;
      else this.corrupt++;
    }
  }
}

async function run(contender: string, src: Readable, tally: Tally): Promise<void> {
  switch (contender) {
    case 'berth-json-lines': {
      const { jsonLines } = await import('../../src/engine/streams/index.js');
      for await (const obj of jsonLines(src)) tally.see(obj);
      return;
    }
    case 'berth-progress': {
      const { progress } = await import('../../src/engine/streams/index.js');
      for await (const message of progress(src)) tally.see(message);
      return;
    }
    case 'split2': {
      const { default: split2 } = await import('split2');
      const lines = src.pipe(split2(JSON.parse));
      lines.on('data', (obj: unknown) => tally.see(obj));
      await new Promise<void>((resolve, reject) => {
        lines.once('end', resolve);
        lines.once('error', reject);
      });
      return;
    }
    case 'dockerode': {
      const { loadDockerode } = await import('./peers.js');
      const modem = new (loadDockerode())({ socketPath: '/nonexistent' }).modem;
      await new Promise<void>((resolve, reject) => {
        modem.followProgress(src, (err) => (err ? reject(err) : resolve()), (event) => tally.see(event));
      });
      return;
    }
    default:
      unknownContender('json-lines', contender);
  }
}

export async function trial(contender: string, params: Params): Promise<TrialOutcome> {
  const lines = numberParam(params, 'lines');
  const { pattern, ends, splitChars, multibyteLines } = jsonPattern();
  const repeats = Math.max(1, Math.round(lines / PATTERN_LINES));
  // the pattern's chunk ends, found by position (each repeat starts at offset 0)
  const cut: Cutter = (_pattern, offset) => ends.find((e) => e > offset) ?? pattern.length;
  if (contender.startsWith('berth')) await import('../../src/engine/streams/index.js');
  if (contender === 'split2') await import('split2');
  if (contender === 'dockerode') (await import('./peers.js')).loadDockerode();
  const tally = new Tally();
  const m = await measure(() => run(contender, patternSource(pattern, repeats, cut), tally));
  const expected = PATTERN_LINES * repeats;
  return {
    metrics: { linesPerS: tally.lines / m.wallS, wallS: m.wallS, cpuS: m.cpuS, streamMB: (pattern.length * repeats) / 1e6 },
    checks: {
      lines: tally.lines, expected, complete: tally.lines === expected,
      intact: tally.intact, corrupt: tally.corrupt, multibyteLines: multibyteLines * repeats, splitChars: splitChars * repeats,
    },
  };
}
