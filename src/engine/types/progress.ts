/**
 * JSON progress messages (pull, push, build, load, import), field names as
 * the engine sends them (`jsonmessage.JSONMessage`). Every field is
 * optional: a message carries the few that apply to it.
 */

/** Progress of one layer or step. */
export interface ProgressDetail {
  current?: number;
  total?: number;
  /** Unix seconds the operation started. */
  start?: number;
  /** Show only the current value, without a total. */
  hidecounts?: boolean;
  /** `bytes` (the default) or e.g. `items`. */
  units?: string;
}

/** An error reported inside a 200 stream. */
export interface ErrorDetail {
  /** For a failed `RUN` in a classic build: the command's exit code. */
  code?: number;
  message?: string;
}

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
