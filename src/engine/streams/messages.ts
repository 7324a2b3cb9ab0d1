import { Buffer } from 'node:buffer';
import { DockerStreamError, type DockerError, type RequestInfo } from '../errors.js';
import { isObject, type JsonObject } from '../json.js';
import { JsonLineDecoder, podmanStreamError, type JsonLinesOptions } from './json-lines.js';
import { DecodedStream, type ByteSource, type ChunkDecoder } from './source.js';

/**
 * Streams of JSON messages that are not progress (events, streamed stats):
 * the engine has answered 200 before it knows whether the stream will
 * fail, so a failure comes in-band, as a message of its own — dockerd's
 * `{"errorDetail", "error"}` shape, or podman's error body
 * `{"cause", "message", "response": 500}`. That message ends the stream with a
 * {@link DockerStreamError}; every other object is handed out as is.
 */

/** The engine error an object of a message stream is, if it is one. */
export function messageStreamError(obj: JsonObject): { message: string; code: number | undefined } | undefined {
  const podman = podmanStreamError(obj);
  if (podman) return podman;
  const detail = isObject(obj.errorDetail) ? obj.errorDetail : undefined;
  const detailMessage = typeof detail?.message === 'string' && detail.message.trim() !== '' ? detail.message.trim() : undefined;
  const error = typeof obj.error === 'string' && obj.error.trim() !== '' ? obj.error.trim() : undefined;
  const hasDetail = detail !== undefined && (typeof detail.message === 'string' || typeof detail.code === 'number');
  if (!hasDetail && error === undefined) return undefined;
  const code = typeof detail?.code === 'number' && Number.isFinite(detail.code) ? detail.code : undefined;
  return { message: detailMessage ?? error ?? 'the engine reported an error without a message', code };
}

/** Decodes JSON lines and turns an engine error message into a {@link DockerStreamError}. */
class MessageDecoder implements ChunkDecoder<JsonObject> {
  private readonly json: JsonLineDecoder;
  private readonly request: RequestInfo | undefined;
  private failure: DockerError | undefined;

  constructor(options: JsonLinesOptions) {
    this.json = new JsonLineDecoder(options);
    this.request = options.request;
  }

  push(chunk: Buffer): void {
    if (this.failure) throw this.failure;
    this.json.push(chunk);
  }

  read(): JsonObject | undefined {
    if (this.failure) throw this.failure;
    const obj = this.json.read();
    if (obj === undefined) return undefined;
    const error = messageStreamError(obj);
    if (error) {
      this.failure = new DockerStreamError(error.message, { errorCode: error.code, request: this.request });
      throw this.failure;
    }
    return obj;
  }

  end(): void {
    if (this.failure) throw this.failure;
    this.json.end();
  }
}

/**
 * The objects of an events or stats stream, as the consumer asks for them:
 * {@link jsonLines} whose engine error messages reject with a
 * {@link DockerStreamError} (after the objects before them).
 */
export function messageStream(source: ByteSource, options: JsonLinesOptions = {}): DecodedStream<JsonObject> {
  return new DecodedStream(source, new MessageDecoder(options), options);
}
