import { Buffer } from 'node:buffer';
import { DockerProtocolError, DockerStreamError, type DockerError, type RequestInfo } from '../errors.js';
import { describeJson, isObject, type JsonObject } from '../json.js';
import type { ProgressMessage } from '../types/progress.js';
import { DecodedStream, type ByteSource, type ChunkDecoder, type StreamOptions } from './source.js';
import { ProgressTranscript } from './transcript.js';
import { decodeLines } from './utf8-lines.js';

/**
 * Newline-delimited JSON streams (events, stats, and the progress streams of
 * pull, push, build, load and import): split on `\n`, blank lines skipped,
 * one JSON object per line.
 *
 * Lines are found in the bytes, not in decoded text: `\n` never occurs
 * inside a UTF-8 multi-byte sequence, so everything up to a chunk's last
 * newline is whole lines, decoded at once (ASCII lines without leaving
 * the decoder's fast path: see {@link decodeLines}), and a character split
 * across chunks is decoded whole with the rest of its line. Each byte is scanned
 * once (a line arriving in many chunks is joined once, when its newline
 * comes), and a line longer than `maxLineBytes` fails as soon as it passes
 * the limit: memory stays bounded whatever the engine sends.
 */

/** The longest line accepted by default: 16 MiB. */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

const NEWLINE = 0x0a;
const RECORD_SEPARATOR = 0x1e;
const OPEN_BRACE = 0x7b;
const BLANK = /^[ \t\r]*$/;
const NO_LINES: readonly string[] = [];

export interface LineDecoderOptions {
  /** The longest line accepted, in bytes; a longer one is a {@link DockerProtocolError} (default 16 MiB). */
  maxLineBytes?: number | undefined;
  /** The request the stream answers, named in errors. */
  request?: RequestInfo | undefined;
}

/** Options of {@link jsonLines}. */
export interface JsonLinesOptions extends StreamOptions, LineDecoderOptions {}

/**
 * An incremental splitter of `\n`-terminated UTF-8 lines. A `\r` before the
 * newline is kept (callers that care trim it). After `end()`, `read()`
 * returns the unterminated last line, if any.
 */
export class LineDecoder implements ChunkDecoder<string> {
  private readonly maxLineBytes: number;
  private readonly request: RequestInfo | undefined;
  /** Whole lines decoded from the last chunk, and the next one to hand out. */
  private block: readonly string[] = NO_LINES;
  private next = 0;
  private readonly queued: Buffer[] = [];
  /** The bytes of a line that straddles chunks. */
  private pieces: Buffer[] = [];
  private pendingBytes = 0;
  private ended = false;
  /** An error found past lines not yet handed out: thrown once they are. */
  private deferred: DockerError | undefined;
  private failure: DockerError | undefined;
  /** Lines handed out so far (for messages). */
  lines = 0;

  constructor(options: LineDecoderOptions = {}) {
    const max = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    if (!(max > 0)) throw new RangeError(`maxLineBytes must be a positive number, got ${max}`);
    this.maxLineBytes = max;
    this.request = options.request;
  }

  /** Adds bytes; lines are taken with {@link read}. */
  push(chunk: Buffer): void {
    if (this.failure) throw this.failure;
    if (chunk.length > 0) this.queued.push(chunk);
  }

  /** The next line (without its `\n`), or undefined when more bytes are needed. */
  read(): string | undefined {
    if (this.failure) throw this.failure;
    for (;;) {
      if (this.next < this.block.length) {
        const line = this.block[this.next++] as string;
        // a UTF-16 unit is at most 3 UTF-8 bytes: count bytes only for lines that may be too long
        if (line.length * 3 > this.maxLineBytes && Buffer.byteLength(line, 'utf8') > this.maxLineBytes) throw this.fail(this.tooLong(this.lines + 1));
        this.lines++;
        return line;
      }
      if (this.deferred) throw this.fail(this.deferred);
      const chunk = this.queued.shift();
      if (chunk !== undefined) {
        this.split(chunk);
        continue;
      }
      if (this.ended && this.pieces.length > 0) {
        const rest = Buffer.concat(this.pieces, this.pendingBytes).toString('utf8');
        this.pieces = [];
        this.pendingBytes = 0;
        this.lines++;
        return rest;
      }
      return undefined;
    }
  }

  /** The source ended: the unterminated last line becomes readable. */
  end(): void {
    if (this.failure) throw this.failure;
    this.ended = true;
  }

  /** " (METHOD path)" for messages, or ''. */
  where(): string {
    return this.request ? ` (${this.request.method} ${this.request.path})` : '';
  }

  private split(chunk: Buffer): void {
    const last = chunk.lastIndexOf(NEWLINE);
    if (last < 0) {
      this.hold(chunk, this.lines + 1);
      return;
    }
    let head: string | undefined;
    let start = 0;
    if (this.pieces.length > 0) {
      const first = chunk.indexOf(NEWLINE);
      const size = this.pendingBytes + first;
      if (size > this.maxLineBytes) throw this.fail(this.tooLong(this.lines + 1));
      this.pieces.push(chunk.subarray(0, first));
      head = Buffer.concat(this.pieces, size).toString('utf8');
      this.pieces = [];
      this.pendingBytes = 0;
      start = first + 1;
    }
    const body = start <= last ? decodeLines(chunk, start, last) : NO_LINES;
    this.block = head === undefined ? body : [head, ...body];
    this.next = 0;
    if (last + 1 < chunk.length) this.hold(chunk.subarray(last + 1), this.lines + this.block.length + 1);
  }

