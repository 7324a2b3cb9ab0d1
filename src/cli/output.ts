/**
 * Where the command writes, and how: colours only on a terminal and when
 * NO_COLOR is not set, cursor movement only on a terminal that is not
 * `TERM=dumb` and without `--plain`, and `--quiet` keeps only errors and
 * final results.
 */

/** The part of a stream the CLI writes to (`process.stdout`, a test fake). */
export interface TextStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
  readonly rows?: number | undefined;
}

export type Environment = Readonly<Record<string, string | undefined>>;

/** How progress is shown: redrawn in place, one line per change, or not at all. */
export type ProgressMode = 'tty' | 'plain' | 'quiet';

export interface OutputOptions {
  plain?: boolean | undefined;
  quiet?: boolean | undefined;
  debug?: boolean | undefined;
  env?: Environment | undefined;
}

/** Text styling that is the identity when colours are off. */
export interface Style {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

const sgr = (open: number, close: number) => (text: string): string => `\x1b[${open}m${text}\x1b[${close}m`;
const identity = (text: string): string => text;

/** A {@link Style} with ANSI SGR colours, or without any. */
export function makeStyle(enabled: boolean): Style {
  if (!enabled) return { enabled, bold: identity, dim: identity, red: identity, green: identity, yellow: identity, cyan: identity };
  return { enabled, bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), cyan: sgr(36, 39) };
}

/** True when `stream` is a terminal that understands cursor movement and `--plain` was not given. */
export function isInteractive(stream: TextStream, env: Environment, plain = false): boolean {
  return stream.isTTY === true && !plain && env.TERM !== 'dumb';
}

/** True when colours should be used on `stream` (https://no-color.org: a non-empty NO_COLOR turns them off). */
export function colorsWanted(stream: TextStream, env: Environment, plain = false): boolean {
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  return isInteractive(stream, env, plain) && !noColor;
}

/** The command's two streams and its output settings. */
export class Output {
  readonly stdout: TextStream;
  readonly stderr: TextStream;
  readonly plain: boolean;
  readonly quiet: boolean;
  readonly debug: boolean;
  readonly env: Environment;
  /** Styling for stdout. */
  readonly style: Style;
  /** Styling for stderr. */
  readonly errStyle: Style;

  constructor(stdout: TextStream, stderr: TextStream, options: OutputOptions = {}) {
    this.stdout = stdout;
    this.stderr = stderr;
    this.plain = options.plain === true;
    this.quiet = options.quiet === true;
    this.debug = options.debug === true;
    this.env = options.env ?? {};
    this.style = makeStyle(colorsWanted(stdout, this.env, this.plain));
    this.errStyle = makeStyle(colorsWanted(stderr, this.env, this.plain));
  }

  /** A final result on stdout: printed even with `--quiet`. */
  result(text: string): void {
    this.stdout.write(`${text}\n`);
  }

  /** Informational output on stdout, dropped by `--quiet`. */
  info(text: string): void {
    if (!this.quiet) this.stdout.write(`${text}\n`);
  }

  /** A remark on stderr (what is going on), dropped by `--quiet`. */
  note(text: string): void {
    if (!this.quiet) this.stderr.write(`${text}\n`);
  }

  /** A warning on stderr, kept with `--quiet`. */
  warn(text: string): void {
    this.stderr.write(`${this.errStyle.yellow('warning:')} ${text}\n`);
  }

  /** An error: one line, then the hint on its own line. */
  error(message: string, hint?: string): void {
    const s = this.errStyle;
    this.stderr.write(`${s.red(s.bold('error:'))} ${message}\n`);
    if (hint !== undefined && hint !== '') this.stderr.write(`${s.dim('hint:')} ${hint}\n`);
  }

  /** How progress should be shown on `stream`. */
  progressMode(stream: TextStream = this.stderr): ProgressMode {
    if (this.quiet) return 'quiet';
    return isInteractive(stream, this.env, this.plain) ? 'tty' : 'plain';
  }
}
