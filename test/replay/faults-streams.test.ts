import t from 'tap';
import {
  DockerAbortError, DockerConnectionError, DockerProtocolError, DockerStreamError, DockerTimeoutError, type Docker,
} from '../../src/index.js';
import type { Exchange, FixtureFault, FixtureRequest } from '../../src/testing/index.js';
import {
  NO_TIMEOUT_MS, STALL_TIMEOUT_MS, V, WIRES, checkError, checkFreed, chunked, deadline, drain, faultEngine, infoExchange, seenFor, stalls,
  type Expected,
} from '../helpers/faults.js';
import { frame } from '../helpers/streams.js';

/**
 * Long streams — a followed log, the event stream, a pull's progress —
 * against an engine that breaks them: before the head, inside it, between
 * messages, inside a frame or a JSON line, with an in-band error, a silent
 * stream. Every fault ends the iteration with a typed error after the
 * items that came before it, lets go of the connection, and the next
 * stream and the next unary call are served.
 */

interface StreamKind {
  name: string;
  request: FixtureRequest;
  contentType: string;
  /** The normal answer; faults cut it or stall after its first chunk. */
  chunks: Buffer[];
  open(docker: Docker, call: { timeout: number; signal?: AbortSignal }): AsyncIterable<unknown>;
  /** `truncate` cuts the stream 12 bytes into its second message. */
  truncated: RegExp;
  /** Items before the truncation error: the payload bytes of a cut frame that did arrive are output, a cut JSON line is not. */
  truncatedItems: number;
  /** The in-band error formats this stream meets. */
  inBand: ReadonlyArray<NonNullable<FixtureFault['format']>>;
}

const line = (o: object): Buffer => Buffer.from(`${JSON.stringify(o)}\r\n`);

const kinds: StreamKind[] = [
  {
    name: 'logs follow',
    request: { method: 'GET', path: `/v${V}/containers/c1/logs`, query: { follow: '1', stdout: '1', stderr: '1' } },
    contentType: 'application/vnd.docker.multiplexed-stream',
    chunks: [frame(1, 'line 1\n'), frame(2, 'line 2\n'), frame(1, 'line 3\n')],
    open: (docker, call) => docker.containers.logs('c1', { follow: true, ...call }),
    truncated: /^stream ended inside a frame: 12 of 15 bytes \(GET \/v1\.45\/containers\/c1\/logs\)/,
    truncatedItems: 2, // line 1, then the 4 bytes of line 2 that arrived
    inBand: ['frame'],
  },
  {
    name: 'events',
    request: { method: 'GET', path: `/v${V}/events` },
    contentType: 'application/json',
    chunks: [
      line({ Type: 'container', Action: 'create', Actor: { ID: 'c1' }, time: 1 }),
      line({ Type: 'container', Action: 'start', Actor: { ID: 'c1' }, time: 2 }),
      line({ Type: 'container', Action: 'die', Actor: { ID: 'c1' }, time: 3 }),
    ],
    open: (docker, call) => docker.events(call),
    truncated: /^line 2 of the stream is not JSON \(GET \/v1\.45\/events\): "\{\\"Type\\":\\"con"/,
    inBand: ['progress', 'podman'],
    truncatedItems: 1,
  },
  {
    name: 'pull',
    request: { method: 'POST', path: `/v${V}/images/create`, query: { fromImage: 'busybox', tag: '1.36' } },
    contentType: 'application/json',
    chunks: [
      line({ status: 'Pulling from library/busybox', id: '1.36' }),
      line({ status: 'Downloading', id: 'a1b2c3', progressDetail: { current: 1, total: 2 } }),
      line({ status: 'Status: Downloaded newer image for busybox:1.36' }),
    ],
    open: (docker, call) => docker.images.pull('busybox:1.36', { auth: false, ...call }),
    truncated: /^line 2 of the stream is not JSON \(POST \/v1\.45\/images\/create\): "\{\\"status\\":\\"D"/,
    inBand: ['progress', 'podman'],
    truncatedItems: 1,
  },
];

interface Case {
  fault: FixtureFault;
  expected: Expected;
  /** Items the consumer gets before the error. */
  items: number;
}

