import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isObject } from '../engine/json.js';

/**
 * The fixture format: one JSON file per scenario, exchanges in order,
 * recorded from a real engine through the recording proxy.
 */

/** A recorded request. `path` includes the version prefix (`/v1.41/containers/create`). */
export interface FixtureRequest {
  method: string;
  path: string;
  /** Decoded query; repeated keys become arrays. A value `"<any>"` matches anything. */
  query?: Record<string, string | string[]>;
  /** The headers that matter (content-type, registry auth — scrubbed). */
  headers?: Record<string, string>;
  /** A JSON body. Strings `"<any>"`/`"<redacted>"` (or ending in them) match any value on replay. */
  body?: unknown;
  /** A short text body that was not JSON. */
  bodyText?: string;
  /** The size of a body too big or too binary to keep (a build context). */
  bodyBytes?: number;
  /** Whether replay compares the body (default: true when `body` is present). */
  matchBody?: boolean;
}

/** A recorded response to a plain (non-upgraded) request. */
export interface FixtureResponse {
  statusCode: number;
  statusMessage?: string;
  headers: Record<string, string | string[]>;
  /** A JSON body (re-serialised on replay). */
  body?: unknown;
  /** A non-JSON body, sent as is. */
  bodyText?: string;
  /** A streamed body: base64 chunks with the recorded boundaries, sent chunked. */
  chunks?: string[];
  /** The client hung up before the engine ended the stream: replay keeps it open. */
  open?: boolean;
  /**
   * When the engine sent the parts of a long answer, counted in requests the
   * client had made by then (this one included): replay holds each part
   * until it has seen as many requests. Parts not listed (or 0) went out at
   * once. This keeps what a client saw in order: the result of a wait
   * registered before a start arrives after the stop that ended the
   * container, not with the wait's headers.
   */
  timing?: ResponseTiming;
}

/** See {@link FixtureResponse.timing}. */
export interface ResponseTiming {
  /** For each of `chunks`: the requests made before the engine sent it (0: at once). */
  chunks?: number[];
  /** For a `body` or `bodyText`: the requests made before the engine had sent it whole. */
  body?: number;
  /** The requests made before the engine ended the stream. */
  end?: number;
}

/** A chunk the engine sent on an upgraded (hijacked) connection. */
export interface UpgradeChunk {
  data: string;
  /** How many bytes the client had sent before the engine sent this chunk. */
  afterClientBytes?: number;
  /** How many requests (this one included) the client had made before the engine sent this chunk. */
  afterRequests?: number;
}

/** A recorded hijack: the 101 head, then raw bytes each way. */
export interface FixtureUpgrade {
  statusLine: string;
  headers: Record<string, string>;
  toClient: Array<string | UpgradeChunk>;
  fromClient: string[];
  /** The engine ended its side after the last chunk (default true). */
  end?: boolean;
  /** How many requests the client had made before the engine ended its side (replay holds the end until then). */
  endAfterRequests?: number;
}

/**
 * A fault the replay server injects instead of (or into) the recorded
 * answer. On a hijack request (attach, exec start) the "body" is the
 * output after the 101 head, and a close at a frame boundary is the
 * normal end of it, so `close-mid-body` closes 4 bytes into the next
 * frame. Only `reset` sends a TCP RST (Node sends a FIN for a reset after
 * it has written); on a unix socket it is a close.
 */
