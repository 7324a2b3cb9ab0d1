import t from 'tap';
import {
  ConflictError, DockerAbortError, DockerConnectionError, DockerProtocolError, DockerStreamError, DockerTimeoutError, ServerError,
  type Docker,
} from '../../src/index.js';
import type { Exchange, FixtureFault, FixtureRequest } from '../../src/testing/index.js';
import {
  NO_TIMEOUT_MS, STALL_TIMEOUT_MS, V, WIRES, checkError, deadline, drain, failureOf, faultEngine, infoExchange, json, seenFor, stalls, until,
  type Expected, type Wire,
} from '../helpers/faults.js';
import { frame } from '../helpers/streams.js';

/**
 * Hijacked connections — attach, and exec (create, start, exit code) —
 * against an engine that breaks them: before the 101, inside its head,
 * refusing the upgrade with plain text, cutting a frame, sending an error
 * frame, resetting mid-output, stalling. Each ends in a typed error, the
 * hijacked connection is closed (they are never pooled), and the next
 * attach or exec and the next unary call are served.
 */

const MUX = 'application/vnd.docker.multiplexed-stream';
const OUTPUT = [frame(1, 'hello\n'), frame(2, 'warning\n'), frame(1, 'bye\n')];
const b64 = (b: Buffer): string => b.toString('base64');

function upgraded(request: FixtureRequest, fault?: FixtureFault): Exchange {
  return {
    request,
    upgrade: {
      statusLine: 'HTTP/1.1 101 UPGRADED', headers: { 'Content-Type': MUX, Connection: 'Upgrade', Upgrade: 'tcp' },
      toClient: OUTPUT.map(b64), fromClient: [],
    },
    ...(fault ? { fault } : {}),
  };
}

interface HijackKind {
  name: string;
  /** The exchanges of one call, the hijack faulted; `complete` when the call gets past the hijack. */
  exchanges(fault: FixtureFault | undefined, complete: boolean): Exchange[];
  /** Runs the call to its end: attach's frame count, exec's exit code. */
  run(docker: Docker, timeout: number, signal?: AbortSignal): Promise<unknown>;
}

const attachRequest: FixtureRequest = { method: 'POST', path: `/v${V}/containers/c1/attach`, query: { stream: '1', stdin: '0', stdout: '1', stderr: '1' } };

const kinds: HijackKind[] = [
  {
    name: 'attach',
    exchanges: (fault) => [upgraded(attachRequest, fault)],
    run: async (docker, timeout, signal) => {
      const stdio = await docker.containers.attach('c1', { timeout, ...(signal ? { signal } : {}) });
      const r = await drain(stdio.frames(), 'the attached output');
      if (r.error !== undefined) throw r.error;
      return r.count;
    },
  },
  {
    name: 'exec',
    exchanges: (fault, complete) => [
      { request: { method: 'POST', path: `/v${V}/containers/c1/exec` }, response: json(201, { Id: 'e1' }) },
      upgraded({ method: 'POST', path: `/v${V}/exec/e1/start`, body: { Detach: false, Tty: false } }, fault),
      ...(complete ? [{ request: { method: 'GET', path: `/v${V}/exec/e1/json` }, response: json(200, { ID: 'e1', Running: false, ExitCode: 0 }) }] : []),
    ],
    run: async (docker, timeout, signal) => {
      const r = await docker.containers.exec('c1', ['sh', '-c', 'echo hello'], { timeout, ...(signal ? { signal } : {}) });
      return r.exitCode;
    },
  },
];

interface Case {
  fault: FixtureFault;
  expected: Expected;
  wires?: readonly Wire[];
}

