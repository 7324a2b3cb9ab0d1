import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMMANDS } from '../../src/cli/commands/index.js';
import * as berth from '../../src/index.js';
import { EXAMPLES, exampleSource } from '../helpers/examples.js';

/**
 * The README tells the truth: its examples are the files the tests run
 * (imported from `berth` there, from the source here), its quick start is
 * the two commands, and the commands, options and error classes it names
 * exist.
 */

const README = readFileSync(join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', 'README.md'), 'utf8');

/** The README's `<!-- example: examples/NAME.ts -->` blocks, by file. */
function exampleBlocks(): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const m of README.matchAll(/<!-- example: (examples\/[\w-]+\.ts) -->\n```ts\n([\s\S]*?)```\n/g)) blocks.set(m[1] ?? '', m[2] ?? '');
  return blocks;
}

/** A README section: from its heading to the next heading of its level or above. */
function section(heading: string): string {
  const start = README.indexOf(`${heading}\n`);
  if (start < 0) return '';
  const level = /^#+/.exec(heading)?.[0].length ?? 2;
  const rest = README.slice(start + heading.length);
  const end = rest.search(new RegExp(`\\n#{1,${level}} `));
  return end < 0 ? rest : rest.slice(0, end);
}

t.test('every example is in the README as it is in examples/', async (t) => {
  const blocks = exampleBlocks();
  for (const { name } of EXAMPLES) {
    const file = `examples/${name}.ts`;
    const source = readFileSync(exampleSource(name), 'utf8');
    t.ok(source.includes("from '../src/index.js'"), `${file} imports berth from the source`);
    t.equal(blocks.get(file), source.replaceAll("from '../src/index.js'", "from 'berth'"), `${file} is in the README verbatim`);
  }
  t.same([...blocks.keys()].filter((f) => !EXAMPLES.some((e) => f === `examples/${e.name}.ts`)), [], 'no README example without its test');
});

t.test('the quick start: the two commands, from a fresh clone', async (t) => {
  const quick = section('## Quick start');
  const first = /```sh\n([\s\S]*?)```/.exec(quick)?.[1];
  t.equal(first, 'npm ci && npm start\nnpm ci && npm test\n');
  const pkg = JSON.parse(readFileSync(join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', 'package.json'), 'utf8')) as {
    scripts: Record<string, string>; files: string[];
  };
  t.equal(pkg.scripts.start, 'node dist/cli/main.js demo', 'npm start runs the demo');
  t.match(pkg.scripts.prestart ?? '', /npm run build/, 'and builds first when it must');
  t.ok(pkg.files.includes('fixtures'), 'the package ships the recorded session');
  t.match(quick, /berth doctor/, 'and says how to point it at an engine');
});

t.test('the commands the README names exist', async (t) => {
  const names = new Set(COMMANDS.map((c) => c.name));
  const named = new Set([...README.matchAll(/`berth ([a-z]+)/g)].map((m) => m[1] ?? ''));
  for (const name of named) t.ok(names.has(name), `berth ${name}`);
});

t.test('the options each command\'s section names exist', async (t) => {
  for (const command of COMMANDS) {
    const text = section(`### berth ${command.name}`);
    if (text === '') continue;
    const help = command.help();
    const options = new Set([...text.matchAll(/`[^`]*`/g)].flatMap((m) => [...m[0].matchAll(/(?<![\w-])--([a-z][a-z-]*)/g)].map((o) => o[1] ?? '')));
    if (command.name === 'demo') t.ok(options.size >= 8, 'the demo section names its options');
    for (const option of options) t.match(help, new RegExp(`--${option}\\b`), `berth ${command.name} --${option}`);
  }
});

t.test('the error classes the README names are exported', async (t) => {
  const exported = berth as unknown as Record<string, unknown>;
  const named = new Set([...section('### Errors').matchAll(/`([A-Z]\w*Error)`/g)].map((m) => m[1] ?? ''));
  t.ok(named.size >= 12);
  for (const name of named) t.type(exported[name], 'function', name);
  t.type(exported.isNotFound, 'function', 'isNotFound');
});
