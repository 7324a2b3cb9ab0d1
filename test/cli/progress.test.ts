import t from 'tap';
import { createRenderer, type ProgressMessage, type ProgressRenderer } from '../../src/cli/progress/index.js';
import { ProgressModel } from '../../src/cli/progress/model.js';
import { bar, fit, formatBytes, formatElapsed, sanitize } from '../../src/cli/progress/text.js';
import { TtyRenderer } from '../../src/cli/progress/tty.js';
import { FakeClock } from '../helpers/clock.js';
import { FakePipe, FakeTerminal } from '../helpers/terminal.js';
import { LAYERS, classicBuild, failingBuild, podmanBuild, pullStream } from './progress-streams.js';

function tty(columns = 100, rows?: number, color = false): { term: FakeTerminal; clock: FakeClock; r: TtyRenderer } {
  const term = new FakeTerminal(columns, rows);
  const clock = new FakeClock();
  return { term, clock, r: new TtyRenderer(term, { clock, color }) };
}

/** Feeds messages `gap` ms apart on the fake clock. */
function feed(r: ProgressRenderer, clock: FakeClock, messages: readonly ProgressMessage[], gap = 10): void {
  for (const m of messages) {
    r.update(m);
    clock.advance(gap);
  }
}

t.test('text helpers', async (t) => {
  t.equal(formatBytes(0), '0B');
  t.equal(formatBytes(999), '999B');
  t.equal(formatBytes(1000), '1kB');
  t.equal(formatBytes(620_051), '620.1kB');
  t.equal(formatBytes(3_408_729), '3.409MB');
  t.equal(formatBytes(41_240_102), '41.24MB');
  t.equal(formatBytes(512_000_000), '512MB');
  t.equal(formatElapsed(400), '0.4s');
  t.equal(formatElapsed(65_000), '1m05s');
  t.equal(formatElapsed(3_725_000), '1h02m');
  t.equal(bar(0, 10, 10), '[          ]');
  t.equal(bar(5, 10, 10), '[====>     ]');
  t.equal(bar(10, 10, 10), '[==========]');
  t.equal(bar(20, 10, 4), '[====]', 'clamped above');
  t.equal(fit('abcdef', 4), 'abc…');
  t.equal(fit('abc', 4), 'abc');
  t.equal(sanitize('\x1b]0;pwned\x07title \x1b[2Jclear\x1b[31m red\x1b[0m'), 'title clear red', 'escape sequences removed');
  t.equal(sanitize('10%\r50%\r100%'), '100%', 'carriage returns keep the last rewrite');
  t.equal(sanitize('line\r\n'), 'line');
  t.equal(sanitize('a\tb\x07\x00c'), 'a    bc');
});

t.test('model: partial lines, stderr marking, steps, results, errors', async (t) => {
  const model = new ProgressModel();
  const events = classicBuild.flatMap((m) => model.feed(m));
  events.push(...model.finish());
  t.same(events.filter((e) => e.kind === 'step').map((e) => e.kind === 'step' && e.text), [
    'Step 1/3 : FROM busybox:test', 'Step 2/3 : RUN echo compiling && echo "careful" >&2 && echo done', 'Step 3/3 : CMD ["/bin/sh"]',
  ], 'a step split over two messages is one line');
  const output = events.flatMap((e) => (e.kind === 'output' ? [`${e.stderr ? 'ERR ' : ''}${e.text}`] : []));
  t.ok(output.includes('ERR careful'), 'the red-wrapped line is stderr');
  t.ok(output.includes('done'), 'the line after the colour reset is not stderr');
  t.notOk(output.includes('ERR done'));
  t.same(events.filter((e) => e.kind === 'result').map((e) => e.kind === 'result' && e.text),
    ['Successfully built 9a8b7c6d5e4f', 'Successfully tagged berth-demo:latest'], 'no extra image line when the build said it');
  t.equal(model.imageId, 'sha256:9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b');

  const failing = new ProgressModel();
  const fe = failingBuild.flatMap((m) => failing.feed(m));
  t.same(fe.at(-1), { kind: 'error', message: 'The command \'/bin/sh -c echo about to fail; exit 3\' returned a non-zero code: 3', code: 3 });
  t.same(failing.error, { message: 'The command \'/bin/sh -c echo about to fail; exit 3\' returned a non-zero code: 3', code: 3 });

  const partial = new ProgressModel();
  t.same(partial.feed({ stream: 'no newline at the end' }), [], 'held until the line ends');
  t.same(partial.finish(), [{ kind: 'output', text: 'no newline at the end', stderr: false }], 'flushed at the end');
});

