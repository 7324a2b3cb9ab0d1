/**
 * One message of a JSON progress stream (`POST /images/create`, `POST
 * /build`, push, load), as the engine sends it. Every field is optional and
 * read-only, so any structurally compatible message type (the engine's
 * typed stream) can be passed as is.
 */
export interface ProgressMessage {
  /** Build output: text with zero, one or several lines, possibly partial. */
  readonly stream?: string | undefined;
  /** A status line: `Downloading`, `Pull complete`, `Digest: sha256:…`. */
  readonly status?: string | undefined;
  /** The layer id (or tag) the status is about. */
  readonly id?: string | undefined;
  /** A pre-rendered bar (not sent by docker 29+); ignored, the renderer draws its own. */
  readonly progress?: string | undefined;
  readonly progressDetail?: ProgressDetail | undefined;
  readonly errorDetail?: { readonly code?: number | undefined; readonly message?: string | undefined } | undefined;
  /** The error text (sent next to errorDetail). */
  readonly error?: string | undefined;
  /** Extra data: `{ ID }` at the end of a build, BuildKit traces, push results. */
  readonly aux?: unknown;
}

export interface ProgressDetail {
  readonly current?: number | undefined;
  readonly total?: number | undefined;
  /** Units of current/total when they are not bytes. */
  readonly units?: string | undefined;
  /** Show no counts, only the status. */
  readonly hidecounts?: boolean | undefined;
}
