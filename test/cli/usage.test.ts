import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { Output } from '../../src/cli/output.js';
import { cleanEnv, runBerth, type RunResult } from '../helpers/cli.js';
import { FakePipe, FakeTerminal } from '../helpers/terminal.js';

const PACKAGE = JSON.parse(readFileSync(join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', 'package.json'), 'utf8')) as { version: string };

/** Exactly one error line and one hint line on stderr, and no stack trace. */
function oneLineError(t: Test, r: RunResult, message: RegExp, hint: RegExp): void {
  const lines = r.stderr.trimEnd().split('\n');
  t.equal(lines.length, 2, `two lines on stderr: ${JSON.stringify(r.stderr)}`);
  t.match(lines[0], /^error: /);
  t.match(lines[0], message);
  t.match(lines[1], /^hint: /);
  t.match(lines[1], hint);
  t.notMatch(r.stderr, /^\s+at /m, 'no stack trace');
}

t.test('--help, help COMMAND and COMMAND --help', async (t) => {
  const env = cleanEnv(t);
  const top = await runBerth(['--help'], env);
  t.equal(top.code, 0);
  t.equal(top.stderr, '');
  for (const text of ['usage: berth', 'demo', 'doctor', 'replay', 'record', 'exit codes:', '  3  engine unreachable', '  7  TLS mismatch', 'NO_COLOR']) {
    t.match(top.stdout, text);
  }
  for (const name of ['demo', 'doctor', 'replay', 'record']) {
    for (const args of [[name, '--help'], [name, '-h'], ['help', name], ['--plain', name, '--help']]) {
      const r = await runBerth(args, env);
      t.equal(r.code, 0, `berth ${args.join(' ')}`);
      t.match(r.stdout, new RegExp(`^usage: berth ${name} `), 'starts with the synopsis');
      t.match(r.stdout, /\noptions:\n/);
      t.match(r.stdout, /\nglobal options:\n/);
    }
  }
  const doctor = await runBerth(['doctor', '--help'], env);
  for (const option of ['--host HOST', '--context NAME', '--json', '--timeout SECONDS']) t.match(doctor.stdout, option);
  const replay = await runBerth(['replay', '--help'], env);
  for (const option of ['--socket PATH', '--listen HOST:PORT', '--strict-order', '--once', '--check']) t.match(replay.stdout, option);
  const record = await runBerth(['record', '--help'], env);
  for (const option of ['--out FILE', '--secret VALUE', '(repeatable)', '--secret-env NAME']) t.match(record.stdout, option);
});

t.test('--version prints the package version', async (t) => {
  const env = cleanEnv(t);
  for (const flag of ['--version', '-V']) {
    const r = await runBerth([flag], env);
    t.equal(r.code, 0);
    t.equal(r.stdout, `berth ${PACKAGE.version}\n`);
  }
});

t.test('usage errors exit 2 with one line and a hint', async (t) => {
  const env = cleanEnv(t);
  const cases: Array<[string[], RegExp, RegExp]> = [
    [['nope'], /unknown command "nope"/, /commands: demo, doctor, replay, record/],
    [['doctr'], /unknown command "doctr"/, /did you mean "berth doctor"\?/],
    [['--bogus'], /unknown option --bogus/, /berth --help/],
    [['doctor', '--bogus'], /unknown option --bogus/, /berth doctor --help/],
    [['doctor', '--json=yes'], /option --json takes no value/, /berth doctor --help/],
    [['doctor', '--host'], /option --host needs a value \(HOST\)/, /berth doctor --help/],
    [['doctor', '--host', '--json'], /option --host needs a value, got the option --json/, /write --host=--json/],
    [['doctor', '--host', 'a', '--host', 'b'], /option --host given twice/, /help/],
    [['doctor', 'extra'], /unexpected argument "extra"/, /help/],
    [['doctor', '--timeout', 'soon'], /--timeout "soon" is not a positive number/, /./],
    [['doctor', '--host', 'unix:///x', '--context', 'c'], /give --host or --context, not both/, /./],
    [['replay'], /missing fixture\.json/, /usage: berth replay/],
    [['replay', 'f.json', '--socket', '/tmp/x.sock', '--listen', ':0'], /give --socket or --listen, not both/, /./],
    [['replay', 'f.json', '--listen', 'nowhere'], /--listen "nowhere" is not HOST:PORT/, /--listen 127\.0\.0\.1:2375/],
    [['record'], /missing --out FILE/, /usage: berth record --out FILE/],
    [['help', 'nope'], /unknown command "nope"/, /./],
  ];
  for (const [args, message, hint] of cases) {
    await t.test(`berth ${args.join(' ')}`, async (t) => {
      const r = await runBerth(args, env);
      t.equal(r.code, 2, 'exit 2');
      t.equal(r.stdout, '');
      oneLineError(t, r, message, hint);
    });
  }
  const bare = await runBerth([], env);
  t.equal(bare.code, 2, 'no command: exit 2');
  t.match(bare.stderr, /^usage: berth/, 'with the help on stderr');
});

t.test('--debug adds the stack trace', async (t) => {
  const env = cleanEnv(t);
  const r = await runBerth(['doctor', '--host', 'unix:///tmp/berth-no-such-dir/docker.sock', '--debug'], env);
  t.equal(r.code, 3);
  t.match(r.stderr, /^error: cannot connect to the engine: socket \/tmp\/berth-no-such-dir\/docker\.sock does not exist$/m);
  t.match(r.stderr, /^DockerConnectionError: .*\n\s+at /m, 'the stack follows');
  t.match(r.stderr, /^caused by: /m, 'and the cause');
});

t.test('colours: only on a terminal, never with NO_COLOR, TERM=dumb or --plain', async (t) => {
  const env = cleanEnv(t);
  const r = await runBerth(['doctor', '--host', 'unix:///tmp/berth-no-such-dir/docker.sock'], env);
  t.notMatch(r.stdout + r.stderr, /\x1b\[/, 'no escape sequences in a pipe');

  const coloured = (stream: FakeTerminal | FakePipe, options: ConstructorParameters<typeof Output>[2]): boolean => {
    const out = new Output(stream, stream, options);
    out.error('boom', 'try again');
    return /\x1b\[/.test(stream.writes.join(''));
  };
  t.equal(coloured(new FakeTerminal(), { env: {} }), true, 'a terminal gets colours');
  t.equal(coloured(new FakeTerminal(), { env: { NO_COLOR: '1' } }), false, 'NO_COLOR');
  t.equal(coloured(new FakeTerminal(), { env: { NO_COLOR: '' } }), true, 'an empty NO_COLOR does not count (no-color.org)');
  t.equal(coloured(new FakeTerminal(), { env: { TERM: 'dumb' } }), false, 'TERM=dumb');
  t.equal(coloured(new FakeTerminal(), { env: {}, plain: true }), false, '--plain');
  t.equal(coloured(new FakePipe(), { env: {} }), false, 'a pipe');
  const out = new Output(new FakeTerminal(), new FakePipe(), { env: {} });
  t.equal(out.progressMode(), 'plain', 'progress on a piped stderr is plain');
  t.equal(new Output(new FakePipe(), new FakeTerminal(), { env: {} }).progressMode(), 'tty');
  t.equal(new Output(new FakePipe(), new FakeTerminal(), { env: {}, quiet: true }).progressMode(), 'quiet');
});
