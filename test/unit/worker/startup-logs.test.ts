import t from 'tap';
import { demux, type StreamName } from '../../../src/index.js';
import { REDACTED_TEXT, Redactor } from '../../../src/worker/docker/redactor.js';
import { StartupLogs } from '../../../src/worker/docker/startup-logs.js';
import { frame, fromChunks } from '../../helpers/streams.js';

/**
 * The startup output reader redacts whole lines, whatever pieces the bytes
 * arrive in: a secret written by the container in two writes (two frames),
 * or cut by the connection's chunking (two items of one frame), or both,
 * with a multi-byte character cut too, never reaches a line unredacted.
 */

const SECRET = 'pässwörd-42';

async function linesOf(chunks: readonly Buffer[]): Promise<{ lines: Array<[StreamName, string]>; kept: string[] }> {
  const lines: Array<[StreamName, string]> = [];
  const logs = StartupLogs.follow(demux(fromChunks(chunks)), {
    redactor: new Redactor([SECRET]),
    onLine: (stream, line) => lines.push([stream, line]),
  });
  await logs.ended;
  return { lines, kept: logs.lines() };
}

t.test('a secret cut across frames and across chunks is redacted in every line', async (t) => {
  const cut = Buffer.from(SECRET).indexOf(Buffer.from('ö')) + 1; // inside the 2-byte ö
  const secret = Buffer.from(SECRET);
  const body = Buffer.concat([
    frame(1, `login ${SECRET} ok\n`),
    frame(1, Buffer.concat([Buffer.from('token '), secret.subarray(0, cut)])),
    frame(2, 'unrelated\n'),
    frame(1, Buffer.concat([secret.subarray(cut), Buffer.from(' end\n')])),
    frame(2, `err ${SECRET}`),
  ]);
  const want: Array<[StreamName, string]> = [
    ['stdout', `login ${REDACTED_TEXT} ok`],
    ['stderr', 'unrelated'],
    ['stdout', `token ${REDACTED_TEXT} end`],
    ['stderr', `err ${REDACTED_TEXT}`],
  ];
  const sorted = (l: Array<[StreamName, string]>): string[] => l.map(([s, x]) => `${s}:${x}`).sort();
  let checked = 0;
  for (let at = 0; at <= body.length; at++) {
    for (const chunks of [[body.subarray(0, at), body.subarray(at)], oneByteAround(body, at)]) {
      const { lines, kept } = await linesOf(chunks.filter((c) => c.length > 0));
      const text = JSON.stringify(lines) + JSON.stringify(kept);
      if (text.includes(SECRET) || text.includes('pässw') || JSON.stringify(sorted(lines)) !== JSON.stringify(sorted(want))) {
        t.fail(`cut at ${at}`, { lines, kept });
        return;
      }
      checked++;
    }
  }
  t.pass(`${checked} chunkings, the secret never leaked and every line arrived`);
});

/** The body with the bytes around `at` in 1-byte chunks (a frame then arrives in many pieces). */
function oneByteAround(body: Buffer, at: number): Buffer[] {
  const from = Math.max(0, at - 12);
  const to = Math.min(body.length, at + 12);
  const chunks = [body.subarray(0, from)];
  for (let i = from; i < to; i++) chunks.push(body.subarray(i, i + 1));
  chunks.push(body.subarray(to));
  return chunks;
}