t.test('tty: a pull draws one live line per layer and leaves the final state', async (t) => {
  const { term, clock, r } = tty();
  feed(r, clock, pullStream());
  r.end();
  t.same(term.screen(), [
    '3.19: Pulling from library/alpine',
    '4abcf2066143: Pull complete',
    '9f3c3e2ee6ab: Pull complete',
    'c1e3a8f0b7d2: Pull complete',
    'Digest: sha256:c5b1261d6d3e43071626931fc004f70149baeba2c8ec672bd4f27761f8e1ad6b',
    'Status: Downloaded newer image for alpine:3.19',
  ]);
  t.equal(term.cursorVisible, true, 'cursor shown again');
  t.match(term.output, /\x1b\[\?25l/, 'the cursor was hidden while drawing');
  t.match(term.output, /\x1b\[\d+A/, 'lines were redrawn in place');
});

t.test('tty: mid-pull the screen shows bars with bytes/total', async (t) => {
  const { term, clock, r } = tty();
  const stream = pullStream();
  const cut = stream.findIndex((m) => m.status === 'Downloading' && m.id === LAYERS[1]?.id);
  feed(r, clock, stream.slice(0, cut + 2), 50);
  clock.advance(200);
  t.same(term.screen(), [
    '3.19: Pulling from library/alpine',
    '4abcf2066143: Download complete',
    '9f3c3e2ee6ab: Downloading [==============>               ] 620.1kB/1.24MB',
    'c1e3a8f0b7d2: Waiting',
  ]);
  r.end();
});

t.test('tty: at most 10 redraws a second, and the last state is drawn', async (t) => {
  const { term, clock, r } = tty();
  const size = 50_000_000;
  r.update({ status: 'Pulling fs layer', progressDetail: {}, id: 'aaaaaaaaaaaa' });
  for (let i = 1; i <= 1000; i++) {
    r.update({ status: 'Downloading', progressDetail: { current: i * (size / 1000), total: size }, id: 'aaaaaaaaaaaa' });
    clock.advance(1);
  }
  t.ok(r.frames <= 11, `${r.frames} frames in one second`);
  t.ok(r.frames >= 9, 'but it keeps redrawing');
  clock.advance(100);
  t.same(term.screen(), ['aaaaaaaaaaaa: Downloading [==============================] 50MB/50MB'], 'the throttled last update is drawn');
  r.end();
  t.equal(clock.pending, 0, 'no timer left behind');
});

t.test('tty: a build prints steps as they come, output dimmed and indented', async (t) => {
  const { term, clock, r } = tty();
  feed(r, clock, classicBuild, 200);
  r.end();
  t.same(term.screen(), [
    'Step 1/3 : FROM busybox:test',
    '   ---> 5c899a2c913f',
    'Step 2/3 : RUN echo compiling && echo "careful" >&2 && echo done',
    '   ---> Running in 0d3c1ad2b1f4',
    '  compiling',
    '  careful',
    '  done',
    '  Removing intermediate container 0d3c1ad2b1f4',
    '   ---> 7e8a3b2c1d0f',
    'Step 3/3 : CMD ["/bin/sh"]',
    '   ---> Running in 4f1e2d3c4b5a',
    '  Removing intermediate container 4f1e2d3c4b5a',
    '   ---> 9a8b7c6d5e4f',
    'Successfully built 9a8b7c6d5e4f',
    'Successfully tagged berth-demo:latest',
  ]);
});

t.test('tty with colours: steps bold, output dim, stderr red, results green', async (t) => {
  const { term, clock, r } = tty(100, undefined, true);
  feed(r, clock, classicBuild, 200);
  r.end();
  const out = term.output;
  t.match(out, '\x1b[1mStep 2/3 : RUN echo compiling', 'bold step');
  t.match(out, '\x1b[2m  compiling\x1b[22m', 'dim output');
  t.match(out, '  \x1b[31mcareful\x1b[39m', 'red stderr');
  t.match(out, '\x1b[32mSuccessfully built 9a8b7c6d5e4f\x1b[39m', 'green result');
  t.equal(term.screen().length, 15, 'colours do not change the text');
});

t.test('tty: a failed build shows the error and restores the cursor', async (t) => {
  const { term, clock, r } = tty();
  const spinner = r.spinner('building');
  feed(r, clock, failingBuild, 100);
  spinner.fail('build failed');
  r.end();
  t.same(term.screen(), [
    'Step 1/2 : FROM busybox:test',
    '   ---> 5c899a2c913f',
    'Step 2/2 : RUN echo about to fail; exit 3',
    '   ---> Running in 6b5a4c3d2e1f',
    '  about to fail',
    'error: The command \'/bin/sh -c echo about to fail; exit 3\' returned a non-zero code: 3',
    '✖ build failed (0.8s)',
  ]);
  t.equal(r.error?.code, 3);
  t.equal(term.cursorVisible, true);
});

t.test('tty: a spinner shows the elapsed time and ticks at most 10 times a second', async (t) => {
  const { term, clock, r } = tty();
  const s = r.spinner('waiting for the worker to connect');
  clock.advance(2550);
  t.match(term.screen(), [/^\S waiting for the worker to connect \(2\.5s\)$/]);
  t.ok(r.frames >= 20 && r.frames <= 27, `${r.frames} frames in 2.55 s`);
  t.equal(term.cursorVisible, false, 'cursor hidden while spinning');
  s.update('waiting for the worker to connect (attempt 2)');
  clock.advance(100);
  t.match(term.screen(), [/^\S waiting for the worker to connect \(attempt 2\) \(2\.\ds\)$/]);
  s.succeed('worker connected');
  clock.advance(100);
  t.same(term.screen(), ['✔ worker connected (2.6s)']);
  const frames = r.frames;
  clock.advance(1000);
  t.equal(r.frames, frames, 'no ticking once no spinner runs');
  r.end();
  t.equal(term.cursorVisible, true);
  t.equal(clock.pending, 0);
});

t.test('tty: notes and results go above the live region, spinners stay at the bottom', async (t) => {
  const { term, clock, r } = tty();
  const s = r.spinner('starting worker w1');
  clock.advance(150);
  r.note('container 3f2a1b0c9d8e created');
  clock.advance(150);
  t.match(term.screen(), ['container 3f2a1b0c9d8e created', /^\S starting worker w1 \(0\.3s\)$/]);
  s.stop();
  r.result('w1 ready');
  r.end();
  t.same(term.screen(), ['container 3f2a1b0c9d8e created', 'w1 ready']);
});

t.test('tty: live lines fit a narrow terminal (none wraps)', async (t) => {
  const { term, clock, r } = tty(40);
  feed(r, clock, pullStream().slice(0, -2), 30);
  r.spinner('waiting for a very long label that cannot possibly fit on this line');
  clock.advance(300);
  t.equal(term.wraps, 0, 'no line wrapped');
  t.match(term.screen(), [
    '3.19: Pulling from library/alpine', '4abcf2066143: Pull complete', '9f3c3e2ee6ab: Pull complete', 'c1e3a8f0b7d2: Pull complete',
    /^\S waiting for a very long label… \(0\.\ds\)$/,
  ]);
  r.end();
});

t.test('tty: a short terminal keeps the live region on screen', async (t) => {
  const layers = Array.from({ length: 8 }, (_, i) => ({ id: `${i}`.repeat(12), size: 1000 * (i + 1) }));
  const { term, clock, r } = tty(80, 6);
  const stream = pullStream(layers, 2);
  const firstComplete = stream.findIndex((m) => m.status === 'Pull complete');
  feed(r, clock, stream.slice(0, firstComplete), 30);
  clock.advance(100);
  const live = term.screen();
  t.ok(live.length <= 6, `${live.length} lines on a 6-line screen`);
  t.match(live.at(-1), /^… 6 more$/, 'the rest is summed up');
  feed(r, clock, stream.slice(firstComplete), 30);
  r.end();
  const screen = term.screen();
  for (const l of layers) t.equal(screen.filter((line) => line === `${l.id}: Pull complete`).length, 1, `${l.id} ends complete, once`);
  t.same(screen.slice(-2), ['Digest: sha256:c5b1261d6d3e43071626931fc004f70149baeba2c8ec672bd4f27761f8e1ad6b', 'Status: Downloaded newer image for alpine:3.19']);
});

t.test('tty: engine output cannot move the cursor or clear the screen', async (t) => {
  const { term, clock, r } = tty();
  feed(r, clock, [{ stream: 'Step 1/1 : RUN curl\n' }, { stream: '\x1b[2J\x1b[H\x1b]0;owned\x07  5%\r 50%\r100%\n' }]);
  r.end();
  t.same(term.screen(), ['Step 1/1 : RUN curl', '  100%']);
});

t.test('tty: nothing is written when there was nothing to show', async (t) => {
  const { term, r } = tty();
  r.end();
  r.end();
  t.same(term.writes, []);
});

t.test('plain: one line per status change per layer, no escape sequences', async (t) => {
  const pipe = new FakePipe();
  const clock = new FakeClock();
  const r = createRenderer({ stream: pipe, mode: 'plain', clock });
  feed(r, clock, pullStream([LAYERS[0] as { id: string; size: number }]));
  r.end();
  t.same(pipe.lines(), [
    '3.19: Pulling from library/alpine',
    '4abcf2066143: Pulling fs layer',
    '4abcf2066143: Downloading (3.409MB)',
    '4abcf2066143: Verifying Checksum',
    '4abcf2066143: Download complete',
    '4abcf2066143: Extracting (3.409MB)',
    '4abcf2066143: Pull complete',
    'Digest: sha256:c5b1261d6d3e43071626931fc004f70149baeba2c8ec672bd4f27761f8e1ad6b',
    'Status: Downloaded newer image for alpine:3.19',
  ]);
  t.notMatch(pipe.writes.join(''), /\x1b/);
});

t.test('plain: builds, spinners and podman streams', async (t) => {
  const pipe = new FakePipe();
  const clock = new FakeClock();
  const r = createRenderer({ stream: pipe, mode: 'plain', clock });
  const s = r.spinner('waiting for the worker to connect');
  clock.advance(1234);
  s.succeed();
  feed(r, clock, podmanBuild);
  r.end();
  t.same(pipe.lines(), [
    'waiting for the worker to connect…',
    'waiting for the worker to connect: done (1.2s)',
    'STEP 1/2: FROM busybox:test',
    'STEP 2/2: RUN echo hi',
    'hi',
    'COMMIT berth-demo',
    '--> 3f2a1b0c9d8e',
    'Successfully tagged localhost/berth-demo:latest',
    '3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a',
    'image sha256:3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a',
  ]);
  t.notMatch(pipe.writes.join(''), /\x1b/);
});

t.test('quiet: only errors and final results', async (t) => {
  const pipe = new FakePipe();
  const clock = new FakeClock();
  const r = createRenderer({ stream: pipe, mode: 'quiet', clock });
  feed(r, clock, pullStream());
  const s = r.spinner('waiting for the worker to connect');
  r.note('a remark');
  clock.advance(2000);
  s.fail('the worker did not connect');
  feed(r, clock, classicBuild);
  feed(r, clock, failingBuild);
  r.end();
  t.same(pipe.lines(), [
    'Digest: sha256:c5b1261d6d3e43071626931fc004f70149baeba2c8ec672bd4f27761f8e1ad6b',
    'Status: Downloaded newer image for alpine:3.19',
    'the worker did not connect: failed (2.0s)',
    'Successfully built 9a8b7c6d5e4f',
    'Successfully tagged berth-demo:latest',
    'error: The command \'/bin/sh -c echo about to fail; exit 3\' returned a non-zero code: 3',
  ]);
});

t.test('after end(), updates are ignored', async (t) => {
  const { term, clock, r } = tty();
  feed(r, clock, [{ status: 'Status: Image is up to date for alpine:3.19' }]);
  r.end();
  const before = term.output;
  r.update({ stream: 'late\n' });
  r.note('late');
  r.spinner('late').succeed();
  clock.advance(1000);
  t.equal(term.output, before);
});
