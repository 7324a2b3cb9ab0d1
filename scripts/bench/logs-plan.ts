import { Docker, NotFoundError } from '../../src/index.js';
import {
  failuresOf, fmt, metricOf, ratio, rssOf, spread, trialsOf,
  type Benchmark, type CaseSpec, type Session, type Table, type TrialRecord,
} from './harness.js';
import { LOGS_CONTENDERS } from './logs.js';
import { verdict, type TargetRow } from './targets.js';

/**
 * Logs end to end: a followed `GET /containers/{id}/logs` of a stopped
 * container on the private dockerd, read whole by berth (frames, and two
 * Readables), raw undici (body bytes, no demultiplexing) and dockerode.
 * `prepare` runs the containers whose output is the workload, once, with
 * the json-file log driver (dockerd's default): it stores each line as a
 * message and sends each message back as one frame, so the output's lines
 * are the frames.
 */

const MiB = 1 << 20;
const LABEL = 'org.berth.bench';
const LABELS: Record<string, string> = {
  'berth-frames': 'berth `containers.logs()` frames',
  'berth-streams': 'berth requester + `demuxToStreams()`',
  undici: 'undici `Pool`, body bytes (no demux)',
  dockerode: 'dockerode `logs()` + `demuxStream`',
};
const BERTH = ['berth-frames', 'berth-streams'] as const;
const CPU_BAR = 1.15;
/** The suffix of the names of the cases whose trial processes load every contender's library. */
const ALL_LOADED = ', all loaded';

/** Whether the case's trial processes load every contender's library (its `allLoaded` parameter, which the trial reads). */
function allLoaded(c: CaseSpec): boolean {
  return c.params.allLoaded === true;
}

/** One workload: lines of `line` bytes (newline included), one in sixteen on stderr. */
interface Workload {
  name: string;
  title: string;
  /** Payload bytes of a line, its newline included: the frame's payload. */
  line: number;
  /** Lines (frames) of the whole log, full and quick; a multiple of 16. */
  frames: number;
  quickFrames: number;
  /**
   * Also measured with every contender's library loaded in every trial
   * process. Only where a fast body makes V8's marking show: 8-byte frames
   * come at about 4 MB/s, and every trial runs one mark-compact either way.
   */
  allLoaded: boolean;
}

const WORKLOADS: readonly Workload[] = [
  // 1 GiB of payload; 64 MiB quick
  { name: '16k frames', title: '16 KiB frames', line: 16 * 1024, frames: 65_536, quickFrames: 4096, allLoaded: true },
  // 64 MiB on the wire (16 bytes a frame); 4 MiB quick
  { name: 'tiny frames', title: '8-byte frames', line: 8, frames: 4_194_304, quickFrames: 262_144, allLoaded: false },
];

/** The container's command: two `yes | head` at once, stdout and stderr, each line `line` bytes long with its newline. */
function script(line: number, outLines: number, errLines: number): string {
  const text = line > 64
    ? `L=$(head -c ${line - 1} /dev/zero | tr '\\0' x)`
    : `L=${'x'.repeat(line - 1)}`;
  return `${text}; yes "$L" | head -n ${outLines} & yes "$L" | head -n ${errLines} >&2; wait`;
}

/**
 * One read of the stored log, its frame headers walked on the wire (berth
 * hands a frame that straddles chunks out in pieces, so its items do not
 * show the engine's framing): payload bytes per stream, and the frames
 * counted by size ("N × SIZE, …").
 */
async function frameSizes(socketPath: string, id: string): Promise<{ stdout: number; stderr: number; histogram: string }> {
  const { Pool } = await import('undici');
  const pool = new Pool('http://localhost', { socketPath });
  const bySize = new Map<number, number>();
  let stdout = 0;
  let stderr = 0;
  const header = Buffer.alloc(8);
  let fill = 0;
  let need = 0;
  let stream = 1;
  try {
    const res = await pool.request({ method: 'GET', path: `/containers/${id}/logs?follow=1&stdout=1&stderr=1` });
    for await (const piece of res.body) {
      const chunk = piece as Buffer;
      let pos = 0;
      while (pos < chunk.length) {
        if (need > 0) {
          const take = Math.min(need, chunk.length - pos);
          if (stream === 2) stderr += take;
          else stdout += take;
          need -= take;
          pos += take;
          continue;
        }
        const take = Math.min(8 - fill, chunk.length - pos);
        chunk.copy(header, fill, pos, pos + take);
        fill += take;
        pos += take;
        if (fill === 8) {
          fill = 0;
          stream = header[0] as number;
          need = header.readUInt32BE(4);
          bySize.set(need, (bySize.get(need) ?? 0) + 1);
        }
      }
    }
  } finally {
    await pool.close();
  }
  const histogram = [...bySize].sort((a, b) => b[1] - a[1]).map(([bytes, n]) => `${count(n)} × ${count(bytes)}`).join(', ');
  return { stdout, stderr, histogram };
}