export interface FixtureFault {
  kind:
    | 'close-mid-headers' // write part of the status line/headers, then close
    | 'close-mid-body' // write headers and `afterChunks` chunks, then close without the terminating chunk
    | 'reset' // destroy the socket at once (RST on TCP)
    | 'stall' // accept and never answer
    | 'stall-mid-body' // send headers and `afterChunks` chunks, then go silent
    | 'truncate' // cut the body after `bytes` bytes and end it cleanly (a frame or a JSON line cut short)
    | 'error-mid-stream' // send `afterChunks` chunks, then an in-band error (`format`) and end
    | 'refuse-upgrade' // answer with a plain-text HTTP error on the socket (`statusCode`, `message`, `contentType`)
    | 'huge-headers' // a header of `bytes` bytes (default 1 MiB), never ending the head
    | 'endless-body'; // headers, `prefix`, then `fill` repeated (with backpressure) until the client hangs up, or `bytes` were sent
  afterChunks?: number;
  bytes?: number;
  /** For refuse-upgrade and error-mid-stream (podman's `response`): the status. */
  statusCode?: number;
  /** For refuse-upgrade and error-mid-stream: the engine's message. */
  message?: string;
  /** For refuse-upgrade and huge-headers: the Content-Type. */
  contentType?: string;
  /**
   * For error-mid-stream: `progress` (dockerd's `{"errorDetail","error"}`
   * line, the default on plain requests), `podman` (podman's
   * `{"cause","message","response"}` error body written into a 200
   * stream) or `frame` (a stream-3 system-error frame, the default on
   * hijacked requests).
   */
  format?: 'progress' | 'podman' | 'frame';
  /** For endless-body: bytes sent first (`[` of a JSON array, a frame header), one character a byte (latin1). */
  prefix?: string;
  /** For endless-body: bytes repeated (default `x`), one character a byte (latin1). */
  fill?: string;
}

export interface Exchange {
  request: FixtureRequest;
  response?: FixtureResponse;
  upgrade?: FixtureUpgrade;
  /** May be served any number of times (pings) once the ordered exchanges pass it. */
  repeat?: boolean;
  fault?: FixtureFault;
  note?: string;
}

export interface Fixture {
  /** The engine that produced it, e.g. `dockerd-20.10.24` or `podman-4.3.1`. */
  engine: string;
  apiVersion: string;
  recordedAt: string;
  description?: string;
  exchanges: Exchange[];
}

/** Reads and checks a fixture file. */
export function loadFixture(path: string): Fixture {
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (!isObject(parsed) || !Array.isArray(parsed.exchanges)) throw new Error(`${path}: not a fixture (no exchanges array)`);
  for (const [i, ex] of (parsed.exchanges as unknown[]).entries()) {
    if (!isObject(ex) || !isObject(ex.request) || (ex.response === undefined && ex.upgrade === undefined && ex.fault === undefined)) {
      throw new Error(`${path}: exchange #${i} needs a request and a response, upgrade or fault`);
    }
  }
  return parsed as unknown as Fixture;
}

/** Writes a fixture as stable, readable JSON. */
export async function saveFixture(path: string, fixture: Fixture): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(fixture, null, 2)}\n`);
}

export const REDACTED = '<redacted>';
export const ANY = '<any>';

/** Decodes a URL query into the fixture's form. */
export function queryRecord(search: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(search.keys())) {
    const all = search.getAll(key);
    out[key] = all.length === 1 ? all[0] as string : all;
  }
  return out;
}

/** A wildcard-aware comparison of a recorded value against an actual one. */
export function matchesValue(expected: unknown, actual: unknown): boolean {
  if (typeof expected === 'string') {
    if (expected === ANY || expected === REDACTED) return true;
    for (const wildcard of [REDACTED, ANY]) {
      if (expected.endsWith(wildcard) && typeof actual === 'string') return actual.startsWith(expected.slice(0, -wildcard.length));
    }
    return expected === actual;
  }
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => matchesValue(e, actual[i]));
  }
  if (isObject(expected)) {
    if (!isObject(actual)) return false;
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    for (const k of keys) {
      if (!matchesValue(expected[k], actual[k])) return false;
    }
    return true;
  }
  return expected === actual;
}

/** Compares queries; a filters-style JSON value is compared parsed (key order does not matter). */
export function matchesQuery(expected: Record<string, string | string[]> | undefined, actual: Record<string, string | string[]>): boolean {
  const e = expected ?? {};
  const keys = new Set([...Object.keys(e), ...Object.keys(actual)]);
  for (const k of keys) {
    const ev = e[k];
    const av = actual[k];
    if (ev === ANY) continue;
    if (typeof ev === 'string' && typeof av === 'string' && ev !== av) {
      const ej = tryJson(ev);
      const aj = tryJson(av);
      if (ej !== undefined && aj !== undefined && matchesValue(ej, aj)) continue;
      return false;
    }
    if (!matchesValue(ev, av)) return false;
  }
  return true;
}

function tryJson(text: string): unknown {
  if (!text.startsWith('{') && !text.startsWith('[')) return undefined;
  try { return JSON.parse(text) as unknown; } catch { return undefined; }
}
