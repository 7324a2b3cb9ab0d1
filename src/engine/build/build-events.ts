import { Buffer } from 'node:buffer';
import { DockerProtocolError, DockerStreamError, type RequestInfo } from '../errors.js';
import { isObject } from '../json.js';
import { JsonLineDecoder, asProgressMessage, progressError, type LineDecoderOptions } from '../streams/json-lines.js';
import type { ChunkDecoder } from '../streams/source.js';
import { LineAssembler, Transcript, statusLine } from '../streams/transcript.js';
import type { ProgressMessage } from '../types/progress.js';

/**
 * The output of a classic build (`POST /build`, `version=1`) as typed
 * events: the `stream` text reassembled into whole lines (a message may hold
 * several lines or part of one), step headers recognised on both engines
 * (dockerd `Step 2/5 : RUN …`, podman `STEP 2/5: RUN …`), pull progress of
 * `FROM` images, and the built image's id. The decoder also keeps the last
 * lines for the result's `log` and for errors, and finds the image id the
 * way every engine reports it. Memory is constant in the stream's length.
 */

/** A step header: `Step 2/5 : RUN make` (dockerd) or `STEP 2/5: RUN make` (podman). */
export interface BuildStepEvent {
  readonly type: 'step';
  /** 1-based step number. */
  readonly step: number;
  /** The number of steps, when the engine says (it always does for classic builds). */
  readonly total: number | undefined;
  /** The instruction as the engine echoed it: `RUN make`. */
  readonly instruction: string;
  /** The whole line. */
  readonly line: string;
}

/** A line of build output other than a step header: a `RUN`'s stdout or stderr, ` ---> 1a2b3c`, `Successfully built …`. */
export interface BuildOutputEvent {
  readonly type: 'output';
  /** The line without its newline, colour codes or trailing `\r`. */
  readonly line: string;
}

/** A status message: pull progress of a `FROM` image (`--pull`, or an image the engine lacks). */
export interface BuildStatusEvent {
  readonly type: 'status';
  /** The status as one line (`<id>: <status>`), or undefined for a progress tick. */
  readonly line: string | undefined;
  readonly message: ProgressMessage;
}

/** The engine reported the built image: `aux.ID`. */
export interface BuildImageEvent {
  readonly type: 'image';
  /** `sha256:…` */
  readonly id: string;
}

/** Structured data the decoder does not interpret (an `aux` other than the image id). */
export interface BuildAuxEvent {
  readonly type: 'aux';
  readonly aux: unknown;
  readonly message: ProgressMessage;
}

/** One event of a build's progress. */
export type BuildEvent = BuildStepEvent | BuildOutputEvent | BuildStatusEvent | BuildImageEvent | BuildAuxEvent;

/** Options of {@link BuildEventDecoder}. */
export interface BuildEventDecoderOptions extends LineDecoderOptions {
  /** Lines kept for `log` and error transcripts. */
  logLines: number;
  /** The build ran with `q=1`: the engine prints only the image id. */
  quiet?: boolean | undefined;
}

const STEP = /^(?:Step|STEP) (\d+)(?:\/(\d+))? ?: ?(.*)$/;
const SUCCESSFULLY_BUILT = /^Successfully built ([0-9a-f]{12,64})$/;
/** A quiet build's only line: `sha256:<hex>` (dockerd) or the bare hex (podman). */
const QUIET_ID = /^(?:sha256:)?([0-9a-f]{64})$/;
/** podman's message for a failed `RUN`; it sends no `errorDetail.code`. */
const PODMAN_RUN_EXIT = /while running runtime: exit status (\d+)\s*$/;

/**
 * Decodes a build's JSON progress stream into {@link BuildEvent}s. An
 * in-band error becomes a {@link DockerStreamError} carrying the step's exit
 * code (dockerd's `errorDetail.code`, or the status in podman's message) and
 * the last lines of output.
 */
export class BuildEventDecoder implements ChunkDecoder<BuildEvent> {
  private readonly json: JsonLineDecoder;
  private readonly assembler = new LineAssembler();
  private readonly log: Transcript;
  private readonly quiet: boolean;
  private readonly request: RequestInfo | undefined;
  private readonly where: string;
  private readonly pending: BuildEvent[] = [];
  private pendingAt = 0;
  private ended = false;
  private auxId: string | undefined;
  private builtId: string | undefined;
  private quietId: string | undefined;

