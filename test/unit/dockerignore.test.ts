import t from 'tap';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DockerArgumentError, DockerIgnore, parseDockerignore } from '../../src/index.js';
import { nodeContextFs } from '../../src/engine/build/context-fs.js';
import { ContextWalker, compareNames } from '../../src/engine/build/context-walk.js';
import { shortTempDir } from '../helpers/tmp.js';

/**
 * The docker CLI's .dockerignore rules, case by case. Expected values follow
 * moby/patternmatcher and go-archive; the cases marked (CLI) are also sent
 * through the real docker CLI and a classic-builder engine by
 * test/integration/build-context.test.ts.
 */

type ParseCase = [text: string, expected: Array<[pattern: string, exception: boolean, line: number]>];

const parseCases: Array<[string, ...ParseCase]> = [
  ['empty file', '', []],
  ['a comment line', '# comment\nfoo', [['foo', false, 2]]],
  ['# only counts as the first character (CLI)', '  # not a comment', [['# not a comment', false, 1]]],
  ['a lone # is a comment', '#\n #', [['#', false, 2]]],
  ['BOM stripped from the first line (CLI)', '\uFEFF# comment after a BOM\nfoo', [['foo', false, 2]]],
  ['BOM before a pattern', '\uFEFFfoo', [['foo', false, 1]]],
  ['BOM kept on later lines (Go does not trim it)', 'a\n\uFEFFb', [['a', false, 1], ['\uFEFFb', false, 2]]],
  ['CRLF line ends (CLI)', 'foo\r\nbar\r\n', [['foo', false, 1], ['bar', false, 2]]],
  ['surrounding whitespace, blank lines', '  foo  \n\t\n\n bar', [['foo', false, 1], ['bar', false, 4]]],
  ['Go whitespace: NBSP and NEL are trimmed', '\u00a0foo\u0085', [['foo', false, 1]]],
  ['zero-width space is not whitespace', '\u200bfoo', [['\u200bfoo', false, 1]]],
  ['exception', '!foo', [['foo', true, 1]]],
  ['whitespace after ! is trimmed', '!  foo', [['foo', true, 1]]],
  ['exception of a comment-like name', '!#x', [['#x', true, 1]]],
  ['./ removed (CLI)', './foo', [['foo', false, 1]]],
  ['leading / removed (CLI)', '/foo', [['foo', false, 1]]],
  ['double leading slash', '//foo', [['foo', false, 1]]],
  ['trailing / removed (CLI)', 'foo/', [['foo', false, 1]]],
  ['a/../b is b', 'a/../b', [['b', false, 1]]],
  ['duplicate slashes and dots collapse', 'a//b/./c', [['a/b/c', false, 1]]],
  ['.. escaping the root stays', '../x', [['../x', false, 1]]],
  ['/.. is the root', '/..', [['/', false, 1]]],
  ['a/.. is .', 'a/..', [['.', false, 1]]],
  ['exception cleaned too', '!/a/./b/', [['a/b', true, 1]]],
  ['the list is trimmed again after cleaning', 'foo /', [['foo', false, 1]]],
  ['internal spaces kept', 'a b', [['a b', false, 1]]],
];

t.test('parseDockerignore: reading lines', async (t) => {
  for (const [name, text, expected] of parseCases) {
    const got = parseDockerignore(text).map((p) => [p.pattern, p.exception, p.line]);
    t.same(got, expected, name);
  }
});

