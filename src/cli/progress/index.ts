/**
 * Progress a person can read: pull layers with bars, build steps with their
 * output, spinners for waiting phases; plain lines off a terminal; errors
 * and results only when quiet.
 */
import type { ProgressMode, TextStream } from '../output.js';
import { systemClock, type Clock } from './clock.js';
import { LineRenderer } from './line.js';
import type { ProgressRenderer } from './renderer.js';
import { TtyRenderer } from './tty.js';

export type { ProgressMessage, ProgressDetail } from './message.js';
export type { ProgressRenderer, Spinner } from './renderer.js';
export { renderStream } from './renderer.js';
export type { Clock } from './clock.js';
export { systemClock } from './clock.js';

export interface RendererOptions {
  /** Where to draw (usually stderr). */
  stream: TextStream;
  /** `tty` redraws in place, `plain` writes lines, `quiet` only errors and results (see `Output.progressMode`). */
  mode: ProgressMode;
  /** Colours (tty mode only); default off. */
  color?: boolean;
  clock?: Clock;
  /** Milliseconds between redraws at most in tty mode (default 100). */
  frameInterval?: number;
}

/** A renderer for the mode. */
export function createRenderer(options: RendererOptions): ProgressRenderer {
  const clock = options.clock ?? systemClock;
  if (options.mode === 'tty') {
    return new TtyRenderer(options.stream, {
      clock, color: options.color === true, ...(options.frameInterval !== undefined ? { frameInterval: options.frameInterval } : {}),
    });
  }
  return new LineRenderer(options.stream, { clock, quiet: options.mode === 'quiet' });
}
