import type { ProgressMessage } from './message.js';

/**
 * A progress display: fed the messages of a pull, build or push, and told
 * about waiting phases. Three kinds share this interface: on a terminal
 * (redrawn in place), plain lines, and quiet (errors and results only).
 */
export interface ProgressRenderer {
  /** Shows one message of a JSON progress stream. */
  update(message: ProgressMessage): void;
  /** Starts a waiting phase shown with its elapsed time, e.g. `waiting for the worker to connect`. */
  spinner(label: string): Spinner;
  /** A remark that is not progress (`container 3f2a started`); dropped when quiet. */
  note(text: string): void;
  /** A final result; shown in every mode. */
  result(text: string): void;
  /** Finishes: last redraw, cursor restored, timers stopped. Idempotent; later calls do nothing. */
  end(): void;
  /** The stream's error (from `errorDetail`), once one arrived. */
  readonly error: { readonly message: string; readonly code: number | undefined } | undefined;
}

/** A waiting phase. */
export interface Spinner {
  /** Changes what is being waited for. */
  update(label: string): void;
  /** Ends the phase as done; `text` replaces the label in the final line. */
  succeed(text?: string): void;
  /** Ends the phase as failed (shown even when quiet). */
  fail(text?: string): void;
  /** Ends the phase and leaves no line behind. */
  stop(): void;
}

/** Feeds a whole stream to a renderer and ends it, also when the stream throws. */
export async function renderStream(renderer: ProgressRenderer, messages: AsyncIterable<ProgressMessage>): Promise<void> {
  try {
    for await (const m of messages) renderer.update(m);
  } finally {
    renderer.end();
  }
}
