import type { ContainerState, Health } from '../../src/index.js';
import { ANY, type Exchange, type Fixture, type FixtureResponse } from '../../src/testing/index.js';
import { frame } from './streams.js';

/**
 * Hand-written fixtures for what real engines will not do on demand (an
 * operating-system mismatch, a container removed between two calls, a
 * registry that answers only the second time, an engine that fails every
 * removal): the exchanges of a worker's start and stop, in the order the
 * worker makes them, at API 1.43 (the output's framing comes from the
 * Content-Type, so no inspect before an attach). The client must pin 1.43:
 * no ping is scripted. Long answers are held like recorded ones: `after()`
 * releases the exit of a wait, or the end of an attach, once the requests
 * made so far were seen.
 */

export const SCRIPT_API = '1.43';
const V = `/v${SCRIPT_API}`;
const JSON_HEADERS = { 'content-type': 'application/json', 'api-version': SCRIPT_API };
const EMPTY_HEADERS = { 'api-version': SCRIPT_API };

/** A container id of 64 hex digits made from a short tag. */
export function containerId(tag: string): string {
  return Buffer.from(tag).toString('hex').padEnd(64, '0').slice(0, 64);
}

/** An engine error answer. */
function error(statusCode: number, message: string): FixtureResponse {
  return { statusCode, headers: JSON_HEADERS, body: { message } };
}

/** A handle on a held part: call {@link Held.after} once the requests that release it are scripted. */
export interface Held {
  after(): void;
}

export class EngineScript {
  private readonly list: Exchange[] = [];

  /** The requests scripted so far (what a held part waits for). */
  get requests(): number {
    return this.list.length;
  }

  /** Adds any exchange. */
  add(exchange: Exchange): this {
    this.list.push(exchange);
    return this;
  }

  /** `GET /containers/json` with the label filter of `worker` (any filter when undefined) answering `ids`. */
  listContainers(ids: ReadonlyArray<{ id: string; labels: Record<string, string>; image?: string; state?: string }>, filters: string = ANY): this {
    return this.add({
      request: { method: 'GET', path: `${V}/containers/json`, query: { all: '1', filters } },
      response: {
        statusCode: 200, headers: JSON_HEADERS,
        body: ids.map((c) => ({ Id: c.id, Names: [`/c-${c.id.slice(0, 6)}`], Labels: c.labels, State: c.state ?? 'exited', ImageID: c.image ?? 'sha256:0' })),
      },
    });
  }

  /** `GET /images/{name}/json`: found, or 404. */
  image(name: string, found: boolean): this {
    return this.add({
      request: { method: 'GET', path: `${V}/images/${name}/json` },
      response: found ? { statusCode: 200, headers: JSON_HEADERS, body: { Id: `sha256:${'ab'.repeat(32)}`, RepoTags: [name] } }
        : error(404, `No such image: ${name}`),
    });
  }

  /** `POST /images/create` (pull) of `repo:tag`, answering the progress `messages` (an object with `error` fails in-band). */
  pull(repo: string, tag: string, messages: ReadonlyArray<Record<string, unknown>>, status = 200): this {
    return this.add({
      request: { method: 'POST', path: `${V}/images/create`, query: { fromImage: repo, tag } },
      response: status === 200
        ? { statusCode: 200, headers: JSON_HEADERS, chunks: messages.map((m) => Buffer.from(`${JSON.stringify(m)}\r\n`).toString('base64')) }
        : error(status, String(messages[0]?.message ?? 'pull failed')),
    });
  }

  /**
   * `POST /build` of a Dockerfile given as text, tagged `tag`, labelled as
   * `labels`; `extra` holds the other query parameters sent (`buildargs`,
   * `target`, `pull`). Answers the progress `messages` in-band.
   */
  build(tag: string, labels: Record<string, string>, messages: ReadonlyArray<Record<string, unknown>>, extra: Record<string, string> = {}): this {
    return this.add({
      request: {
        method: 'POST', path: `${V}/build`,
        query: { dockerfile: 'Dockerfile', t: tag, labels: JSON.stringify(labels), rm: '1', forcerm: '1', version: '1', ...extra },
      },
      response: { statusCode: 200, headers: JSON_HEADERS, chunks: messages.map((m) => Buffer.from(`${JSON.stringify(m)}\r\n`).toString('base64')) },
    });
  }

  /** `POST /containers/create?name=…`: the id, or an error. With `body`, the request's body must be that (`<redacted>` wildcards allowed). */
  create(name: string, id: string, failure?: { status: number; message: string }, body?: unknown): this {
    return this.add({
      request: { method: 'POST', path: `${V}/containers/create`, query: { name }, ...(body !== undefined ? { body } : {}) },
      response: failure ? error(failure.status, failure.message) : { statusCode: 201, headers: JSON_HEADERS, body: { Id: id, Warnings: [] } },
    });
  }

