/**
 * The engine's stream formats on their own: `berth/streams`. Demultiplexing
 * of attach, exec and logs output and the JSON-lines progress of pull,
 * push, build and load, over any byte source (a Node Readable or an async
 * iterable of chunks: a saved log, another client's response body), with
 * the typed errors they raise. Importing it loads neither the HTTP client
 * nor anything else of the engine; `berth` exports all of it too.
 */
export * from '../errors.js';
export {
  demux, demuxToStreams, demuxBuffer, splitOutput, rawFrames, outputFrames, isMultiplexed, FrameDecoder,
  DEFAULT_MAX_FRAME_BYTES, MULTIPLEXED_STREAM, RAW_STREAM,
  type Frame, type StreamName, type DemuxOptions, type DemuxToStreamsOptions, type DemuxedStreams, type FrameDecoderOptions,
} from './demux.js';
export {
  jsonLines, progress, progressError, LineDecoder, JsonLineDecoder, DEFAULT_MAX_LINE_BYTES, DEFAULT_TRANSCRIPT_LINES,
  type JsonLinesOptions, type ProgressOptions, type LineDecoderOptions,
} from './json-lines.js';
export { messageStream, messageStreamError } from './messages.js';
export { LineAssembler, Transcript, statusLine } from './transcript.js';
export { DecodedStream, type ByteSource, type StreamOptions, type ChunkDecoder } from './source.js';
export type * from '../types/progress.js';
