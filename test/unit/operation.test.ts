import t from 'tap';
import {
  DockerAbortError, DockerArgumentError, DockerStreamError, LazyStream, ProgressOperation,
  type ProgressMessage, type ProgressSummary,
} from '../../src/index.js';
import { settle } from '../helpers/streams.js';

/** LazyStream and ProgressOperation against in-memory sources: when the request is sent, how it ends. */

/** An async iterator over fixed items that records whether it was returned early. */
function source<T>(items: readonly T[], fail?: Error): AsyncIterator<T> & { returned: boolean } {
  let i = 0;
  const it = {
    returned: false,
    next: async (): Promise<IteratorResult<T>> => {
      if (i < items.length) return { value: items[i++] as T, done: false };
      if (fail) throw fail;
      return { value: undefined, done: true };
    },
    return: async (): Promise<IteratorResult<T>> => {
      it.returned = true;
      return { value: undefined, done: true };
    },
  };
  return it;
}

t.test('a LazyStream sends nothing until the first next()', async (t) => {
  let opened = 0;
  const stream = new LazyStream(async () => { opened++; return source([1, 2]); });
  await settle();
  t.equal(opened, 0, 'creating it sends nothing');
  t.equal(stream.started, false);
  const got: number[] = [];
  for await (const n of stream) got.push(n);
  t.same(got, [1, 2]);
  t.equal(opened, 1, 'opened once');
  t.same(await stream.next(), { value: undefined, done: true }, 'done stays done');
});

t.test('break before the request answers cancels it; after, it releases the source', async (t) => {
  let seen: AbortSignal | undefined;
  let answer: (it: AsyncIterator<number>) => void = () => undefined;
  const late = source([1]);
  const stream = new LazyStream<number>((signal) => {
    seen = signal;
    return new Promise((resolve) => { answer = resolve; });
  });
  const pending = stream.next();
  await settle();
  const returned = stream.return();
  t.equal(seen?.aborted, true, 'the request\'s signal aborts when the consumer gives up');
  answer(late); // the answer arrived anyway
  await returned;
  t.same(await pending, { value: undefined, done: true }, 'the pending next() ends quietly');
  t.equal(late.returned, true, 'a stream that arrived after return() is released');

  const open = source([1, 2, 3]);
  const s2 = new LazyStream(async () => open);
  for await (const n of s2) if (n === 1) break;
  t.equal(open.returned, true, 'break releases the source');
});

t.test('a LazyStream reports the opener\'s error and the caller\'s abort', async (t) => {
  const failing = new LazyStream(async () => { throw new DockerStreamError('boom'); });
  await t.rejects(failing.next(), DockerStreamError);
  t.same(await failing.next(), { value: undefined, done: true }, 'then it is done');

  const controller = new AbortController();
  controller.abort(new Error('not today'));
  let opened = false;
  const aborted = new LazyStream(async () => { opened = true; return source([1]); }, controller.signal);
  const err = await aborted.next().catch((e: unknown) => e);
  t.type(err, DockerAbortError, 'an aborted signal fails the first next()');
  t.equal(((err as DockerAbortError).reason as Error).message, 'not today');
  t.equal(opened, false, 'without sending anything');
});

t.test('a LazyStream hands out items in the order of the next() calls, before and after it opened', async (t) => {
  let answer: (it: AsyncIterator<number>) => void = () => undefined;
  const stream = new LazyStream<number>(() => new Promise((resolve) => { answer = resolve; }));
  const early = [stream.next(), stream.next()];
  answer(source([1, 2, 3, 4, 5]));
  // a call made after the source arrived but before the early calls resumed queues behind them
  await Promise.resolve();
  const later = [stream.next(), stream.next()];
  t.same((await Promise.all([...early, ...later])).map((r) => r.value), [1, 2, 3, 4]);
  t.same(await stream.next(), { value: 5, done: false });
  t.same(await stream.next(), { value: undefined, done: true });
});