t.test('parseDockerignore: errors name the line and the pattern', async (t) => {
  const cases: Array<[string, string, RegExp]> = [
    ['bare !', '!', /^\.dockerignore line 1: illegal exclusion pattern: "!"$/],
    ['! and spaces, line 2', 'ok\n  !  ', /^\.dockerignore line 2: illegal exclusion pattern: "!"$/],
    ['unclosed [', 'a\n[b', /^\.dockerignore line 2: syntax error in pattern .*: "\[b"$/],
    ['trailing backslash', 'x\\', /line 1: syntax error in pattern \(trailing backslash\): "x\\\\"$/],
    ['empty class', '[]', /syntax error in pattern/],
    ['range without an end', '[a-]', /syntax error in pattern/],
    ['negated empty class', '[^]', /syntax error in pattern/],
    ['class starting with -', '[-a]', /syntax error in pattern/],
    ['reversed range (valid glob, invalid RE2)', '[z-a]', /line 1: the docker CLI cannot use it: invalid character class range: "\[z-a\]"/],
    ['unknown POSIX class', '[[:nope:]]', /invalid character class range/],
    ['escape RE2 rejects', '\\e', /invalid escape sequence/],
    ['exception with a bad glob', '!x[', /^\.dockerignore line 1: syntax error in pattern .*: "!x\["$/],
    ['a line the CLI cannot scan (64 KiB)', `a\n${'x'.repeat(65536)}`, /line 2 is longer than 65535 bytes/],
  ];
  for (const [name, text, message] of cases) {
    t.throws(() => parseDockerignore(text), DockerArgumentError, name);
    t.throws(() => parseDockerignore(text), { message }, name);
  }
  t.doesNotThrow(() => parseDockerignore('x'.repeat(65535)), 'a line of 65535 bytes is fine');
  t.throws(() => DockerIgnore.parse('[', 'the ignore option'), { message: /^the ignore option line 1:/ }, 'the source is named');
});

type MatchCase = [patterns: string[], path: string, excluded: boolean];

const matchCases: Array<[string, ...MatchCase]> = [
  ['exact name', ['foo'], 'foo', true],
  ['a parent directory matches (CLI)', ['foo'], 'foo/bar/baz', true],
  ['no partial names', ['foo'], 'foobar', false],
  ['patterns are anchored at the root (CLI)', ['foo'], 'x/foo', false],
  ['a deeper pattern does not match its parent', ['foo/bar'], 'foo', false],
  ['* matches a top-level name', ['*'], 'anything', true],
  ['* excludes subtrees through the parent', ['*'], 'a/b', true],
  ['*.md at the top level (CLI)', ['*.md'], 'README.md', true],
  ['*.md does not descend (CLI)', ['*.md'], 'docs/README.md', false],
  ['*/*.md one level down', ['*/*.md'], 'docs/a.md', true],
  ['*/*.md not at the top', ['*/*.md'], 'a.md', false],
  ['? is one character', ['?'], 'a', true],
  ['? is not two', ['?'], 'ab', false],
  ['? never matches /', ['a?c'], 'a/c', false],
  ['? is one code point', ['?'], '\u{1F600}', true],
  ['class', ['[abc]'], 'b', true],
  ['class miss', ['[abc]'], 'd', false],
  ['range', ['[a-c]x'], 'bx', true],
  ['negated class [^a]', ['[^a]'], 'b', true],
  ['negated class excludes', ['[^a]'], 'a', false],
  ['[!a] is not negation in Go: it holds ! and a (CLI)', ['[!a]*'], 'abc', true],
  ['[!a] matches !', ['[!a]'], '!', true],
  ['[!a] does not match b', ['[!a]'], 'b', false],
  ['escaped ] in a class', ['[\\]]'], ']', true],
  ['escaped *', ['\\*'], '*', true],
  ['escaped * is literal', ['\\*'], 'a', false],
  ['escaped ?', ['\\?x'], '?x', true],
  ['. is literal', ['a.b'], 'axb', false],
  ['. matches itself', ['a.b'], 'a.b', true],
  ['+ ( ) are literal', ['a+(b)'], 'a+(b)', true],
  ['| is literal', ['a|b'], 'a', false],
  ['{a,b} is literal, no brace expansion', ['{a,b}'], 'a', false],
  ['$ is literal', ['$x*'], '$xy', true],
  ['dot stays literal next to a wildcard', ['a.*'], 'abtxt', false],
  ['lone ** matches everything', ['**'], 'a/b/c', true],
  ['**/foo matches foo at the root (CLI)', ['**/foo'], 'foo', true],
  ['**/foo matches foo anywhere (CLI)', ['**/foo'], 'a/b/foo', true],
  ['**/foo needs a whole name', ['**/foo'], 'a/bfoo', false],
  ['**/foo excludes under foo', ['**/foo'], 'x/foo/y', true],
  ['**/*.go at the top', ['**/*.go'], 'x.go', true],
  ['**/*.go deep', ['**/*.go'], 'a/b/x.go', true],
  ['a/**/b with zero segments', ['a/**/b'], 'a/b', true],
  ['a/**/b with two segments', ['a/**/b'], 'a/x/y/b', true],
  ['a/**/b needs the separator', ['a/**/b'], 'a/xb', false],
  ['foo/** is not foo itself (CLI)', ['foo/**'], 'foo', false],
  ['foo/** is what is under foo (CLI)', ['foo/**'], 'foo/x/y', true],
  ['foo** is a string prefix', ['foo**'], 'foobar', true],
  ['**.txt is a string suffix', ['**.txt'], 'x/y.txt', true],
  ['**.txt needs the dot', ['**.txt'], 'txt', false],
  ['**foo matches afoo: suffix, not segment (CLI)', ['**foo'], 'afoo', true],
  ['a**b: ** in the middle of a name', ['a**b'], 'ax/b', true],
  ['a**b does not span within a name', ['a**b'], 'axb', false],
  ['exception after a wildcard', ['*.md', '!README.md'], 'README.md', false],
  ['exception leaves the rest excluded', ['*.md', '!README.md'], 'CHANGES.md', true],
  ['the last match wins: excluded again (CLI)', ['*.md', '!README*.md', 'README-secret.md'], 'README-secret.md', true],
  ['the last match wins: included (CLI)', ['*.md', 'README-secret.md', '!README*.md'], 'README-secret.md', false],
  ['exception for a file in an excluded dir', ['dir', '!dir/keep'], 'dir/keep', false],
  ['its siblings stay excluded', ['dir', '!dir/keep'], 'dir/other', true],
  ['allow-list through a parent', ['*', '!src'], 'src/x.ts', false],
  ['allow-list leaves others out', ['*', '!src'], 'lib/x.ts', true],
  ['parent match of an exception: MatchesOrParentMatches', ['a/b', '!a'], 'a/b', false],
  ['. never matches', ['.'], 'x', false],
  ['.. escaping the root never matches', ['../x'], 'x', false],
  ['/ never matches', ['/'], 'x', false],
  ['no wildcard: ^ is a character', ['a^b'], 'a^b', true],
  ['with a wildcard: ^ is an anchor (CLI)', ['a^b*'], 'a^bc', false],
  ['POSIX class (CLI)', ['[[:digit:]]x'], '5x', true],
  ['POSIX class miss', ['[[:digit:]]x'], 'ax', false],
  ['* inside brackets ends the class early', ['[*]'], '*', false],
  ['… and then matches "]"', ['[*]'], ']', true],
  ['\\d is a digit (RE2)', ['\\d'], '5', true],
  ['unicode names', ['\u00fc*'], '\u00fcber', true],
  ['trailing slash in the pattern', ['foo/'], 'foo/x', true],
  ['./ in the pattern', ['./foo'], 'foo', true],
  ['a path with ./ is cleaned', ['foo'], './foo', true],
  ['the root is never excluded', ['*'], '.', false],
  ['an empty path is the root', ['**'], '', false],
];

