import type { EngineContext } from '../../context.js';
import { DockerProtocolError } from '../../errors.js';
import { asObject, isObject, type JsonObject } from '../../json.js';
import { MULTIPLEXED_STREAM, RAW_STREAM, isMultiplexed } from '../../streams/demux.js';
import { apiVersionAtLeast, parseApiVersion } from '../../version.js';

/**
 * Whether a container's logs or attach output is multiplexed. From API 1.42
 * the engine says so in `Content-Type`; before (and when an engine sends
 * neither type, as podman's `application/octet-stream`), it follows from the
 * container's `Config.Tty`, read with one inspect — never cached, since a
 * name can be reused by another container.
 */
export async function containerOutputMultiplexed(
  ctx: EngineContext, containerSegment: string, contentType: string | undefined, apiVersion: string | undefined,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  return outputMultiplexed(contentType, apiVersion, () => containerTty(ctx, containerSegment, signal));
}

/**
 * Whether output is multiplexed: from `Content-Type` when the engine's
 * answer can be trusted (API ≥ 1.42), else from the TTY setting that
 * `tty()` looks up (a container's, a service's or a task's).
 */
export async function outputMultiplexed(
  contentType: string | undefined, apiVersion: string | undefined, tty: () => Promise<boolean>,
): Promise<boolean> {
  const type = contentType?.split(';', 1)[0]?.trim().toLowerCase();
  if (type === MULTIPLEXED_STREAM) return true;
  const reliable = apiVersion !== undefined && parseApiVersion(apiVersion) !== undefined && apiVersionAtLeast(apiVersion, '1.42');
  if (reliable && type === RAW_STREAM) return false;
  return isMultiplexed(undefined, undefined, await tty());
}

/** `GET /containers/{id}/json` → `Config.Tty`. */
export async function containerTty(ctx: EngineContext, containerSegment: string, signal: AbortSignal | undefined): Promise<boolean> {
  const what = 'GET /containers/{id}/json';
  const info = asObject<JsonObject>(await ctx.requester.json({ method: 'GET', path: `/containers/${containerSegment}/json`, signal }), what);
  const config = info.Config;
  if (!isObject(config)) throw new DockerProtocolError(`${what}: no Config in the answer`);
  return config.Tty === true;
}
