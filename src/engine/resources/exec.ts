import type { EngineContext } from '../context.js';
import { DockerArgumentError, DockerProtocolError } from '../errors.js';
import { asIdentified, asObject, stringField, type JsonObject } from '../json.js';
import { pathSegment, type CallOptions } from '../request.js';
import { AttachedStdio, type StdinSource } from '../streams/stdio.js';
import type { ExecCreateRequest, ExecInspectResponse, ExecStartRequest } from '../types/exec.js';

/** Options of {@link ExecApi.start}. */
export interface ExecStartOptions extends CallOptions {
  /** Attach (the default); see {@link ExecStartDetachedOptions} for `detach: true`. */
  detach?: false;
  /**
   * Must equal the `Tty` the exec was created with: the engine frames the
   * output by the start's value. Left out, berth reads it from
   * `GET /exec/{id}/json` first.
   */
  tty?: boolean;
  /** `[height, width]` of the TTY (API ≥ 1.42). */
  consoleSize?: [number, number];
  /**
   * Bytes to send as stdin (the exec needs `AttachStdin`): written with
   * backpressure, then stdin is half-closed while the output keeps
   * arriving — except on a TTY, where the engine would end the output (send
   * Ctrl-D, `\x04`, for end of file). If the source fails, the connection
   * is closed with its error (readers of the output see it).
   */
  stdin?: StdinSource;
}

/** Options of a detached {@link ExecApi.start}. */
export interface ExecStartDetachedOptions extends Omit<ExecStartOptions, 'stdin' | 'detach'> {
  /** Run in the background: the engine answers at once, with no output. */
  detach: true;
}

/**
 * Exec instances: processes run inside a running container. For the
 * common case — run a command, get its output and exit code — use
 * `docker.containers.exec`.
 */
export class ExecApi {
  protected readonly ctx: EngineContext;

  constructor(ctx: EngineContext) {
    this.ctx = ctx;
  }

  /**
   * `POST /containers/{id}/exec` — creates (does not start) an exec
   * instance. 404 (`NotFoundError`) when there is no such container; 409
   * (`ConflictError`) when it is not running or is paused (podman: 500 with
   * the cause "container state improper", also a `ConflictError`).
   */
  async create(containerId: string, body: ExecCreateRequest, options: CallOptions = {}): Promise<{ Id: string }> {
    const segment = pathSegment(containerId, 'container id');
    if (!Array.isArray(body.Cmd) || body.Cmd.length === 0 || body.Cmd.some((c) => typeof c !== 'string')) {
      throw new DockerArgumentError('exec create: Cmd must be a non-empty array of strings');
    }
    if (body.ConsoleSize !== undefined && body.ConsoleSize !== null) await this.ctx.requires('1.42', 'the exec ConsoleSize option', options.signal);
    const what = 'POST /containers/{id}/exec';
    const res = asObject<JsonObject>(await this.ctx.requester.json({
      method: 'POST', path: `/containers/${segment}/exec`, json: body, ...options,
    }, what), what);
    return { Id: stringField(res, 'Id', what) };
  }

  /**
   * `POST /exec/{id}/start` — starts an exec instance and hijacks the
   * connection for its stdio (a detached start answers at once instead).
   * 404 when there is no such exec instance, 409 when its container stopped
   * or is paused.
   */
  start(execId: string, options: ExecStartDetachedOptions): Promise<void>;
  start(execId: string, options?: ExecStartOptions): Promise<AttachedStdio>;
  async start(execId: string, options: ExecStartOptions | ExecStartDetachedOptions = {}): Promise<AttachedStdio | void> {
    const segment = pathSegment(execId, 'exec id');
    const { tty, consoleSize, signal, timeout } = options;
    const detach = options.detach === true;
    if (consoleSize !== undefined) await this.ctx.requires('1.42', 'the exec consoleSize option', signal);
    const useTty = tty ?? processTty(await this.inspect(execId, { signal }));
    const body: ExecStartRequest = { Detach: detach, Tty: useTty, ...(consoleSize !== undefined ? { ConsoleSize: consoleSize } : {}) };
    if (detach) {
      await this.ctx.requester.empty({ method: 'POST', path: `/exec/${segment}/start`, json: body, signal, timeout });
      return;
    }
    const connection = await this.ctx.requester.upgrade({ method: 'POST', path: `/exec/${segment}/start`, json: body, signal, timeout });
    const stdio = new AttachedStdio(connection, connection.multiplexed(useTty));
    const stdin = 'stdin' in options ? options.stdin : undefined;
    if (stdin !== undefined) stdio.send(stdin, { end: !useTty }).catch(() => undefined); // a failing source closes the connection with its error
    return stdio;
  }

  /** `GET /exec/{id}/json` — `Running`, and `ExitCode` once it has ended; 404 when there is no such exec instance. */
  async inspect(execId: string, options: CallOptions = {}): Promise<ExecInspectResponse> {
    return asIdentified<ExecInspectResponse>(await this.ctx.requester.json({
      method: 'GET', path: `/exec/${pathSegment(execId, 'exec id')}/json`, ...options,
    }), 'ID', 'GET /exec/{id}/json');
  }

  /** `POST /exec/{id}/resize` — the TTY size of an exec started with `Tty`. */
  async resize(execId: string, size: { h: number; w: number }, options: CallOptions = {}): Promise<void> {
    for (const [k, v] of Object.entries(size)) {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new DockerArgumentError(`exec resize: ${k} must be a non-negative integer, got ${String(v)}`);
    }
    await this.ctx.requester.empty({
      method: 'POST', path: `/exec/${pathSegment(execId, 'exec id')}/resize`, query: { h: size.h, w: size.w }, ...options,
    });
  }
}

/** The `Tty` an exec was created with, from its inspect. */
function processTty(info: ExecInspectResponse): boolean {
  const tty = info.ProcessConfig?.tty;
  if (typeof tty !== 'boolean') throw new DockerProtocolError('GET /exec/{id}/json: no ProcessConfig.tty to start the exec with; pass tty');
  return tty;
}