  /** Keeps the start of an unterminated line; past the limit, fails (after the lines before it). */
  private hold(bytes: Buffer, lineNumber: number): void {
    this.pendingBytes += bytes.length;
    if (this.pendingBytes > this.maxLineBytes) {
      this.pieces = [];
      this.deferred = this.tooLong(lineNumber);
      return;
    }
    this.pieces.push(bytes);
  }

  private tooLong(lineNumber: number): DockerError {
    return new DockerProtocolError(`line ${lineNumber} of the stream exceeds ${this.maxLineBytes} bytes (maxLineBytes)${this.where()}`);
  }

  private fail(err: DockerError): DockerError {
    this.failure = err;
    this.block = NO_LINES;
    this.pieces = [];
    this.queued.length = 0;
    return err;
  }
}

/**
 * Decodes newline-delimited JSON objects. Blank lines are skipped, a `\r`
 * before the newline is ignored (the engine ends messages with `\r\n`), and
 * a leading record separator (RFC 7464 `application/json-seq`) is dropped.
 * A line that is not JSON, or JSON that is not an object, is a
 * {@link DockerProtocolError}.
 */
export class JsonLineDecoder implements ChunkDecoder<JsonObject> {
  private readonly lines: LineDecoder;

  constructor(options: LineDecoderOptions = {}) {
    this.lines = new LineDecoder(options);
  }

  /** Adds bytes; objects are taken with {@link read}. */
  push(chunk: Buffer): void {
    this.lines.push(chunk);
  }

  /** The next object, or undefined when more bytes are needed. Throws a {@link DockerProtocolError} at a bad line. */
  read(): JsonObject | undefined {
    for (let line = this.lines.read(); line !== undefined; line = this.lines.read()) {
      const value = this.parse(line);
      if (value !== undefined) return value;
    }
    return undefined;
  }

  /** The source ended: an unterminated last line is still read. */
  end(): void {
    this.lines.end();
  }

  /** Parses one line; undefined for a blank one. */
  private parse(raw: string): JsonObject | undefined {
    let text = raw;
    if (text.charCodeAt(0) !== OPEN_BRACE) {
      if (text.charCodeAt(0) === RECORD_SEPARATOR) text = text.slice(1);
      if (BLANK.test(text)) return undefined;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      // SyntaxError, or RangeError from nesting or sizes the parser cannot take
      const sample = text.length > 80 ? `${text.slice(0, 80)}…` : text;
      throw new DockerProtocolError(`line ${this.lines.lines} of the stream is not JSON${this.lines.where()}: ${JSON.stringify(sample)}`, { cause: err });
    }
    if (!isObject(value)) {
      throw new DockerProtocolError(`line ${this.lines.lines} of the stream is ${describeJson(value)}, not a JSON object${this.lines.where()}`);
    }
    return value;
  }
}

/**
 * The objects of a newline-delimited JSON stream (events, stats), as the
 * consumer asks for them. Rejects with a {@link DockerProtocolError} on a
 * malformed or oversized line, a {@link DockerAbortError} on `signal`; the
 * source is destroyed when the consumer stops early.
 */
export function jsonLines(source: ByteSource, options: JsonLinesOptions = {}): DecodedStream<JsonObject> {
  return new DecodedStream(source, new JsonLineDecoder(options), options);
}

/** Lines of output kept for a {@link DockerStreamError}'s transcript by default. */
export const DEFAULT_TRANSCRIPT_LINES = 50;

/** Options of {@link progress}. */
export interface ProgressOptions extends JsonLinesOptions {
  /** How many of the last human-readable lines a {@link DockerStreamError} carries (default 50). */
  transcriptLines?: number | undefined;
}

/** The wire type of each field berth reads (one lookup per field of every message). */
const FIELD_TYPES: ReadonlyMap<string, 'string' | 'number' | 'object'> = new Map([
  ['stream', 'string'], ['status', 'string'], ['id', 'string'], ['progress', 'string'], ['error', 'string'], ['from', 'string'],
  ['time', 'number'], ['timeNano', 'number'],
  ['progressDetail', 'object'], ['errorDetail', 'object'],
]);

/**
 * Narrows a stream object to a {@link ProgressMessage}: the fields berth
 * reads must have their wire types (a wrong type is a
 * {@link DockerProtocolError}); `null` stands for an absent field.
 */
