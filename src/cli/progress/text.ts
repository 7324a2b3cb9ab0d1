/**
 * Text helpers of the renderers: cleaning engine output for a terminal,
 * fitting lines to its width, and formatting sizes, durations and bars.
 */

// CSI sequences, OSC sequences (ended by BEL or ST), and any other two-byte escape
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]/g;
// C0 controls and DEL, except tab (expanded) and the ones handled before
const CONTROLS = /[\x00-\x08\x0a-\x1f\x7f]/g;

/**
 * Makes engine text safe to print: escape sequences and control characters
 * removed (output from a container must not move the cursor or retitle the
 * terminal), tabs expanded, and a carriage return keeps only what a terminal
 * would show: the text after the last one.
 */
export function sanitize(text: string): string {
  let t = text.replace(ESCAPES, '');
  t = t.replace(/[\r\n]+$/, '');
  const cr = t.lastIndexOf('\r');
  if (cr >= 0) t = t.slice(cr + 1);
  return t.replace(/\t/g, '    ').replace(CONTROLS, '');
}

/** Display width, counting code points (wide characters count as one). */
export function width(text: string): number {
  return [...text].length;
}

/** Cuts `text` to `max` columns, ending in `…` when cut. */
export function fit(text: string, max: number): string {
  if (width(text) <= max) return text;
  if (max <= 1) return max === 1 ? '…' : '';
  return `${[...text].slice(0, max - 1).join('')}…`;
}

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** Bytes in decimal units with four significant digits, like the docker CLI: `512B`, `1.2kB`, `3.409MB`. */
export function formatBytes(bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 ? String(Math.round(value)) : String(Number(value.toPrecision(4)));
  return `${digits}${UNITS[unit] ?? 'B'}`;
}

/** A duration for people: `0.4s`, `12.3s`, `1m05s`, `2h03m`. */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const total = Math.floor(s);
  if (total < 3600) return `${Math.floor(total / 60)}m${String(total % 60).padStart(2, '0')}s`;
  return `${Math.floor(total / 3600)}h${String(Math.floor((total % 3600) / 60)).padStart(2, '0')}m`;
}

/** A bar like `[=====>      ]`, `size` columns wide inside the brackets. */
export function bar(current: number, total: number, size: number): string {
  const ratio = total > 0 ? Math.min(1, Math.max(0, current / total)) : 0;
  const filled = Math.round(ratio * size);
  const body = filled >= size ? '='.repeat(size) : filled === 0 ? ' '.repeat(size) : `${'='.repeat(filled - 1)}>${' '.repeat(size - filled)}`;
  return `[${body}]`;
}