t.test('DockerIgnore.matches: the CLI matcher', async (t) => {
  for (const [name, patterns, path, excluded] of matchCases) {
    t.equal(DockerIgnore.from(patterns).matches(path), excluded, `${name}: ${JSON.stringify(patterns)} ${JSON.stringify(path)}`);
  }
});

/** Creates files (and directories for paths ending in /) under a fresh directory. */
function tree(t: Parameters<typeof shortTempDir>[0], paths: readonly string[]): string {
  const root = shortTempDir(t, 'bdi');
  for (const p of paths) {
    const full = join(root, p);
    if (p.endsWith('/')) mkdirSync(full, { recursive: true });
    else {
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, p);
    }
  }
  return root;
}

function walk(root: string, ignore: DockerIgnore, alwaysInclude: string[] = []): string[] {
  const walker = new ContextWalker(root, { fs: nodeContextFs, ignore, alwaysInclude });
  const out: string[] = [];
  for (let e = walker.next(); e !== undefined; e = walker.next()) out.push(e.kind === 'directory' ? `${e.path}/` : e.path);
  return out;
}

type WalkCase = [files: string[], patterns: string[], written: string[]];

const walkCases: Array<[string, ...WalkCase]> = [
  ['no patterns: depth first, sorted', ['b', 'a/y', 'a/x', 'c/'], [], ['a/', 'a/x', 'a/y', 'b', 'c/']],
  ['dir + !dir/keep.txt rescues the file, not the dir entry (CLI)', ['dir/keep.txt', 'dir/other.txt'], ['dir', '!dir/keep.txt'], ['dir/keep.txt']],
  ['dir + !**/keep.txt does not rescue dir/keep.txt (CLI)', ['dir/keep.txt', 'keep.txt'], ['dir', '!**/keep.txt'], ['keep.txt']],
  ['allow-list with a directory exception', ['src/a.ts', 'lib/b.ts', 'x'], ['*', '!src'], ['src/', 'src/a.ts']],
  ['allow-list with a file exception (CLI)', ['src/a.ts', 'src/b.ts', 'x'], ['*', '!src/a.ts'], ['src/a.ts']],
  ['node_modules only at the root', ['node_modules/x/y', 'a/node_modules/z'], ['node_modules'], ['a/', 'a/node_modules/', 'a/node_modules/z']],
  ['**/node_modules everywhere (CLI)', ['node_modules/x/y', 'a/node_modules/z', 'a/k'], ['**/node_modules'], ['a/', 'a/k']],
  ['a/b + !a: the walk excludes a/b although matches() does not (CLI)', ['a/b', 'a/c'], ['a/b', '!a'], ['a/', 'a/c']],
  ['dir/* + !dir/a', ['dir/a', 'dir/b'], ['dir/*', '!dir/a'], ['dir/', 'dir/a']],
  ['a deep rescue enters each excluded level', ['a/b/c/keep', 'a/b/c/x', 'a/b/y'], ['a', '!a/b/c/keep'], ['a/b/c/keep']],
  ['an excepted directory is written with its content', ['a/b/c', 'a/x'], ['a', '!a/b'], ['a/b/', 'a/b/c']],
  ['*.log does not reach into directories', ['x.log', 'important/x.log'], ['*.log'], ['important/', 'important/x.log']],
  ['**/*.log with a directory exception', ['x.log', 'important/x.log', 'other/x.log'], ['**/*.log', '!important/*.log'], ['important/', 'important/x.log', 'other/']],
  ['a prefix sorts first: a/ then a/b then a-c', ['a-c', 'a/b'], [], ['a/', 'a/b', 'a-c']],
  ['names sort by code point: U+FF5E before U+1F600', ['\u{1F600}', '\uff5e'], [], ['\uff5e', '\u{1F600}']],
];

