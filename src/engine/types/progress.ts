import type { ErrorDetail, ProgressDetail } from './common.js';

/**
 * JSON progress messages (pull, push, build, load, import), field names as
 * the engine sends them (`jsonmessage.JSONMessage`). Every field is
 * optional: a message carries the few that apply to it. `errorDetail.code`
 * is, for a failed `RUN` in a classic build, the command's exit code.
 */

/** One message of a JSON progress stream. */
export interface ProgressMessage {
  /** Build output text; may hold several lines, or part of one. */
  stream?: string;
  /** A status line (`Pulling fs layer`, `Download complete`, `Digest: sha256:…`). */
  status?: string;
  /** What the status is about: a layer id, a tag, or an aux id such as `moby.image.id`. */
  id?: string;
  /** A pre-rendered progress bar (engines before docker 29). */
  progress?: string;
  progressDetail?: ProgressDetail;
  errorDetail?: ErrorDetail;
  /** The error text (legacy; sent next to `errorDetail`). */
  error?: string;
  /** Structured data: the built image id `{ ID }`, push results `{ Tag, Digest, Size }`, BuildKit traces. */
  aux?: unknown;
  /** Legacy event fields. */
  from?: string;
  time?: number;
  timeNano?: number;
}
