import type { ProgressMessage } from '../types/progress.js';

/**
 * The human-readable side of a progress stream: build output reassembled
 * into lines across messages, status lines, and a bounded record of the
 * last lines for error reports. Memory is constant in the stream's length.
 */

/** The longest line kept (characters); longer ones are cut with `…`. */
export const MAX_LINE_CHARS = 4096;

// SGR colour codes: the classic builder wraps RUN's stderr in ESC[91m … ESC[0m
const SGR = /\u001b\[[0-9;]*m/g;

function tidy(line: string): string {
  const plain = line.includes('\u001b') ? line.replace(SGR, '') : line;
  const trimmed = plain.endsWith('\r') ? plain.slice(0, -1) : plain;
  return trimmed.length > MAX_LINE_CHARS ? `${trimmed.slice(0, MAX_LINE_CHARS)}…` : trimmed;
}

/**
 * Reassembles `stream` text into complete lines: a message may carry
 * several lines or part of one. A partial line longer than
 * {@link MAX_LINE_CHARS} is handed out as it is rather than grown.
 */
export class LineAssembler {
  private partial = '';

  /** The lines this text completes (without newlines, colour codes or a trailing `\r`). */
  push(text: string): string[] {
    if (text === '') return [];
    // the common case, one whole line per message, without joining and splitting
    if (this.partial === '' && text.indexOf('\n') === text.length - 1) return [tidy(text.slice(0, -1))];
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    if (this.partial.length > MAX_LINE_CHARS) {
      parts.push(this.partial);
      this.partial = '';
    }
    return parts.map(tidy);
  }

  /** The unterminated last line, if any (and forgets it). */
  flush(): string | undefined {
    const rest = this.partial;
    this.partial = '';
    return rest === '' ? undefined : tidy(rest);
  }
}

/**
 * A status message as one line, as the docker CLI prints it without a
 * terminal (`<id>: <status>`); undefined for messages that are pure
 * progress ticks (a `progressDetail` with a current value) or carry no status.
 */
export function statusLine(message: ProgressMessage): string | undefined {
  if (typeof message.status !== 'string' || message.status === '') return undefined;
  if (message.progressDetail?.current !== undefined) return undefined;
  return tidy(message.id ? `${message.id}: ${message.status}` : message.status);
}

/** The last `capacity` lines seen, in order (a ring buffer). */
export class Transcript {
  private readonly ring: string[];
  private next = 0;
  private count = 0;
  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = Math.max(0, Math.floor(capacity));
    this.ring = new Array<string>(this.capacity);
  }

  add(line: string): void {
    if (this.capacity === 0) return;
    this.ring[this.next] = line;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** The lines kept, oldest first. */
  lines(): string[] {
    const out: string[] = [];
    const start = (this.next - this.count + this.capacity) % (this.capacity || 1);
    for (let i = 0; i < this.count; i++) out.push(this.ring[(start + i) % this.capacity] as string);
    return out;
  }
}

/** Records the human-readable lines of a progress stream: `stream` text split into lines, plus status lines. */
export class ProgressTranscript {
  private readonly assembler = new LineAssembler();
  private readonly transcript: Transcript;

  constructor(capacity: number) {
    this.transcript = new Transcript(capacity);
  }

  add(message: ProgressMessage): void {
    if (typeof message.stream === 'string') {
      for (const line of this.assembler.push(message.stream)) this.transcript.add(line);
    }
    const status = statusLine(message);
    if (status !== undefined) this.transcript.add(status);
  }

  /** The last lines, an unterminated build line included. */
  lines(): string[] {
    const rest = this.assembler.flush();
    if (rest !== undefined) this.transcript.add(rest);
    return this.transcript.lines();
  }
}