t.test('directory walk: the CLI packer rules', async (t) => {
  for (const [name, files, patterns, written] of walkCases) {
    const root = tree(t, files);
    t.same(walk(root, DockerIgnore.from(patterns)), written, name);
  }
});

t.test('directory walk: pruned directories are never listed', async (t) => {
  const root = tree(t, ['node_modules/a/b/c', 'node_modules/d', 'src/x', 'cache/y']);
  const listed: string[] = [];
  const fs = { ...nodeContextFs, readdir: (p: string) => { listed.push(p.slice(root.length) || '/'); return nodeContextFs.readdir(p); } };
  const walker = new ContextWalker(root, { fs, ignore: DockerIgnore.from(['node_modules', 'cache', '!src']) });
  while (walker.next() !== undefined);
  t.same(listed, ['/', '/src'], 'only the root and src were read');
});

t.test('directory walk: symbolic links to directories are not followed', async (t) => {
  const root = tree(t, ['real/file']);
  symlinkSync('real', join(root, 'link'));
  t.same(walk(root, DockerIgnore.empty), ['link', 'real/', 'real/file']);
});

t.test('directory walk: always-included paths (the build files)', async (t) => {
  const root = tree(t, ['Dockerfile', '.dockerignore', 'x', 'docker/Dockerfile.prod', 'docker/other']);
  t.same(walk(root, DockerIgnore.from(['*', '.*']), ['.dockerignore', 'Dockerfile']), ['.dockerignore', 'Dockerfile'], 'root build files survive *');
  t.same(walk(root, DockerIgnore.from(['docker']), ['docker/Dockerfile.prod']), ['.dockerignore', 'Dockerfile', 'docker/Dockerfile.prod', 'x'],
    'a Dockerfile inside an excluded directory is sent, the directory entry and its siblings are not');
});

