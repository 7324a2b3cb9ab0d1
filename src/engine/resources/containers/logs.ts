import { Buffer } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import type { EngineContext } from '../../context.js';
import { DockerArgumentError } from '../../errors.js';
import { destroyQuietly, pathSegment, type CallOptions } from '../../request.js';
import { outputFrames, type Frame, type StreamName } from '../../streams/demux.js';
import { LazyStream } from '../../streams/lazy.js';
import { bufferFrames } from '../../streams/stdio.js';
import { unixTime, type TimeValue } from '../../time.js';
import { containerTty, outputMultiplexed } from './output-mode.js';

/** Options of `GET /containers/{id}/logs`. */
export interface ContainerLogsOptions extends CallOptions {
  /** Keep the stream open and follow new output until the container stops (or `signal`). */
  follow?: boolean;
  /** Include stdout (default true). */
  stdout?: boolean;
  /** Include stderr (default true). At least one of the two must be on. */
  stderr?: boolean;
  /** Only output after this time (Unix seconds, a `Date`, or an RFC 3339 string such as inspect's `State.StartedAt`). */
  since?: TimeValue;
  /** Only output before this time. */
  until?: TimeValue;
  /** Prefix every line with its RFC 3339 time (nanoseconds) and a space. */
  timestamps?: boolean;
  /** Only the last N lines (`'all'`, the default, for everything). */
  tail?: number | 'all';
  /** Prefix lines with the log driver's extra attributes (`k=v,… `). */
  details?: boolean;
  /** The largest frame size a header may claim (default 64 MiB): a sanity check, as payload is never held. */
  maxFrameBytes?: number;
}

/** Options of {@link logsBuffer}: non-follow logs, bounded. */
export interface ContainerLogsBufferOptions extends Omit<ContainerLogsOptions, 'follow'> {
  /** The most output kept, stdout and stderr together (default 64 MiB); more is a `DockerError`. */
  maxBytes?: number;
}

/** One line of a container's output. */
export interface LogLine {
  stream: StreamName;
  /** The text, without its newline (and without a trailing `\r` from a TTY). */
  line: string;
  /** With `timestamps: true`: the engine's RFC 3339 time of the line (nanoseconds). */
  timestamp?: string;
}

/** The default of `maxBytes` for buffered output: 64 MiB. */
export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/**
 * `GET /containers/{id}/logs` as frames, opened on the first `next()`. See
 * `ContainersApi.logs`.
 */
export function openLogs(ctx: EngineContext, id: string, options: ContainerLogsOptions = {}): LazyStream<Frame> {
  const segment = pathSegment(id, 'container id');
  return openOutputLogs(ctx, `/containers/${segment}/logs`, (signal) => containerTty(ctx, segment, signal), options);
}

/**
 * The logs of a container, service or task (`GET <path>`, the same query
 * and frames), opened on the first `next()`; `tty` looks up whether the
 * output is raw when the engine's Content-Type cannot say (API < 1.42).
 */
export function openOutputLogs(
  ctx: EngineContext, path: string, tty: (signal: AbortSignal | undefined) => Promise<boolean>, options: ContainerLogsOptions = {},
): LazyStream<Frame> {
  const { signal, timeout, maxFrameBytes } = options;
  const query = logsQuery(options);
  return new LazyStream<Frame>(async (combined) => {
    const res = await ctx.requester.send({
      method: 'GET', path, query, stream: options.follow === true, signal: combined, timeout,
    });
    let multiplexed: boolean;
    try {
      multiplexed = await outputMultiplexed(res.header('content-type'), res.request.apiVersion, () => tty(combined));
    } catch (err) {
      destroyQuietly(res.body);
      throw err;
    }
    return outputFrames(res.body, multiplexed, { signal: combined, request: res.request, mapError: res.mapError, maxFrameBytes });
  }, signal);
}

/** The whole output of non-follow logs as two buffers; see `ContainersApi.logsBuffer`. */
export async function logsBuffer(ctx: EngineContext, id: string, options: ContainerLogsBufferOptions = {}): Promise<{ stdout: Buffer; stderr: Buffer }> {
  if ((options as { follow?: unknown }).follow === true) throw new DockerArgumentError('logsBuffer: follow would never end; use logs() to follow');
  const { maxBytes = DEFAULT_MAX_OUTPUT_BYTES, ...rest } = options;
  return bufferFrames(openLogs(ctx, id, { ...rest, follow: false }), maxBytes, `the logs of ${id} (read them with logs() instead)`);
}

/** The output as lines, per stream; see `ContainersApi.logLines`. */
export async function* logLines(ctx: EngineContext, id: string, options: ContainerLogsOptions = {}): AsyncGenerator<LogLine, void, undefined> {
  const splitters = new Map<StreamName, LineSplitter>();
  const timestamps = options.timestamps === true;
  for await (const f of openLogs(ctx, id, options)) {
    let splitter = splitters.get(f.stream);
    if (!splitter) splitters.set(f.stream, (splitter = new LineSplitter()));
    for (const line of splitter.push(f.data)) yield toLogLine(f.stream, line, timestamps);
  }
  for (const [stream, splitter] of splitters) {
    const rest = splitter.flush();
    if (rest !== undefined) yield toLogLine(stream, rest, timestamps);
  }
}

/** The query of a logs request, checked before anything is sent. */
function logsQuery(options: ContainerLogsOptions): Record<string, string | number | boolean | undefined> {
  const stdout = options.stdout ?? true;
  const stderr = options.stderr ?? true;
  if (!stdout && !stderr) throw new DockerArgumentError('logs: choose at least one of stdout and stderr');
  const { tail } = options;
  if (tail !== undefined && tail !== 'all' && !(Number.isInteger(tail) && tail >= 0)) {
    throw new DockerArgumentError(`logs: tail must be a non-negative integer or 'all', got ${String(tail)}`);
  }
  return {
    follow: options.follow, stdout, stderr,
    since: options.since === undefined ? undefined : unixTime(options.since, 'logs since'),
    until: options.until === undefined ? undefined : unixTime(options.until, 'logs until'),
    timestamps: options.timestamps, tail, details: options.details,
  };
}

function toLogLine(stream: StreamName, text: string, timestamps: boolean): LogLine {
  const line = text.endsWith('\r') ? text.slice(0, -1) : text;
  if (!timestamps) return { stream, line };
  const space = line.indexOf(' ');
  return space < 0 ? { stream, line: '', timestamp: line } : { stream, line: line.slice(space + 1), timestamp: line.slice(0, space) };
}

/** The longest line kept whole (characters); a longer unterminated line is handed out in pieces of this size. */
export const MAX_LOG_LINE_CHARS = 1 << 20;

/** Splits one stream's bytes into UTF-8 lines (a character split across frames stays whole). */
class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  push(data: Buffer): string[] {
    const parts = (this.partial + this.decoder.write(data)).split('\n');
    this.partial = parts.pop() ?? '';
    while (this.partial.length > MAX_LOG_LINE_CHARS) {
      parts.push(this.partial.slice(0, MAX_LOG_LINE_CHARS));
      this.partial = this.partial.slice(MAX_LOG_LINE_CHARS);
    }
    return parts;
  }

  flush(): string | undefined {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    return rest === '' ? undefined : rest;
  }
}
