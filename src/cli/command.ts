import { GLOBAL_OPTIONS, formatOptions, parseCommandLine, type GlobalValues, type OptionSpecs, type ParsedArgs } from './args.js';
import { UsageError } from './failure.js';
import { Output, type Environment, type TextStream } from './output.js';

/**
 * The shape of a `berth` command: its options, help and `run`. A command is
 * declared with {@link defineCommand} in its own file under `commands/` and
 * listed in `commands/index.ts`; `main.ts` does the rest (global options,
 * `--help`, errors and exit codes).
 */

/** What a command gets when it runs. */
export interface CommandContext<O extends OptionSpecs> {
  readonly args: ParsedArgs<O>;
  /** `--plain`, `--quiet`, `--debug` (given before or after the command name). */
  readonly globals: GlobalValues;
  readonly out: Output;
  readonly env: Environment;
  /** Aborted by the first SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
}

export interface CommandSpec<O extends OptionSpecs> {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** The synopsis after `berth`, e.g. `doctor [--host H] [--json]`. */
  readonly synopsis: string;
  /** Paragraphs explaining the command. */
  readonly description: string;
  readonly options: O;
  /** Positional arguments: their name in help and how many are allowed. */
  readonly positionals?: { readonly name: string; readonly min: number; readonly max: number };
  readonly examples?: readonly string[];
  /** Runs the command; resolves with the exit code. Throws for failures (mapped by main). */
  run(ctx: CommandContext<O>): Promise<number>;
}

/** The streams and environment a command runs with. */
export interface CommandIo {
  readonly stdout: TextStream;
  readonly stderr: TextStream;
  readonly env: Environment;
  readonly signal: AbortSignal;
}

/** A command with its option types erased, as main.ts lists them. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  help(): string;
  /** Output settings from the global options, for reporting an error before `execute` could build its own. */
  outputFor(argv: readonly string[], io: CommandIo): Output;
  /** Parses `argv` (everything after the command name, plus the global options before it) and runs. */
  execute(argv: readonly string[], io: CommandIo): Promise<number>;
}

/** Declares a command. */
export function defineCommand<O extends OptionSpecs>(spec: CommandSpec<O>): Command {
  const options = { ...GLOBAL_OPTIONS, ...spec.options } as const;
  const max = spec.positionals?.max ?? 0;
  const help = (): string => {
    const lines = [`usage: berth ${spec.synopsis}`, '', spec.description.trim(), '', 'options:', formatOptions(spec.options), '', 'global options:', formatOptions(GLOBAL_OPTIONS)];
    if (spec.examples?.length) lines.push('', 'examples:', ...spec.examples.map((e) => `  ${e}`));
    lines.push('', 'exit codes: see berth --help');
    return `${lines.join('\n')}\n`;
  };
  const parse = (argv: readonly string[]): { args: ParsedArgs<O>; globals: GlobalValues } => {
    const parsed = parseCommandLine(argv, options, { max }, spec.name);
    const raw = parsed.values as unknown as Readonly<Record<string, unknown>>;
    const flag = (name: keyof GlobalValues): boolean | undefined => (raw[name] === true ? true : undefined);
    return {
      // the command's own options are a subset of what was parsed
      args: { values: parsed.values as unknown as ParsedArgs<O>['values'], positionals: parsed.positionals },
      globals: { help: flag('help'), plain: flag('plain'), quiet: flag('quiet'), debug: flag('debug') },
    };
  };
  return {
    name: spec.name,
    summary: spec.summary,
    help,
    outputFor(argv, io) {
      let values: Partial<GlobalValues> = {};
      try { values = parse(argv).globals; } catch { /* a usage error: plain defaults */ }
      return new Output(io.stdout, io.stderr, { plain: values.plain, quiet: values.quiet, debug: values.debug, env: io.env });
    },
    async execute(argv, io) {
      const { args, globals } = parse(argv);
      const out = new Output(io.stdout, io.stderr, { plain: globals.plain, quiet: globals.quiet, debug: globals.debug, env: io.env });
      if (globals.help === true) {
        out.result(help().trimEnd());
        return 0;
      }
      const min = spec.positionals?.min ?? 0;
      if (args.positionals.length < min) {
        throw new UsageError(`missing ${spec.positionals?.name ?? 'argument'}`, `usage: berth ${spec.synopsis}`);
      }
      try {
        return await spec.run({ args, globals, out, env: io.env, signal: io.signal });
      } catch (err) {
        // every usage error points somewhere
        if (err instanceof UsageError && err.hint === undefined) throw new UsageError(err.message, `see: berth ${spec.name} --help`);
        throw err;
      }
    },
  };
}
