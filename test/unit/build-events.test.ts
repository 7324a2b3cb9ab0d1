import t from 'tap';
import { BuildEventDecoder, DockerProtocolError, DockerStreamError, podmanExitCode, type BuildEvent } from '../../src/index.js';
import { loadFixture } from '../../src/testing/index.js';
import { fixturePath } from '../helpers/replay.js';
import { Prng, chunkings, decodeAll, fuzzSeed, randomChunks } from '../helpers/streams.js';

/** The build progress decoder: every engine's stream shapes, any chunking, ids, errors and the bounded log. */

const decoder = (options: { quiet?: boolean; logLines?: number } = {}): BuildEventDecoder => new BuildEventDecoder({ logLines: options.logLines ?? 100, quiet: options.quiet });
const stream = (...messages: ReadonlyArray<Record<string, unknown>>): Buffer => Buffer.from(messages.map((m) => `${JSON.stringify(m)}\r\n`).join(''));

/** The bytes of a recorded build response. */
function recorded(engine: string, scenario: string): Buffer {
  const fixture = loadFixture(fixturePath(engine, scenario));
  const build = fixture.exchanges.find((e) => e.request.path.endsWith('/build'));
  const response = build?.response;
  if (response?.chunks !== undefined) return Buffer.concat(response.chunks.map((c) => Buffer.from(c, 'base64')));
  // a response that came in one piece is kept as its JSON
  if (response?.body !== undefined) return Buffer.from(`${JSON.stringify(response.body)}\r\n`);
  throw new Error(`${scenario} on ${engine}: no build response`);
}

function decode(bytes: Buffer, d = decoder(), chunks: readonly Buffer[] = [bytes]): { events: BuildEvent[]; error: unknown; d: BuildEventDecoder } {
  const r = decodeAll(d, chunks);
  return { events: r.items, error: r.error, d };
}

t.test('dockerd: steps, RUN output split across messages, stderr colours, aux.ID', async (t) => {
  const { events, error, d } = decode(recorded('dockerd-20.10', 'build-steps'));
  t.equal(error, undefined);
  t.same(events.filter((e) => e.type === 'step').map((e) => e.type === 'step' && [e.step, e.total, e.instruction]), [
    [1, 5, 'FROM busybox:test'], [2, 5, 'COPY hello.txt /hello.txt'], [3, 5, 'RUN cat /hello.txt && echo to-stderr >&2'],
    [4, 5, 'LABEL berth.stage=steps'], [5, 5, 'LABEL berth.test=build'],
  ], '"Step 1/5 : FROM" and its newline come in two messages; one step event');
  const outputs = events.flatMap((e) => (e.type === 'output' ? [e.line] : []));
  t.ok(outputs.includes('to-stderr'), 'the \\e[91m…\\e[0m wrapping is gone');
  t.notOk(outputs.includes(''), 'the colour reset left on its own is no line');
  t.ok(outputs.includes('hello from the context'));
  const image = events.find((e) => e.type === 'image');
  t.match(image, { type: 'image', id: /^sha256:[0-9a-f]{64}$/ });
  t.equal(d.finalId(), image?.type === 'image' ? image.id : undefined);
});

t.test('podman: STEP n/m:, COMMIT and --> lines, the id line, aux.ID', async (t) => {
  const { events, error, d } = decode(recorded('podman-4.3', 'build-steps'));
  t.equal(error, undefined);
  const steps = events.flatMap((e) => (e.type === 'step' ? [e] : []));
  t.same(steps.map((s) => s.line.slice(0, 10)), ['STEP 1/5: ', 'STEP 2/5: ', 'STEP 3/5: ', 'STEP 4/5: ', 'STEP 5/5: ']);
  const outputs = events.flatMap((e) => (e.type === 'output' ? [e.line] : []));
  t.ok(outputs.some((l) => l.startsWith('COMMIT ')), 'COMMIT is an output line');
  t.ok(outputs.some((l) => /^--> [0-9a-f]+$/.test(l)));
  t.match(d.finalId(), /^sha256:[0-9a-f]{64}$/, 'aux.ID wins over the Successfully built short id');
});

t.test('every chunking of every recorded build decodes to the same events', async (t) => {
  const seed = fuzzSeed();
  const rand = new Prng(seed);
  for (const engine of ['dockerd-20.10', 'dockerd-28.5', 'podman-4.3']) {
    for (const scenario of ['build-steps', 'build-run-fails', 'build-args', 'build-quiet']) {
      const bytes = recorded(engine, scenario);
      const quiet = scenario === 'build-quiet';
      const whole = decode(bytes, decoder({ quiet }));
      const want = { events: JSON.stringify(whole.events), error: String(whole.error), id: whole.d.id, log: whole.d.lines() };
      const ways = [...chunkings(bytes), { name: `random (seed ${seed})`, chunks: randomChunks(bytes, rand, 17) }];
      for (const { name, chunks } of ways) {
        const got = decode(bytes, decoder({ quiet }), chunks);
        t.same({ events: JSON.stringify(got.events), error: String(got.error), id: got.d.id, log: got.d.lines() }, want, `${scenario} on ${engine}, ${name}`);
      }
    }
  }
});

t.test('a stream with no aux.ID: the Successfully built short id', async (t) => {
  const { error, d } = decode(stream(
    { stream: 'Step 1/1 : FROM busybox:test\n' }, { stream: ' ---> 52405e03b99b\n' }, { stream: 'Successfully built 52405e03b99b\n' },
  ));
  t.equal(error, undefined);
  t.equal(d.finalId(), '52405e03b99b');
});