t.test('a LazyStream\'s end and its source\'s failure are final, whatever the source does next', async (t) => {
  let calls = 0;
  // a source that keeps answering after its end, then throws synchronously
  const unruly: AsyncIterator<number, string> = {
    next: () => {
      calls++;
      if (calls === 1) return Promise.resolve({ value: 1, done: false });
      if (calls === 2) return Promise.resolve({ value: 'the end', done: true });
      if (calls === 3) return Promise.resolve({ value: 3, done: false });
      throw new Error('sync failure');
    },
  };
  const ended = new LazyStream<number>(async () => unruly);
  t.same(await ended.next(), { value: 1, done: false });
  t.same(await ended.next(), { value: undefined, done: true }, 'the end carries no value of the source\'s');
  t.same(await ended.next(), { value: undefined, done: true }, 'and stays');
  t.equal(calls, 2, 'the source is not asked again');

  calls = 3;
  const failing = new LazyStream<number>(async () => unruly);
  await t.rejects(failing.next(), { message: 'sync failure' }, 'a synchronous throw of the first step rejects');
  t.same(await failing.next(), { value: undefined, done: true });

  let steps = 0;
  const failsLater = new LazyStream<number>(async () => ({
    next: () => {
      steps++;
      if (steps === 1) return Promise.resolve({ value: 1, done: false });
      throw new DockerStreamError('lost');
    },
  }));
  t.same(await failsLater.next(), { value: 1, done: false });
  await t.rejects(failsLater.next(), DockerStreamError, 'a synchronous throw of a later step rejects');
  t.same(await failsLater.next(), { value: undefined, done: true }, 'done after the failure');
  t.equal(steps, 2);
});

function summary(): ProgressSummary<{ count: number; last: string }> & { count: number } {
  let last = '';
  const s = {
    count: 0,
    add(m: ProgressMessage) { s.count++; last = m.status ?? last; },
    result: () => ({ count: s.count, last }),
  };
  return s;
}

const messages: ProgressMessage[] = [{ status: 'one' }, { status: 'two' }, { status: 'three' }];

t.test('a ProgressOperation is its messages and its result', async (t) => {
  let opened = 0;
  const progress: string[] = [];
  const op = new ProgressOperation({
    open: async () => { opened++; return source(messages); }, summary: summary(), onProgress: (m) => progress.push(m.status ?? ''),
  });
  await settle();
  t.equal(opened, 0, 'nothing is sent before it is iterated or awaited');
  const seen: string[] = [];
  for await (const m of op) seen.push(m.status ?? '');
  t.same(seen, ['one', 'two', 'three']);
  t.same(progress, seen, 'onProgress sees the same messages');
  t.same(await op, { count: 3, last: 'three' }, 'awaited after the loop: the result');
  t.same(await op.done(), { count: 3, last: 'three' });
  t.same(await op.finally(() => undefined), { count: 3, last: 'three' }, 'finally, as on a promise');
  t.throws(() => op[Symbol.asyncIterator](), DockerArgumentError, 'the messages can be read once');

  const awaited = new ProgressOperation({ open: async () => source(messages), summary: summary() });
  t.same(await awaited, { count: 3, last: 'three' }, 'awaited alone, it reads the stream itself');
});

t.test('a ProgressOperation fails with the stream, with onProgress, with the summary, and on break', async (t) => {
  const inBand = new ProgressOperation({ open: async () => source(messages.slice(0, 1), new DockerStreamError('manifest unknown')), summary: summary() });
  await t.rejects(inBand.done(), DockerStreamError, 'an in-band error rejects the result');
  t.type(await inBand.catch((e: unknown) => e), DockerStreamError, 'catch, as on a promise');

  const thrower = new Error('renderer broke');
  const src = source(messages);
  const bad = new ProgressOperation({ open: async () => src, summary: summary(), onProgress: () => { throw thrower; } });
  await t.rejects(bad.done(), thrower, 'an exception in onProgress fails the operation');
  t.equal(src.returned, true, 'and closes the stream');

  const noResult = new ProgressOperation({
    open: async () => source(messages), summary: { add: () => undefined, result: () => { throw new DockerStreamError('no id'); } },
  });
  const seen: string[] = [];
  const err = await (async () => { for await (const m of noResult) seen.push(m.status ?? ''); })().catch((e: unknown) => e);
  t.type(err, DockerStreamError, 'a summary that cannot make a result fails the loop at its end');
  t.equal(seen.length, 3);
  await t.rejects(noResult.done(), DockerStreamError);

  const open = source(messages);
  const broken = new ProgressOperation({ open: async () => open, summary: summary() });
  for await (const m of broken) if (m.status === 'one') break;
  t.equal(open.returned, true, 'break closes the stream');
  await t.rejects(broken.done(), DockerAbortError, 'and the result says the operation did not end');
});