  /** The attach before the start: `output` frames sent once the start was seen; the end held until {@link Held.after}. */
  attach(id: string, output: ReadonlyArray<{ stream: 'stdout' | 'stderr'; text: string }>): Held {
    const outputAt = this.requests + 3; // attach, wait, start
    const upgrade = {
      statusLine: 'HTTP/1.1 101 UPGRADED',
      headers: { 'Content-Type': 'application/vnd.docker.multiplexed-stream', Connection: 'Upgrade', Upgrade: 'tcp' },
      toClient: output.map((o) => ({ data: frame(o.stream === 'stdout' ? 1 : 2, o.text).toString('base64'), afterRequests: outputAt })),
      fromClient: [] as string[],
      endAfterRequests: Number.MAX_SAFE_INTEGER,
    };
    this.add({ request: { method: 'POST', path: `${V}/containers/${id}/attach`, query: { stream: '1', stdin: '0', stdout: '1', stderr: '1', logs: '1' } }, upgrade });
    return { after: () => { upgrade.endAfterRequests = this.requests; } };
  }

  /** The exit waiter registered before the start; its answer held until {@link Held.after}. */
  wait(id: string, exitCode: number, condition = 'next-exit'): Held {
    const response: FixtureResponse = { statusCode: 200, headers: JSON_HEADERS, body: { StatusCode: exitCode }, timing: { body: Number.MAX_SAFE_INTEGER } };
    this.add({ request: { method: 'POST', path: `${V}/containers/${id}/wait`, query: { condition } }, response });
    return { after: () => { response.timing = { body: this.requests }; } };
  }

  /** `POST /containers/{id}/start`: 204, or an error. */
  start(id: string, failure?: { status: number; message: string }): this {
    return this.add({ request: { method: 'POST', path: `${V}/containers/${id}/start` }, response: failure ? error(failure.status, failure.message) : { statusCode: 204, headers: EMPTY_HEADERS } });
  }

  /** `GET /containers/{id}/json` (by id or name): a container in `state` (404 when undefined); `extra.id` is its id when asked by name. */
  inspect(id: string, state: ContainerState | undefined, extra: { restartCount?: number; labels?: Record<string, string>; id?: string } = {}): this {
    return this.add({
      request: { method: 'GET', path: `${V}/containers/${id}/json` },
      response: state === undefined ? error(404, `No such container: ${id}`) : {
        statusCode: 200, headers: JSON_HEADERS,
        body: { Id: extra.id ?? id, Name: '/x', State: state, RestartCount: extra.restartCount ?? 0, Config: { Labels: extra.labels ?? {} }, HostConfig: {}, Mounts: [] },
      },
    });
  }

  /** `GET /containers/{id}/logs?tail=100`: the lines, as one multiplexed stdout chunk. */
  logs(id: string, lines: readonly string[]): this {
    return this.add({
      request: { method: 'GET', path: `${V}/containers/${id}/logs`, query: { stdout: '1', stderr: '1', tail: '100' } },
      response: {
        statusCode: 200, headers: { ...EMPTY_HEADERS, 'content-type': 'application/vnd.docker.multiplexed-stream' },
        chunks: lines.length ? [frame(1, lines.map((l) => `${l}\n`).join('')).toString('base64')] : [],
      },
    });
  }

  /** `POST /containers/{id}/stop`: 204 (stopped), 304 (already), 404, or another error. */
  stop(id: string, status = 204): this {
    return this.add({ request: { method: 'POST', path: `${V}/containers/${id}/stop` }, response: status < 300 || status === 304 ? { statusCode: status, headers: EMPTY_HEADERS } : error(status, status === 404 ? `No such container: ${id}` : 'engine failure') });
  }

  /** `DELETE /containers/{id}?force=1&v=1`: 204, or an error. */
  remove(id: string, status = 204, message = 'engine failure'): this {
    return this.add({
      request: { method: 'DELETE', path: `${V}/containers/${id}`, query: { force: '1', v: '1' } },
      response: status === 204 ? { statusCode: 204, headers: EMPTY_HEADERS } : error(status, message),
    });
  }

  /** `DELETE /images/{name}`: 200, or an error. */
  removeImage(name: string, status = 200, message = 'conflict: unable to remove repository reference (must force) - container is using its referenced image'): this {
    return this.add({
      request: { method: 'DELETE', path: `${V}/images/${name}` },
      response: status === 200 ? { statusCode: 200, headers: JSON_HEADERS, body: [{ Untagged: name }] } : error(status, message),
    });
  }

  /** A health state for `inspect`. */
  static health(status: NonNullable<Health['Status']>, outputs: readonly string[] = []): Health {
    return { Status: status, FailingStreak: outputs.length, Log: outputs.map((o) => ({ ExitCode: 1, Output: o })) };
  }

  fixture(description: string): Fixture {
    return { engine: 'dockerd-script', apiVersion: SCRIPT_API, recordedAt: '2026-01-01T00:00:00.000Z', description, exchanges: this.list };
  }
}