t.test('a quiet build\'s id line, with or without sha256:; only in quiet mode', async (t) => {
  const hex = 'f07c37d7bb2a68a6328cb60fead573ce6f54f29a01f181598bf06210e24d4635';
  t.equal(decode(stream({ stream: `sha256:${hex}\n` }), decoder({ quiet: true })).d.finalId(), `sha256:${hex}`, 'dockerd');
  t.equal(decode(stream({ stream: `${hex}\n` }), decoder({ quiet: true })).d.finalId(), `sha256:${hex}`, 'podman');
  const loud = decode(stream({ stream: 'Step 1/2 : RUN sha256sum x\n' }, { stream: `${hex}\n` }));
  t.throws(() => loud.d.finalId(), DockerProtocolError, 'a RUN printing a hash is output, not the image');
});

t.test('a stream that ends without saying what it built is not success', async (t) => {
  const { error, d } = decode(stream({ stream: 'Step 1/1 : FROM busybox:test\n' }, { stream: ' ---> 52405e03b99b\n' }));
  t.equal(error, undefined, 'the stream itself was fine');
  t.throws(() => d.finalId(), { name: 'DockerProtocolError', message: /did not report the image it built.*last output: Step 1\/1 : FROM busybox:test \| {2}---> 52405e03b99b/ });
});

t.test('errorDetail mid-stream: the events before it, then a DockerStreamError with the code and the log tail', async (t) => {
  const { events, error } = decode(stream(
    { stream: 'Step 1/2 : FROM busybox:test' }, { stream: '\n' }, { stream: 'partial line without newline' },
    { errorDetail: { code: 3, message: 'The command returned a non-zero code: 3' }, error: 'The command returned a non-zero code: 3' },
    { stream: 'never seen\n' },
  ));
  t.same(events.map((e) => e.type), ['step'], 'what came before');
  t.type(error, DockerStreamError);
  const err = error as DockerStreamError;
  t.equal(err.errorCode, 3);
  t.same(err.transcript, ['Step 1/2 : FROM busybox:test', 'partial line without newline'], 'the unterminated line is in the transcript');
  const legacy = decode(stream({ error: 'only the legacy field' })).error as DockerStreamError;
  t.equal(legacy.engineMessage, 'only the legacy field');
  t.equal(legacy.errorCode, undefined);
});

t.test('podman names a RUN\'s exit status only in its message', async (t) => {
  t.equal(podmanExitCode('building at STEP "RUN sh -c "exit 7"": while running runtime: exit status 7\n'), 7);
  t.equal(podmanExitCode('no FROM statement found'), undefined);
  const err = decode(stream({ errorDetail: { message: 'building at STEP "RUN false": while running runtime: exit status 1\n' } })).error as DockerStreamError;
  t.equal(err.errorCode, 1);
  const explicit = decode(stream({ errorDetail: { code: 2, message: 'x: while running runtime: exit status 9' } })).error as DockerStreamError;
  t.equal(explicit.errorCode, 2, 'a code the engine sent wins');
});

t.test('lines: several per message, none, CRLF, an unterminated last one, steps without a total', async (t) => {
  const { events } = decode(stream(
    { stream: 'a\nb\nc' }, { stream: 'd\r\n' }, { stream: '' }, { stream: 'STEP 1: FROM busybox:test\n' }, { stream: 'tail' },
  ));
  t.same(events, [
    { type: 'output', line: 'a' }, { type: 'output', line: 'b' }, { type: 'output', line: 'cd' },
    { type: 'step', step: 1, total: undefined, instruction: 'FROM busybox:test', line: 'STEP 1: FROM busybox:test' },
    { type: 'output', line: 'tail' },
  ]);
});

t.test('pull progress and other aux: status and aux events', async (t) => {
  const { events, d } = decode(stream(
    { status: 'Pulling from library/busybox', id: 'latest' },
    { status: 'Downloading', id: 'abc', progressDetail: { current: 10, total: 100 }, progress: '[=>   ]' },
    { id: 'moby.buildkit.trace', aux: 'AAEC' },
    { aux: { ID: 'sha256:1111111111111111111111111111111111111111111111111111111111111111' } },
  ));
  t.same(events.map((e) => [e.type, e.type === 'status' ? e.line : undefined]), [
    ['status', 'latest: Pulling from library/busybox'], ['status', undefined], ['aux', undefined], ['image', undefined],
  ]);
  t.same(d.lines(), ['latest: Pulling from library/busybox'], 'ticks stay out of the log');
});

t.test('the log keeps the last N lines, whatever the length of the stream', async (t) => {
  const d = decoder({ logLines: 5 });
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 200_000; i++) {
    d.push(Buffer.from(`{"stream":"line ${i}\\n"}\r\n`));
    while (d.read() !== undefined) { /* drained */ }
  }
  t.same(d.lines(), ['line 199995', 'line 199996', 'line 199997', 'line 199998', 'line 199999']);
  t.ok(process.memoryUsage().heapUsed - before < 32 << 20, 'no growth with the stream');
  t.same(decoder({ logLines: 0 }).lines(), [], 'logLines 0 keeps nothing');
});

t.test('a malformed line is a protocol error', async (t) => {
  t.type(decode(Buffer.from('{"stream":"ok\\n"}\nnot json\n')).error, DockerProtocolError);
  t.type(decode(stream({ stream: 42 })).error, DockerProtocolError, 'a stream field that is not a string');
});
