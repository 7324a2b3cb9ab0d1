import { Readable, Writable } from 'node:stream';

/**
 * Synthetic sources and counting sinks for the in-process stream
 * benchmarks. A source replays one pattern (whole frames, whole lines) as
 * views into it, cut where `cut` says, so it costs the same for every
 * contender and adds only the pattern to the process's memory.
 */

/** Where the chunk starting at `offset` of the pattern ends (exclusive). */
export type Cutter = (pattern: Buffer, offset: number) => number;

/** The pattern replayed `repeats` times as views, cut by `cut`; each repeat starts a new chunk. */
export function patternSource(pattern: Buffer, repeats: number, cut: Cutter): Readable {
  let rep = 0;
  let offset = 0;
  return new Readable({
    read() {
      for (;;) {
        if (rep === repeats) {
          this.push(null);
          return;
        }
        const end = cut(pattern, offset);
        const chunk = pattern.subarray(offset, end);
        offset = end;
        if (offset >= pattern.length) {
          offset = 0;
          rep++;
        }
        if (!this.push(chunk)) return;
      }
    },
  });
}

/** Cuts every `size` bytes. */
export function fixedCutter(size: number): Cutter {
  return (pattern, offset) => Math.min(offset + size, pattern.length);
}

/** A Writable that counts what it is given and does nothing else. */
export class CountingSink extends Writable {
  bytes = 0;
  writes = 0;
  constructor() {
    super({
      write: (chunk: Buffer, _encoding, callback) => {
        this.bytes += chunk.length;
        this.writes++;
        callback();
      },
    });
  }
}