  constructor(options: BuildEventDecoderOptions) {
    this.json = new JsonLineDecoder(options);
    this.log = new Transcript(options.logLines);
    this.quiet = options.quiet === true;
    this.request = options.request;
    this.where = options.request ? ` (${options.request.method} ${options.request.path})` : '';
  }

  push(chunk: Buffer): void {
    this.json.push(chunk);
  }

  read(): BuildEvent | undefined {
    for (;;) {
      if (this.pendingAt < this.pending.length) {
        const event = this.pending[this.pendingAt++] as BuildEvent;
        if (this.pendingAt === this.pending.length) {
          this.pending.length = 0;
          this.pendingAt = 0;
        }
        return event;
      }
      const obj = this.json.read();
      if (obj === undefined) {
        if (this.ended) {
          // an unterminated last line; not the colour reset dockerd sends after a RUN's stderr
          const rest = this.assembler.flush();
          if (rest !== undefined && rest !== '') {
            this.line(rest);
            continue;
          }
        }
        return undefined;
      }
      this.message(asProgressMessage(obj, this.where));
    }
  }

  end(): void {
    this.json.end();
    this.ended = true;
  }

  /** The image id the stream reported: `aux.ID`, else a quiet build's id line, else the `Successfully built` short id. */
  get id(): string | undefined {
    return this.auxId ?? this.quietId ?? this.builtId;
  }

  /** The last lines of output, oldest first. */
  lines(): string[] {
    return this.log.lines();
  }

  /**
   * The id of the built image once the stream has ended: a stream that ends
   * without an error but also without saying what it built is not taken for
   * success ({@link DockerProtocolError}).
   */
  finalId(): string {
    const id = this.id;
    if (id !== undefined) return id;
    const tail = this.lines().slice(-5).join(' | ');
    throw new DockerProtocolError(`the build stream ended without an error but did not report the image it built (no aux.ID, no "Successfully built" line)${this.where}${tail ? `; last output: ${tail}` : ''}`);
  }

  private message(message: ProgressMessage): void {
    const error = progressError(message);
    if (error) {
      const rest = this.assembler.flush();
      if (rest !== undefined && rest !== '') this.log.add(rest);
      const exit = error.code ?? podmanExitCode(error.message);
      throw new DockerStreamError(error.message, { errorCode: exit, transcript: this.log.lines(), request: this.request });
    }
    if (typeof message.stream === 'string') {
      for (const line of this.assembler.push(message.stream)) this.line(line);
    }
    if (typeof message.status === 'string') {
      const line = statusLine(message);
      if (line !== undefined) this.log.add(line);
      this.pending.push({ type: 'status', line, message });
    }
    if (message.aux !== undefined) {
      const aux = message.aux;
      if (isObject(aux) && typeof aux.ID === 'string' && aux.ID !== '') {
        this.auxId = aux.ID;
        this.pending.push({ type: 'image', id: aux.ID });
      } else {
        this.pending.push({ type: 'aux', aux, message });
      }
    }
  }

  private line(line: string): void {
    this.log.add(line);
    const step = STEP.exec(line);
    if (step) {
      const total = step[2] === undefined ? undefined : Number(step[2]);
      this.pending.push({ type: 'step', step: Number(step[1]), total, instruction: step[3] ?? '', line });
      return;
    }
    const built = SUCCESSFULLY_BUILT.exec(line);
    if (built) this.builtId = built[1];
    else if (this.quiet) {
      const quiet = QUIET_ID.exec(line);
      if (quiet) this.quietId = `sha256:${quiet[1] ?? ''}`;
    }
    this.pending.push({ type: 'output', line });
  }
}

/** The exit status in podman's message for a failed `RUN` (`… while running runtime: exit status 7`). */
export function podmanExitCode(message: string): number | undefined {
  const m = PODMAN_RUN_EXIT.exec(message);
  return m ? Number(m[1]) : undefined;
}