t.test('DockerIgnore.evaluate: parent results and the exception-prefix rule', async (t) => {
  const rules = DockerIgnore.from(['a/b', '!a']);
  const a = rules.evaluate('a', true);
  t.same(a, { excluded: false, descend: true, state: [false, false] }, 'a: the exception was skipped, not matched');
  t.equal(rules.evaluate('a/b', false, a.state).excluded, true, 'a/b excluded in the walk');
  t.equal(rules.matches('a/b'), false, 'but not by MatchesOrParentMatches');
  const dir = DockerIgnore.from(['dir', '!dir/keep']);
  t.same(dir.evaluate('dir', true), { excluded: true, descend: true, state: [true, false] });
  t.equal(dir.hasExceptionUnder('dir'), true);
  t.equal(dir.hasExceptionUnder('di'), false, 'the prefix is a whole directory');
  t.equal(DockerIgnore.from(['dir', '!dir']).hasExceptionUnder('dir'), true, 'an exception naming the directory itself counts');
  t.equal(DockerIgnore.from(['dir', '!d*/keep']).hasExceptionUnder('dir'), false, 'the exception text is compared, not matched');
  t.same(DockerIgnore.from(['dir']).evaluate('dir', true).descend, false, 'no exceptions: pruned');
});

t.test('DockerIgnore.withBuildFiles: the CLI appends exceptions only when needed', async (t) => {
  const shown = (d: DockerIgnore): string[] => d.patterns.map((p) => `${p.exception ? '!' : ''}${p.pattern}`);
  const none = DockerIgnore.from(['*.log']);
  t.equal(none.withBuildFiles('Dockerfile'), none, 'nothing excluded: unchanged');
  t.same(shown(DockerIgnore.from(['*']).withBuildFiles('Dockerfile')), ['*', '!.dockerignore', '!Dockerfile']);
  t.same(shown(DockerIgnore.from(['.dockerignore']).withBuildFiles('Dockerfile')), ['.dockerignore', '!.dockerignore']);
  t.same(shown(DockerIgnore.from(['docker']).withBuildFiles('docker/Dockerfile')), ['docker', '!docker/Dockerfile']);
  t.same(shown(DockerIgnore.from(['*']).withBuildFiles()), ['*', '!.dockerignore'], 'no Dockerfile in the context');
  t.equal(DockerIgnore.from(['*']).withBuildFiles('Dockerfile').patterns.at(-1)?.line, 0, 'added patterns have line 0');
  // The CLI's check only looks at the parent as deep as the pattern: `**/b` is not seen to exclude x/y/b/Dockerfile.
  t.same(shown(DockerIgnore.from(['**/b']).withBuildFiles('x/y/b/Dockerfile')), ['**/b'], 'the CLI decides with its older matcher');
});

t.test('compareNames is UTF-8 byte order', async (t) => {
  const names = ['b', 'a', '\u{1F600}', '\uff5e', 'a-c', 'a/b', '\u00e9', 'B'];
  const sorted = [...names].sort(compareNames);
  const byBytes = [...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
  t.same(sorted, byBytes);
});

t.test('patterns that make a backtracking matcher run for hours are matched in linear time, as RE2 does', async (t) => {
  // Each of these takes JavaScript's RegExp from seconds (the first two at these sizes) to far longer than
  // the test's timeout; the linear matcher answers at once, so a regression fails by hanging.
  const cases: Array<[pattern: string, path: string, excluded: boolean]> = [
    ['*a*a*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(200), false],
    ['*a*a*a*a*a*a*a*a*a*a*a*a*b', `${'a'.repeat(200)}b`, true],
    ['**/**/**/**/**/**/**/**/**/**/a', `${'x/'.repeat(200)}b`, false],
    ['**/**/**/**/**/**/**/**/**/**/a', `${'x/'.repeat(200)}a`, true],
    ['[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*1', 'abcdefghijklmnopqrstuvwxyz'.repeat(8), false],
    ['*\\b*\\b*\\b*\\b*\\b*\\b*\\b*\\b*x', `${'a b '.repeat(60)}y`, false],
  ];
  for (const [pattern, path, excluded] of cases) {
    t.equal(DockerIgnore.from([pattern]).matches(path), excluded, `${pattern} on a ${path.length}-character path`);
  }
});
