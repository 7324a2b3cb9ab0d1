import t from 'tap';
import { DockerConnectionError, DockerProtocolError, DockerTimeoutError } from '../../src/index.js';
import type { Exchange, FixtureFault } from '../../src/testing/index.js';
import {
  NO_TIMEOUT_MS, STALL_TIMEOUT_MS, V, WIRES, checkError, checkFreed, chunked, deadline, failureOf, faultEngine, infoExchange, seenFor, stalls,
  type Expected, type Wire,
} from '../helpers/faults.js';

/**
 * Unary calls (`containers.inspect`) against an engine that breaks the
 * answer: for each fault, over a unix socket and over TCP, the call fails
 * with a typed error (by the client's timeout only for stalls), its
 * connection is let go of, and — with a pool of one connection — the next
 * call is served.
 */

interface Case {
  fault: FixtureFault;
  expected: Expected;
  /** Only over these wires (a reset is a plain close on a unix socket). */
  wires?: readonly Wire[];
}

const cases: Case[] = [
  { fault: { kind: 'close-mid-headers' }, expected: { error: DockerConnectionError, message: /^the engine closed the connection/ } },
  { fault: { kind: 'close-mid-body', afterChunks: 1 }, expected: { error: DockerConnectionError, message: /^the engine closed the connection/ } },
  { fault: { kind: 'reset' }, expected: { error: DockerConnectionError, message: /^the engine closed the connection \(other side closed\)/ }, wires: ['unix'] },
  { fault: { kind: 'reset' }, expected: { error: DockerConnectionError, message: /^the engine closed the connection \(read ECONNRESET\)/ }, wires: ['tcp'] },
  { fault: { kind: 'stall' }, expected: { error: DockerTimeoutError, message: /^the engine did not answer in time/ } },
  { fault: { kind: 'stall-mid-body', afterChunks: 1 }, expected: { error: DockerTimeoutError, message: /^the engine stopped sending/ } },
  { fault: { kind: 'truncate', bytes: 12 }, expected: { error: DockerProtocolError, message: /^GET \/containers\/c1\/json: invalid JSON \("\{\\"Id\\":\\"c1\\",\\n"\)/ } },
  { fault: { kind: 'huge-headers' }, expected: { error: DockerProtocolError, message: /^the engine's response head to GET \/v1\.45\/containers\/c1\/json exceeds 65536 bytes/ } },
];

const inspectAnswer = chunked(200, 'application/json', ['{"Id":"c1",\n', '"Name":"/c1","State":{"Status":"running"}}\n']);

for (const wire of WIRES) {
  for (const c of cases) {
    if (c.wires && !c.wires.includes(wire)) continue;
    // a timer does not depend on the wire: stalls run over the unix socket only
    if (stalls(c.fault) && wire !== 'unix') continue;
    t.test(`unary call, ${c.fault.kind} over ${wire}`, async (t) => {
      const faulted: Exchange = { request: { method: 'GET', path: `/v${V}/containers/c1/json` }, response: inspectAnswer, fault: c.fault };
      const { docker, server } = await faultEngine(t, [faulted, infoExchange()], wire);
      const timeout = stalls(c.fault) ? STALL_TIMEOUT_MS : NO_TIMEOUT_MS;
      const err = await failureOf(docker.containers.inspect('c1', { timeout }), `inspect with ${c.fault.kind}`);
      checkError(t, err, c.fault, c.expected);
      if (err instanceof DockerConnectionError) t.match(err, { method: 'GET', path: `/v${V}/containers/c1/json` }, 'the error names the request');
      const info = await deadline(docker.info(), 'the call after the fault');
      t.equal(info.Name, 'after-the-fault', 'the next call is served, on a pool of one connection');
      await checkFreed(t, docker, server, seenFor(t, server, 0), seenFor(t, server, 1));
      server.assertDone();
    });
  }
}