export function asProgressMessage(obj: JsonObject, where = ''): ProgressMessage {
  // the common case, every field absent or of its type, in ten reads; anything else is looked at key by key
  const { stream, status, id, progress, error, from, time, timeNano, progressDetail, errorDetail } = obj;
  if (
    (stream === undefined || typeof stream === 'string') && (status === undefined || typeof status === 'string')
    && (id === undefined || typeof id === 'string') && (progress === undefined || typeof progress === 'string')
    && (error === undefined || typeof error === 'string') && (from === undefined || typeof from === 'string')
    && (time === undefined || typeof time === 'number') && (timeNano === undefined || typeof timeNano === 'number')
    && (progressDetail === undefined || isObject(progressDetail)) && (errorDetail === undefined || isObject(errorDetail))
  ) {
    return obj as ProgressMessage;
  }
  return checkFields(obj, where);
}

/** {@link asProgressMessage} key by key: drops `null` fields, names the first field of a wrong type. */
function checkFields(obj: JsonObject, where: string): ProgressMessage {
  let nulls: string[] | undefined;
  for (const key in obj) {
    const expected = FIELD_TYPES.get(key);
    if (expected === undefined) continue;
    const value = obj[key];
    if (value === null) {
      (nulls ??= []).push(key);
      continue;
    }
    const ok = expected === 'object' ? isObject(value) : typeof value === expected;
    if (!ok) throw new DockerProtocolError(`progress message field "${key}" should be ${expected === 'object' ? 'an object' : `a ${expected}`}, got ${describeJson(value)}${where}`);
  }
  if (nulls === undefined) return obj as ProgressMessage;
  const copy: Record<string, unknown> = { ...obj };
  for (const key of nulls) delete copy[key];
  return copy as ProgressMessage;
}

/**
 * podman's error body written into a stream it already answered 200:
 * `{"cause", "message", "response": 500}` (its compat events and stats
 * handlers do this when the source fails), or undefined.
 */
export function podmanStreamError(obj: JsonObject): { message: string; code: number | undefined } | undefined {
  const status = obj.response;
  if (typeof status !== 'number' || status < 400 || typeof obj.message !== 'string') return undefined;
  const cause = typeof obj.cause === 'string' && obj.cause !== '' && !obj.message.includes(obj.cause) ? `: ${obj.cause}` : '';
  return { message: `${obj.message.trim() || `the engine failed with status ${status}`}${cause}`, code: undefined };
}

/**
 * The in-band error a message carries, if any: `errorDetail` or `error`
 * (dockerd, and podman's progress streams), or podman's error body
 * (see {@link podmanStreamError}).
 */
export function progressError(message: ProgressMessage): { message: string; code: number | undefined } | undefined {
  const podman = podmanStreamError(message as JsonObject);
  if (podman) return podman;
  const detail = message.errorDetail;
  const hasDetail = detail !== undefined && (typeof detail.message === 'string' || typeof detail.code === 'number');
  const hasError = typeof message.error === 'string' && message.error !== '';
  if (!hasDetail && !hasError) return undefined;
  const text = (typeof detail?.message === 'string' && detail.message !== '' ? detail.message : undefined)
    ?? (hasError ? message.error : undefined)
    ?? 'the engine reported an error without a message';
  const code = typeof detail?.code === 'number' && Number.isFinite(detail.code) ? detail.code : undefined;
  return { message: text.trim(), code };
}

/** Decodes progress messages and turns an in-band error into a {@link DockerStreamError} with the transcript. */
class ProgressDecoder implements ChunkDecoder<ProgressMessage> {
  private readonly json: JsonLineDecoder;
  private readonly transcript: ProgressTranscript;
  private readonly request: RequestInfo | undefined;
  private readonly where: string;
  private failure: DockerError | undefined;

  constructor(options: ProgressOptions) {
    this.json = new JsonLineDecoder(options);
    this.transcript = new ProgressTranscript(options.transcriptLines ?? DEFAULT_TRANSCRIPT_LINES);
    this.request = options.request;
    this.where = options.request ? ` (${options.request.method} ${options.request.path})` : '';
  }

  push(chunk: Buffer): void {
    if (this.failure) throw this.failure;
    this.json.push(chunk);
  }

  read(): ProgressMessage | undefined {
    if (this.failure) throw this.failure;
    const obj = this.json.read();
    if (obj === undefined) return undefined;
    const message = asProgressMessage(obj, this.where);
    // only a message with one of these fields can be an error
    const error = message.errorDetail !== undefined || message.error !== undefined || obj.response !== undefined ? progressError(message) : undefined;
    if (error) {
      this.failure = new DockerStreamError(error.message, { errorCode: error.code, transcript: this.transcript.lines(), request: this.request });
      throw this.failure;
    }
    this.transcript.add(message);
    return message;
  }

  end(): void {
    if (this.failure) throw this.failure;
    this.json.end();
  }
}

/**
 * The messages of a JSON progress stream (pull, push, build, load,
 * import). The HTTP status was 200, but that is not success: a message
 * with `errorDetail` or `error` rejects with a {@link DockerStreamError}
 * whose `engineMessage` is the error text, `errorCode` the engine's code
 * (a failed classic-build `RUN`'s exit code) and `transcript` the last
 * human-readable lines before it. The stream succeeded when it ends
 * without one. Memory is constant in the stream's length.
 */
export function progress(source: ByteSource, options: ProgressOptions = {}): DecodedStream<ProgressMessage> {
  return new DecodedStream(source, new ProgressDecoder(options), options);
}