function cases(kind: StreamKind): Case[] {
  const closed = { error: DockerConnectionError, message: /^the engine closed the connection \((other side closed|read ECONNRESET)\)/ };
  return [
    { fault: { kind: 'close-mid-headers' }, expected: closed, items: 0 },
    { fault: { kind: 'close-mid-body', afterChunks: 1 }, expected: closed, items: 1 },
    { fault: { kind: 'reset' }, expected: closed, items: 0 },
    { fault: { kind: 'stall' }, expected: { error: DockerTimeoutError, message: /^the engine did not answer in time/ }, items: 0 },
    { fault: { kind: 'truncate', bytes: (kind.chunks[0]?.length ?? 0) + 12 }, expected: { error: DockerProtocolError, message: kind.truncated }, items: kind.truncatedItems },
    { fault: { kind: 'huge-headers' }, expected: { error: DockerProtocolError, message: /exceeds 65536 bytes$/ }, items: 0 },
    ...kind.inBand.map((format): Case => ({
      fault: { kind: 'error-mid-stream', afterChunks: 2, format, message: `injected ${format} failure` },
      expected: { error: DockerStreamError, message: new RegExp(`^injected ${format} failure.* \\(${kind.request.method} /v1\\.45/`) },
      items: 2,
    })),
  ];
}

function exchange(kind: StreamKind, fault?: FixtureFault): Exchange {
  return { request: kind.request, response: chunked(200, kind.contentType, kind.chunks), ...(fault ? { fault } : {}) };
}

for (const wire of WIRES) {
  for (const kind of kinds) {
    for (const c of cases(kind)) {
      // a timer does not depend on the wire: stalls run over the unix socket only
      if (stalls(c.fault) && wire !== 'unix') continue;
      t.test(`${kind.name}, ${c.fault.kind}${c.fault.format ? ` (${c.fault.format})` : ''} over ${wire}`, async (t) => {
        const { docker, server } = await faultEngine(t, [exchange(kind, c.fault), exchange(kind), infoExchange()], wire);
        const timeout = stalls(c.fault) ? STALL_TIMEOUT_MS : NO_TIMEOUT_MS;
        const r = await drain(kind.open(docker, { timeout }), `${kind.name} with ${c.fault.kind}`);
        checkError(t, r.error, c.fault, c.expected);
        t.equal(r.count, c.items, `${c.items} items came before the error`);
        const again = await drain(kind.open(docker, { timeout: NO_TIMEOUT_MS }), `${kind.name} after the fault`);
        t.equal(again.error, undefined, 'the next stream is served');
        t.equal(again.count, kind.chunks.length, 'whole');
        t.equal((await deadline(docker.info(), 'the unary call after the fault')).Name, 'after-the-fault', 'and so is the next unary call');
        await checkFreed(t, docker, server, seenFor(t, server, 0), seenFor(t, server, 1));
        server.assertDone();
      });
    }

    if (wire !== 'unix') continue;
    t.test(`${kind.name}: a silent stream is not timed out (no body timeout); the signal ends it`, async (t) => {
      const stalled: Exchange = { request: { method: 'GET', path: `/v${V}/version` }, fault: { kind: 'stall' } };
      const { docker, server } = await faultEngine(t, [exchange(kind, { kind: 'stall-mid-body', afterChunks: 1 }), stalled, stalled, infoExchange()], wire);
      const controller = new AbortController();
      const stream = kind.open(docker, { timeout: STALL_TIMEOUT_MS, signal: controller.signal })[Symbol.asyncIterator]();
      const first = await deadline(stream.next(), 'the first item');
      t.equal(first.done, false, 'the first item arrived');
      let settled = false;
      const pending = stream.next().then(() => undefined, (err: unknown) => err).finally(() => { settled = true; });
      // two calls timed out one after the other with the same timeout: the stream has been silent longer than it
      for (let i = 0; i < 2; i++) await t.rejects(deadline(docker.version({ timeout: STALL_TIMEOUT_MS }), 'a stalled call'), DockerTimeoutError);
      t.notOk(settled, 'the silent stream is still waiting: only its head was timed');
      controller.abort(new Error('the user gave up'));
      const err = await deadline(pending, 'the read after the abort');
      t.type(err, DockerAbortError, 'the signal ends it with a DockerAbortError');
      t.match((err as DockerAbortError).reason, { message: 'the user gave up' }, 'carrying the reason');
      const failed = seenFor(t, server, 0);
      await deadline(server.connectionClosed(failed.connection), 'the close of the stream\'s connection');
      t.pass('the connection was closed');
      t.equal((await deadline(docker.info(), 'the call after the abort')).Name, 'after-the-fault');
      server.assertDone();
    });
  }
}
