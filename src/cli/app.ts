import { BERTH_VERSION } from '../engine/package-version.js';
import { GLOBAL_OPTIONS, formatOptions, parseCommandLine, splitCommand } from './args.js';
import type { Command, CommandIo } from './command.js';
import { EXIT, EXIT_TABLE, UsageError, debugText, describeFailure } from './failure.js';
import { Output } from './output.js';

/**
 * The `berth` program without its process: parses the command line, runs
 * the command, turns errors into one line, a hint and an exit code.
 * `main.ts` binds it to the real process.
 */

const TOP_OPTIONS = {
  ...GLOBAL_OPTIONS,
  version: { type: 'boolean', short: 'V', description: 'print berth\'s version and exit' },
} as const;

/** The top-level help text. */
export function mainHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'usage: berth [global options] <command> [options]',
    '',
    'berth talks to a Docker-compatible engine over its API.',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'global options (before or after the command):',
    formatOptions(TOP_OPTIONS),
    '',
    'exit codes:',
    ...EXIT_TABLE.map(([code, text]) => `  ${String(code).padStart(3)}  ${text}`),
    '',
    'environment: DOCKER_HOST, DOCKER_CONTEXT, DOCKER_CONFIG, DOCKER_TLS_VERIFY, DOCKER_TLS,',
    '  DOCKER_CERT_PATH, DOCKER_API_VERSION (as the docker CLI); NO_COLOR turns colours off.',
    '',
    'Run `berth <command> --help` for the options of a command.',
  ].join('\n');
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] as number;
      row[j] = Math.min(cur + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length] as number;
}

function unknownCommand(name: string, commands: readonly Command[]): UsageError {
  const near = commands.find((c) => distance(c.name, name) <= 2 || c.name.startsWith(name));
  const hint = near ? `did you mean "berth ${near.name}"?` : `commands: ${commands.map((c) => c.name).join(', ')}`;
  return new UsageError(`unknown command "${name}"`, hint);
}

/** Runs `berth` with `argv` (without the node and script paths); resolves with the exit code. */
export async function runCli(argv: readonly string[], commands: readonly Command[], io: CommandIo): Promise<number> {
  const { before, command: name, after } = splitCommand(argv);
  const command = name === undefined ? undefined : commands.find((c) => c.name === name);
  let out = command ? command.outputFor([...before, ...after], io) : new Output(io.stdout, io.stderr, { env: io.env });
  try {
    const top = parseCommandLine(before, TOP_OPTIONS, { max: 0 }, '');
    out = command ? out : new Output(io.stdout, io.stderr, { plain: top.values.plain, quiet: top.values.quiet, debug: top.values.debug, env: io.env });
    if (top.values.version === true) {
      out.result(`berth ${BERTH_VERSION}`);
      return EXIT.ok;
    }
    if (name === 'help') {
      const topic = after[0];
      const target = topic === undefined ? undefined : commands.find((c) => c.name === topic);
      if (topic !== undefined && !target) throw unknownCommand(topic, commands);
      out.result(target ? target.help().trimEnd() : mainHelp(commands));
      return EXIT.ok;
    }
    if (name === undefined) {
      if (top.values.help === true) {
        out.result(mainHelp(commands));
        return EXIT.ok;
      }
      io.stderr.write(`${mainHelp(commands)}\n`);
      return EXIT.usage;
    }
    if (!command) throw unknownCommand(name, commands);
    return await command.execute([...before, ...after], io);
  } catch (err) {
    const failure = describeFailure(err);
    out.error(failure.message, failure.hint);
    if (out.debug) io.stderr.write(`${debugText(err)}\n`);
    return failure.exitCode;
  }
}
