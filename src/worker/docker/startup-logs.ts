import { StringDecoder } from 'node:string_decoder';
import { LineAssembler, Transcript, type Docker, type Frame, type StreamName } from '../../engine/index.js';
import type { Redactor } from './redactor.js';

/**
 * A container's output from its first byte: attached before the start (as
 * `docker run` does, with the output produced so far replayed), read in the
 * background line by line, every line redacted, the last lines kept in a
 * bounded ring for crash reports. The reader never holds the worker's
 * start/stop lock (Buildbot followed the logs inside the start, so a quiet
 * container blocked every stop: #6405); it ends when the container stops
 * or {@link StartupLogs.close} is called.
 */

/** What the reader tells its owner. */
export interface StartupLogsOptions {
  readonly redactor: Redactor;
  /** How many lines the ring keeps (default 100). */
  readonly keepLines?: number;
  /** Called with every line, already redacted, while the reader runs. */
  readonly onLine?: (stream: StreamName, line: string) => void;
}

/** The default number of lines kept for crash reports. */
export const STARTUP_LOG_LINES = 100;

/** Where output frames come from: an attach, or a followed logs stream. */
export interface FrameSource {
  frames(): AsyncIterable<Frame>;
  /** Stops the source; the reader's loop then ends. */
  close(): void;
}

/** The background reader of one container's (or service's) startup output. */
export class StartupLogs {
  private readonly stdio: FrameSource;
  private readonly redactor: Redactor;
  private readonly ring: Transcript;
  private readonly onLine: ((stream: StreamName, line: string) => void) | undefined;
  private readonly finished: Promise<void>;
  private closedByOwner = false;

  private constructor(stdio: FrameSource, options: StartupLogsOptions) {
    this.stdio = stdio;
    this.redactor = options.redactor;
    this.ring = new Transcript(options.keepLines ?? STARTUP_LOG_LINES);
    this.onLine = options.onLine;
    this.finished = this.read();
  }

  /**
   * Attaches to container `id` (stdout and stderr, the output so far
   * included) and starts reading. Resolves once the engine accepted the
   * attach: start the container after that to miss nothing.
   */
  static async attach(docker: Docker, id: string, options: StartupLogsOptions & { signal?: AbortSignal }): Promise<StartupLogs> {
    const stdio = await docker.containers.attach(id, {
      stream: true, stdout: true, stderr: true, logs: true, ...(options.signal ? { signal: options.signal } : {}),
    });
    return new StartupLogs(stdio, options);
  }

  /**
   * Reads output that is already flowing: a followed logs stream (a Swarm
   * service's, where no attach is possible).
   */
  static follow(frames: AsyncIterableIterator<Frame, undefined>, options: StartupLogsOptions): StartupLogs {
    return new StartupLogs({ frames: () => frames, close: () => void frames.return?.().catch(() => undefined) }, options);
  }

  /** Resolves when the output ended: the container stopped, the connection broke, or {@link close}. Never rejects. */
  get ended(): Promise<void> {
    return this.finished;
  }

  /** The last lines, oldest first (redacted). */
  lines(): string[] {
    return this.ring.lines();
  }

  /** Stops reading (the worker attached, or the container is being removed); the kept lines stay. */
  close(): void {
    this.closedByOwner = true;
    this.stdio.close();
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.closedByOwner;
  }

  private async read(): Promise<void> {
    const streams = new Map<StreamName, { decoder: StringDecoder; lines: LineAssembler }>();
    const emit = (stream: StreamName, line: string): void => {
      const clean = this.redactor.text(line);
      this.ring.add(clean);
      if (!this.closedByOwner) this.onLine?.(stream, clean);
    };
    try {
      for await (const frame of this.stdio.frames()) {
        let s = streams.get(frame.stream);
        if (s === undefined) streams.set(frame.stream, (s = { decoder: new StringDecoder('utf8'), lines: new LineAssembler() }));
        for (const line of s.lines.push(s.decoder.write(frame.data))) emit(frame.stream, line);
      }
    } catch {
      // the connection closed under the reader (close(), the container removed): what was read is kept
    } finally {
      for (const [stream, s] of streams) {
        const rest = s.lines.push(s.decoder.end());
        for (const line of rest) emit(stream, line);
        const last = s.lines.flush();
        if (last !== undefined) emit(stream, last);
      }
      this.stdio.close();
    }
  }
}