const cases: Case[] = [
  { fault: { kind: 'close-mid-headers' }, expected: { error: DockerConnectionError, message: /^the engine closed the connection \(inside its answer to POST \/v1\.45\/\S+: \d+ bytes, no end of the response head\)/ } },
  { fault: { kind: 'reset' }, expected: { error: DockerConnectionError, message: /^the engine closed the connection \(before answering\)/ }, wires: ['unix'] },
  { fault: { kind: 'reset' }, expected: { error: DockerConnectionError, message: /^the engine closed the connection \(read ECONNRESET\)/ }, wires: ['tcp'] },
  { fault: { kind: 'stall' }, expected: { error: DockerTimeoutError, message: /^the engine did not answer in time/ }, wires: ['unix'] },
  {
    fault: { kind: 'refuse-upgrade', statusCode: 409, message: 'container c1 is paused, unpause the container before attach', contentType: 'text/plain; charset=utf-8' },
    expected: { error: ConflictError, message: /^container c1 is paused, unpause the container before attach \(HTTP 409, POST \/v1\.45\// },
  },
  {
    fault: { kind: 'refuse-upgrade', statusCode: 500, message: 'OCI runtime exec failed: exec failed: unable to start container process' },
    expected: { error: ServerError, message: /^OCI runtime exec failed: .* \(HTTP 500, POST \/v1\.45\// },
  },
  { fault: { kind: 'truncate', bytes: (OUTPUT[0]?.length ?? 0) + 10 }, expected: { error: DockerProtocolError, message: /^stream ended inside a frame: 10 of 16 bytes \(POST \/v1\.45\// } },
  { fault: { kind: 'error-mid-stream', afterChunks: 2, message: 'read /dev/pts/0: input/output error' }, expected: { error: DockerStreamError, message: /^read \/dev\/pts\/0: input\/output error \(POST \/v1\.45\// } },
  { fault: { kind: 'close-mid-body', afterChunks: 1 }, expected: { error: DockerProtocolError, message: /^stream ended inside a frame: 4 of 8 header bytes \(POST \/v1\.45\// } },
  { fault: { kind: 'huge-headers' }, expected: { error: DockerProtocolError, message: /response head to POST \/v1\.45\/\S+ exceeds 65536 bytes$/ } },
];

/** The index of the faulted hijack among a call's exchanges. */
const hijackIndex = (kind: HijackKind): number => (kind.name === 'exec' ? 1 : 0);

for (const wire of WIRES) {
  for (const kind of kinds) {
    for (const c of cases) {
      if (c.wires && !c.wires.includes(wire)) continue;
      t.test(`${kind.name}, ${c.fault.kind}${c.fault.statusCode ? ` ${c.fault.statusCode}` : ''} over ${wire}`, async (t) => {
        const first = kind.exchanges(c.fault, false);
        const { docker, server } = await faultEngine(t, [...first, ...kind.exchanges(undefined, true), infoExchange()], wire);
        const err = await failureOf(kind.run(docker, stalls(c.fault) ? STALL_TIMEOUT_MS : NO_TIMEOUT_MS), `${kind.name} with ${c.fault.kind}`);
        checkError(t, err, c.fault, c.expected);
        const failed = seenFor(t, server, hijackIndex(kind));
        await deadline(server.connectionClosed(failed.connection), 'the close of the hijacked connection');
        t.pass('the hijacked connection was closed');
        await until(() => docker.transport.stats().hijacked === 0, 'the client to drop the hijacked connection');
        t.pass('the client holds no hijacked connection');
        const again = await deadline(kind.run(docker, NO_TIMEOUT_MS), `${kind.name} after the fault`);
        t.equal(again, kind.name === 'exec' ? 0 : OUTPUT.length, 'the next call is served whole');
        t.equal((await deadline(docker.info(), 'the unary call after the fault')).Name, 'after-the-fault', 'and so is the next unary call');
        server.assertDone();
      });
    }
  }

  if (wire !== 'unix') continue;
  for (const kind of kinds) {
    t.test(`${kind.name}: silent output is not timed out (interactive); the signal ends it`, async (t) => {
      const stalled: Exchange = { request: { method: 'GET', path: `/v${V}/version` }, fault: { kind: 'stall' } };
      const exchanges = kind.exchanges({ kind: 'stall-mid-body', afterChunks: 1 }, false);
      const { docker, server } = await faultEngine(t, [...exchanges, stalled, infoExchange()], wire);
      const controller = new AbortController();
      let settled = false;
      const pending = kind.run(docker, STALL_TIMEOUT_MS, controller.signal).then(() => undefined, (err: unknown) => err).finally(() => { settled = true; });
      await deadline(server.waitForRequests(exchanges.length), 'the hijack request');
      const hijack = seenFor(t, server, hijackIndex(kind));
      // a unary call with the same timeout, sent after the output went silent, times out first
      await t.rejects(deadline(docker.version({ timeout: STALL_TIMEOUT_MS }), 'a stalled call'), DockerTimeoutError);
      t.notOk(settled, 'the silent output is still awaited: only the answer\'s head was timed');
      controller.abort(new Error('the user gave up'));
      const err = await deadline(pending, 'the call after the abort');
      t.type(err, DockerAbortError, 'the signal ends it with a DockerAbortError');
      await deadline(server.connectionClosed(hijack.connection), 'the close of the hijacked connection');
      await until(() => docker.transport.stats().hijacked === 0, 'the client to drop the hijacked connection');
      t.pass('the client holds no hijacked connection');
      t.equal((await deadline(docker.info(), 'the call after the abort')).Name, 'after-the-fault');
    });
  }
}
