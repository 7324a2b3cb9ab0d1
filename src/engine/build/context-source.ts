import { Buffer } from 'node:buffer';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { abortError } from '../errors.js';
import type { TarHeader, TarOutput } from './tar-output.js';

/**
 * What a build context is made from (a directory, or a Dockerfile given as
 * text): checked once before anything is sent, then packed.
 */

/** What the pre-upload check found: what will be sent, and the Dockerfile's name. */
export interface BuildContextSummary {
  /** What to pass as the `dockerfile` parameter of `POST /build`. */
  readonly dockerfile: string;
  /** Regular files, symbolic links and hard links that will be sent. */
  readonly files: number;
  /** Directory entries that will be sent. */
  readonly directories: number;
  /** Bytes of file content that will be sent (the tar adds headers and padding). */
  readonly bytes: number;
}

/** The state of a pack in progress, as the sources see it. */
export interface PackControl {
  readonly signal: AbortSignal | undefined;
  /** The stream was destroyed or aborted: stop quietly. */
  stopped(): boolean;
  /** One more entry was written: `bytes` of content. */
  entry(bytes: number): void;
  /** Part of a large file was written. */
  content(bytes: number): void;
}

/** A build context's contents: checked by `prepare`, then written by `pack`. */
export interface ContextSource {
  /** Checks everything that will be sent (for a directory: the whole walk), before any byte is produced. */
  prepare(signal: AbortSignal | undefined): Promise<BuildContextSummary>;
  /** Writes the entries to `out` (awaiting its backpressure); the caller finishes the output. */
  pack(out: TarOutput, control: PackControl): Promise<void>;
}

/** Synchronous work runs in slices of about this long before other events get a turn. */
const SLICE_MS = 10;

/** Lets a long synchronous walk give the event loop a turn now and then, and notices an abort. */
export class Pacer {
  private readonly signal: AbortSignal | undefined;
  private sliceStart = performance.now();

  constructor(signal: AbortSignal | undefined) {
    this.signal = signal;
  }

  /**
   * Throws when aborted; true when the current slice is used up and the
   * caller should `await pause()`. Cheap enough to call for every entry.
   */
  due(): boolean {
    if (this.signal?.aborted) throw abortError(this.signal);
    return performance.now() - this.sliceStart >= SLICE_MS;
  }

  /** Gives other events a turn, then starts a new slice. */
  async pause(): Promise<void> {
    await nextMacrotask();
    this.sliceStart = performance.now();
    if (this.signal?.aborted) throw abortError(this.signal);
  }
}

/** The modification time tar can hold for `ms` (seconds, from 1970 to 2038; tar-stream keeps 32 bits). */
export function tarTime(ms: number): Date {
  const seconds = Math.min(Math.max(Math.floor(ms / 1000), 0), 0x7fffffff);
  return new Date(seconds * 1000);
}

/** A context whose entries are all in memory: a Dockerfile given as text. */
export class MemoryContext implements ContextSource {
  private readonly entries: ReadonlyArray<{ header: TarHeader; content: Buffer }>;
  private readonly dockerfile: string;

  constructor(dockerfile: string, entries: ReadonlyArray<{ header: TarHeader; content: Buffer }>) {
    this.dockerfile = dockerfile;
    this.entries = entries;
  }

  async prepare(signal: AbortSignal | undefined): Promise<BuildContextSummary> {
    if (signal?.aborted) throw abortError(signal);
    const bytes = this.entries.reduce((n, e) => n + e.content.length, 0);
    return { dockerfile: this.dockerfile, files: this.entries.length, directories: 0, bytes };
  }

  async pack(out: TarOutput, control: PackControl): Promise<void> {
    for (const { header, content } of this.entries) {
      if (control.stopped()) return;
      out.add(header, content);
      control.entry(content.length);
      await out.ready();
    }
  }
}
