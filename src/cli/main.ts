#!/usr/bin/env node
/**
 * The `berth` executable (package.json `bin`). Binds the program to this
 * process: its argv, streams, environment and signals.
 */
import { runCli } from './app.js';
import { COMMANDS } from './commands/index.js';
import { watchInterruption } from './signals.js';

// A closed pipe (`berth doctor | head -1`) is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const interruption = watchInterruption();
try {
  process.exitCode = await runCli(process.argv.slice(2), COMMANDS, {
    stdout: process.stdout, stderr: process.stderr, env: process.env, signal: interruption.signal,
  });
} finally {
  interruption.dispose();
}
