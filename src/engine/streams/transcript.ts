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

  /** Whether the start of a line is held, waiting for the rest. */
  get pending(): boolean {
    return this.partial !== '';
  }

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
  return hasStatusLine(message) ? renderStatus(message.status, message.id) : undefined;
}

/** Whether {@link statusLine} makes a line of this message (without making it). */
function hasStatusLine(message: ProgressMessage): message is ProgressMessage & { status: string } {
  return typeof message.status === 'string' && message.status !== '' && message.progressDetail?.current === undefined;
}

function renderStatus(status: string, id: string | undefined): string {
  return tidy(id ? `${id}: ${status}` : status);
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

/**
 * What a recorded line of a {@link ProgressTranscript} still needs to become
 * text: nothing (`LINE`); a one-line `stream` text loses its newline and is
 * tidied (`STREAM`); a status becomes `<id>: <status>`, tidied (`STATUS`).
 */
type Kind = 0 | 1 | 2;
const LINE = 0;
const STREAM = 1;
const STATUS = 2;

/**
 * Records the human-readable lines of a progress stream: `stream` text
 * split into lines, plus status lines. Most messages are one line, and the
 * lines are read only if the stream fails: such a line is kept as the
 * strings it is made of and rendered when {@link lines} is called. The
 * strings kept are the message's own (immutable) strings, never the
 * message, so a consumer that changes a message does not change the
 * transcript; one too long to keep whole is rendered (cut) at once.
 */
export class ProgressTranscript {
  private readonly assembler = new LineAssembler();
  readonly capacity: number;
  // a ring of `capacity` lines, each as a kind and up to two strings
  private readonly kinds: Kind[];
  private readonly texts: string[];
  private readonly ids: (string | undefined)[];
  private next = 0;
  private count = 0;

  constructor(capacity: number) {
    this.capacity = Math.max(0, Math.floor(capacity));
    this.kinds = new Array<Kind>(this.capacity).fill(LINE);
    this.texts = new Array<string>(this.capacity).fill('');
    this.ids = new Array<string | undefined>(this.capacity).fill(undefined);
  }

  add(message: ProgressMessage): void {
    if (this.capacity === 0) return;
    const stream = message.stream;
    if (typeof stream === 'string' && stream !== '') {
      // one whole line, nothing held: kept as it came
      if (stream.length <= MAX_LINE_CHARS && stream.indexOf('\n') === stream.length - 1 && !this.assembler.pending) {
        this.record(STREAM, stream, undefined);
      } else {
        for (const line of this.assembler.push(stream)) this.record(LINE, line, undefined);
      }
    }
    if (hasStatusLine(message)) {
      const id = message.id;
      if (message.status.length + (id?.length ?? 0) <= MAX_LINE_CHARS) this.record(STATUS, message.status, id);
      else this.record(LINE, renderStatus(message.status, id), undefined);
    }
  }

  /** The last lines, an unterminated build line included. */
  lines(): string[] {
    const rest = this.assembler.flush();
    if (rest !== undefined && this.capacity > 0) this.record(LINE, rest, undefined);
    const out: string[] = [];
    const start = (this.next - this.count + this.capacity) % (this.capacity || 1);
    for (let i = 0; i < this.count; i++) {
      const at = (start + i) % this.capacity;
      const text = this.texts[at] as string;
      switch (this.kinds[at]) {
        case STREAM: out.push(tidy(text.slice(0, -1))); break;
        case STATUS: out.push(renderStatus(text, this.ids[at])); break;
        default: out.push(text);
      }
    }
    return out;
  }

  private record(kind: Kind, text: string, id: string | undefined): void {
    const at = this.next;
    this.kinds[at] = kind;
    this.texts[at] = text;
    this.ids[at] = id;
    this.next = at + 1 === this.capacity ? 0 : at + 1;
    if (this.count < this.capacity) this.count++;
  }
}