/** An exact count, with thousands separators. */
function count(n: unknown): string {
  return typeof n === 'number' ? n.toLocaleString('en-US') : '–';
}

function size(bytes: number): string {
  return bytes >= 1024 * MiB ? `${fmt(bytes / (1024 * MiB))} GiB` : `${fmt(bytes / MiB)} MiB`;
}

export const logsBenchmark: Benchmark = {
  name: 'logs',
  title: 'Logs followed end to end: GET /containers/{id}/logs',
  wantsEngine: true,
  async prepare(ctx) {
    const engine = ctx.engine;
    if (!engine) {
      return { rounds: 0, cases: [], notes: [`skipped: ${ctx.engineMissing ?? 'no engine'}`], close: async () => undefined };
    }
    const docker = new Docker({ socketPath: engine.socket, env: {} });
    const made: string[] = [];
    const close = async (): Promise<void> => {
      for (const id of made) await docker.containers.remove(id, { force: true }).catch((err: unknown) => ctx.log(`logs: removing ${id}: ${String(err)}`));
      await docker.close();
    };
    try {
      const cases: CaseSpec[] = [];
      const notes: string[] = [];
      for (const w of WORKLOADS) {
        const frames = ctx.quick ? w.quickFrames : w.frames;
        const errLines = frames / 16;
        const outLines = frames - errLines;
        const name = `berth-bench-logs-${w.name.replace(/\W+/g, '-')}`;
        await docker.containers.remove(name, { force: true }).catch((err: unknown) => {
          if (!(err instanceof NotFoundError)) throw err;
        });
        ctx.log(`logs: running ${name}: ${count(frames)} lines of ${w.line} bytes`);
        const t0 = performance.now();
        const { Id: id } = await docker.containers.create({
          Image: 'busybox:test',
          Cmd: ['sh', '-c', script(w.line, outLines, errLines)],
          Labels: { [LABEL]: 'logs' },
          HostConfig: { NetworkMode: 'none', LogConfig: { Type: 'json-file', Config: {} } },
        }, { name });
        made.push(id);
        // next-exit: the default condition (not-running) is met at once by a container not started yet
        const waiter = await docker.containers.waiter(id, { condition: 'next-exit' });
        await docker.containers.start(id);
        const { StatusCode } = await waiter.result;
        if (StatusCode !== 0) throw new Error(`logs: ${name} exited with ${StatusCode}`);
        const stored = (performance.now() - t0) / 1000;
        const sizes = await frameSizes(engine.socket, id);
        const want = `${count(frames)} × ${count(w.line)}`;
        if (sizes.stdout !== outLines * w.line || sizes.stderr !== errLines * w.line || sizes.histogram !== want) {
          throw new Error(`logs: ${name}: the engine sent ${sizes.histogram} bytes of frames (stdout ${sizes.stdout}, stderr ${sizes.stderr}), not ${want}`);
        }
        notes.push(`${w.title}: ${count(outLines)} stdout and ${count(errLines)} stderr lines of ${w.line} bytes (newline included), `
          + `written at once by two \`yes | head\` and stored in ${stored.toFixed(0)} s; read back as frames of `
          + `${sizes.histogram} bytes, ${size(frames * (w.line + 8))} on the wire.`);
        const params = { socket: engine.socket, id, apiVersion: engine.apiVersion, stdout: outLines * w.line, stderr: errLines * w.line, frames };
        cases.push({ name: w.name, params, contenders: LOGS_CONTENDERS });
        if (w.allLoaded) cases.push({ name: `${w.name}${ALL_LOADED}`, params: { ...params, allLoaded: true }, contenders: LOGS_CONTENDERS });
      }
      notes.push(
        'Log driver json-file (dockerd\'s default): each line is one stored message and comes back as one frame; '
          + '`follow=1` on the stopped container sends the stored log and ends.',
        'Timed: the logs call, from the request to the end of the body; each contender made one request before (berth negotiates, '
          + 'the others ping), so loading and connecting are not timed. berth also inspects the container (API < 1.42: '
          + 'whether the output is multiplexed follows from `Config.Tty`).',
        'Consumers: berth frames counted in the `for await` loop; `demuxToStreams()` and dockerode piped/written into two counting '
          + 'Writables; undici counts the body\'s bytes in a `data` listener.',
        `Cases "…${ALL_LOADED}": every trial process loads berth, undici and dockerode before opening its own contender, so every `
          + 'contender reads with the same modules in the heap. In the other cases each process loads only its own library. V8 starts no '
          + 'incremental marking while the old generation holds at most 8 MB (its activation threshold); undici alone stays about there, '
          + 'undici with berth loaded (used or not) is over it, and then a fast body gets a mark-compact after nearly every scavenge. '
          + 'The difference between the two kinds of case is that threshold; the "all loaded" cases measure the reading.',
      );
      return { rounds: ctx.rounds ?? (ctx.quick ? 2 : 5), cases, notes, close };
    } catch (err) {
      await close();
      throw err;
    }
  },
  tables: logsTables,
};

