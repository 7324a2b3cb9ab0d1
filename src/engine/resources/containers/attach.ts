import type { EngineContext } from '../../context.js';
import { DockerArgumentError } from '../../errors.js';
import { pathSegment, type CallOptions } from '../../request.js';
import { AttachedStdio } from '../../streams/stdio.js';
import { containerOutputMultiplexed } from './output-mode.js';

/** Options of `POST /containers/{id}/attach`. */
export interface ContainerAttachOptions extends CallOptions {
  /** Stream output as it is produced (default true); false returns only what `logs` asks for. */
  stream?: boolean;
  /** Attach stdin (the container needs `OpenStdin`; with `StdinOnce` ending stdin closes the process's stdin). */
  stdin?: boolean;
  /** Attach stdout (default true). */
  stdout?: boolean;
  /** Attach stderr (default true). */
  stderr?: boolean;
  /** Replay the output produced so far first. */
  logs?: boolean;
  /** The key sequence that detaches (`ctrl-p,ctrl-q`), instead of the engine's default. */
  detachKeys?: string;
}

/**
 * `POST /containers/{id}/attach`, hijacked; see `ContainersApi.attach`.
 * The output's framing comes from the 101's Content-Type (API ≥ 1.42) or
 * the container's `Tty`.
 */
export async function attachContainer(ctx: EngineContext, id: string, options: ContainerAttachOptions = {}): Promise<AttachedStdio> {
  const { stream = true, stdin = false, stdout = true, stderr = true, logs, detachKeys, signal, timeout } = options;
  const segment = pathSegment(id, 'container id');
  if (!stdin && !stdout && !stderr) throw new DockerArgumentError('attach: choose at least one of stdin, stdout and stderr');
  if (detachKeys !== undefined && (detachKeys === '' || /[\s\u0000-\u001f]/.test(detachKeys))) {
    throw new DockerArgumentError(`attach: detachKeys must be a sequence like "ctrl-p,ctrl-q", got ${JSON.stringify(detachKeys)}`);
  }
  const connection = await ctx.requester.upgrade({
    method: 'POST', path: `/containers/${segment}/attach`,
    query: { stream, stdin, stdout, stderr, logs, detachKeys }, signal, timeout,
  });
  try {
    const multiplexed = await containerOutputMultiplexed(ctx, segment, connection.contentType, connection.request.apiVersion, signal);
    return new AttachedStdio(connection, multiplexed);
  } catch (err) {
    connection.close();
    throw err;
  }
}
