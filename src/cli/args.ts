import { parseArgs } from 'node:util';
import { UsageError } from './failure.js';

/**
 * Command-line parsing on `node:util` `parseArgs`, in its non-strict token
 * mode so that every mistake gets a message of ours naming the option,
 * instead of Node's generic one.
 */

/** One option of a command. */
export interface OptionSpec {
  readonly type: 'boolean' | 'string';
  readonly short?: string;
  /** A string option that may be given several times (values collected in order). */
  readonly multiple?: boolean;
  /** The value's placeholder in help, e.g. `PATH`. */
  readonly value?: string;
  readonly description: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** The parsed value of one option, typed from its spec. */
export type OptionValue<S extends OptionSpec> =
  S['type'] extends 'boolean' ? boolean | undefined
    : S['multiple'] extends true ? string[] : string | undefined;

export type OptionValues<O extends OptionSpecs> = { -readonly [K in keyof O]: OptionValue<O[K]> };

export interface ParsedArgs<O extends OptionSpecs> {
  readonly values: OptionValues<O>;
  readonly positionals: readonly string[];
}

/** Options every command accepts, before or after the command name. */
export const GLOBAL_OPTIONS = {
  help: { type: 'boolean', short: 'h', description: 'show help and exit' },
  plain: { type: 'boolean', description: 'plain line output: no colours, no cursor movement' },
  quiet: { type: 'boolean', short: 'q', description: 'print only errors and final results' },
  debug: { type: 'boolean', description: 'print stack traces and error causes' },
} as const satisfies OptionSpecs;

export type GlobalValues = OptionValues<typeof GLOBAL_OPTIONS>;

/**
 * Parses `argv` against `specs`. Unknown options, values given to boolean
 * options, missing values and stray positionals are {@link UsageError}s.
 * `--` ends the options.
 */
export function parseCommandLine<O extends OptionSpecs>(
  argv: readonly string[], specs: O, positionals: { max: number }, command: string,
): ParsedArgs<O> {
  const nodeOptions: Record<string, { type: 'boolean' | 'string'; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(specs)) {
    nodeOptions[name] = {
      type: spec.type,
      ...(spec.short !== undefined ? { short: spec.short } : {}),
      ...(spec.multiple === true ? { multiple: true } : {}),
    };
  }
  const { tokens } = parseArgs({ args: [...argv], options: nodeOptions, strict: false, allowPositionals: true, tokens: true });
  const values: Record<string, boolean | string | string[] | undefined> = {};
  for (const [name, spec] of Object.entries(specs)) if (spec.multiple === true) values[name] = [];
  const rest: string[] = [];
  const help = `see: berth ${command === '' ? '' : `${command} `}--help`;
  for (const token of tokens) {
    if (token.kind === 'positional') {
      rest.push(token.value);
      continue;
    }
    if (token.kind === 'option-terminator') continue;
    const spec = specs[token.name];
    if (spec === undefined) throw new UsageError(`unknown option ${token.rawName}`, help);
    if (spec.type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`option ${token.rawName} takes no value`, help);
      values[token.name] = true;
      continue;
    }
    const value = token.value;
    if (value === undefined) throw new UsageError(`option ${token.rawName} needs a value (${spec.value ?? 'VALUE'})`, help);
    if (token.inlineValue !== true && value.startsWith('-') && value !== '-') {
      throw new UsageError(`option ${token.rawName} needs a value, got the option ${value}`, `write ${token.rawName}=${value} if that is the value`);
    }
    if (spec.multiple === true) (values[token.name] as string[]).push(value);
    else if (values[token.name] !== undefined) throw new UsageError(`option ${token.rawName} given twice`, help);
    else values[token.name] = value;
  }
  if (rest.length > positionals.max) {
    const extra = rest.slice(positionals.max);
    throw new UsageError(`unexpected argument${extra.length > 1 ? 's' : ''} ${extra.map((a) => JSON.stringify(a)).join(' ')}`, help);
  }
  return { values: values as OptionValues<O>, positionals: rest };
}

/**
 * Splits `argv` into the global options before the command, the command
 * name, and everything after it. Only global (boolean) options may come
 * before the command.
 */
export function splitCommand(argv: readonly string[]): { before: string[]; command: string | undefined; after: string[] } {
  const before: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') return { before, command: argv[i + 1], after: argv.slice(i + 2) };
    if (!arg.startsWith('-') || arg === '-') return { before, command: arg, after: argv.slice(i + 1) };
    before.push(arg);
  }
  return { before, command: undefined, after: [] };
}

/** Help text for a set of options, aligned. */
export function formatOptions(specs: OptionSpecs): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const flag = `${spec.short !== undefined ? `-${spec.short}, ` : '    '}--${name}${spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : ''}`;
    return [flag, `${spec.description}${spec.multiple === true ? ' (repeatable)' : ''}`] as const;
  });
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`).join('\n');
}