function logsTables(records: readonly TrialRecord[], session: Session): Table[] {
  const rows: string[][] = [];
  const notes: string[] = [];
  const targets: TargetRow[] = [];
  const m = (c: string, who: string, metric: string): number | undefined => metricOf(records, c, who, metric)?.median;
  for (const c of session.cases) {
    for (const who of LOGS_CONTENDERS) {
      const failed = failuresOf(records, c.name, who);
      if (failed) notes.push(`${LABELS[who] ?? who}, ${c.name}: ${failed}`);
      const trials = trialsOf(records, c.name, who);
      const inexact = trials.filter((r) => r.checks.exact !== true).length;
      if (inexact > 0) notes.push(`${LABELS[who] ?? who}, ${c.name}: ${inexact} of ${trials.length} trials read the wrong byte counts`);
      rows.push([
        c.name, LABELS[who] ?? who,
        fmt(m(c.name, who, 'cpuS')), spread(metricOf(records, c.name, who, 'cpuS')), fmt(m(c.name, who, 'cpuNsPerByte')),
        ratio(m(c.name, who, 'cpuS'), m(c.name, 'undici', 'cpuS')),
        fmt(m(c.name, who, 'majorGCs')),
        fmt(m(c.name, who, 'wallS')), fmt(m(c.name, who, 'MBps')), fmt(rssOf(records, c.name, who)?.median),
        trials.length === 0 ? '–' : `${trials.length - inexact}/${trials.length}`,
      ]);
    }
    const framed = trialsOf(records, c.name, 'berth-frames')[0]?.checks;
    const wire = trialsOf(records, c.name, 'undici')[0]?.checks.wire;
    if (framed && !allLoaded(c)) {
      notes.push(`${c.name}: berth's frame iterator handed out ${count(framed.frames)} items for ${count(framed.wireFrames)} frames (a frame across two chunks of the body is two items), payloads of ${count(framed.minFrame)} to ${count(framed.maxFrame)} bytes `
        + `(stdout ${count(framed.stdout)} B, stderr ${count(framed.stderr)} B); body read by undici: ${count(wire)} B.`);
    }
    for (const who of BERTH) {
      const r = Number(ratio(m(c.name, who, 'cpuS'), m(c.name, 'undici', 'cpuS')));
      const heap = allLoaded(c) ? '' : ' (each process its own library)';
      targets.push(verdict(`${LABELS[who]}: client CPU ÷ undici, ${c.name}${heap}`, `≤ ${CPU_BAR.toFixed(2)}`, r, r <= CPU_BAR));
    }
  }
  for (const who of LOGS_CONTENDERS) {
    const all = records.filter((r) => r.contender === who);
    const bad = all.filter((r) => !r.ok || r.checks.exact !== true).length;
    targets.push(verdict(`${LABELS[who] ?? who}: every trial read the whole log, exact bytes`, 'all trials', `${all.length - bad}/${all.length}`, bad === 0));
  }
  return [
    {
      title: 'Logs: client CPU, wall time, throughput, peak RSS (medians)',
      columns: ['case', 'contender', 'CPU s', 'CPU spread', 'CPU ns/wire byte', 'CPU ÷ undici', 'mark-compacts', 'wall s', 'wire MB/s', 'peak RSS MB', 'exact bytes'],
      rows,
      notes,
    },
    { title: 'Logs: targets', columns: ['target', 'bar', 'measured (medians)', 'met'], rows: targets.map((t) => t.row) },
  ];
}
