import type { EngineContext } from '../../context.js';
import { DockerProtocolError } from '../../errors.js';
import { asObject } from '../../json.js';
import { pathSegment, type CallOptions } from '../../request.js';
import { messageStream } from '../../streams/messages.js';
import { LazyStream } from '../../streams/lazy.js';
import type { ContainerStatsResponse } from '../../types/containers.js';

/** Options of a one-shot `GET /containers/{id}/stats`. */
export interface ContainerStatsOptions extends CallOptions {
  /**
   * Answer at once with a single sample, without waiting for a second one
   * to fill `precpu_stats` (API ≥ 1.41). Without it the engine takes about
   * a second, and CPU percentages can be computed from the pair.
   */
  oneShot?: boolean;
}

/** `GET /containers/{id}/stats?stream=0`; see `ContainersApi.stats`. */
export async function containerStats(ctx: EngineContext, id: string, options: ContainerStatsOptions = {}): Promise<ContainerStatsResponse> {
  const { oneShot, ...call } = options;
  const segment = pathSegment(id, 'container id');
  if (oneShot !== undefined) await ctx.requires('1.41', 'the one-shot stats option', call.signal);
  const what = 'GET /containers/{id}/stats';
  const value = await ctx.requester.json({
    method: 'GET', path: `/containers/${segment}/stats`, query: { stream: false, 'one-shot': oneShot }, ...call,
  }, what);
  if (value === undefined) {
    // podman answers 200 with no body for a container that is not running
    throw new DockerProtocolError(`${what}: the engine sent no stats for ${id} (is it running?)`);
  }
  return asObject<ContainerStatsResponse>(value, what);
}

/** `GET /containers/{id}/stats` streamed, one sample a second; see `ContainersApi.statsStream`. */
export function containerStatsStream(ctx: EngineContext, id: string, options: CallOptions = {}): LazyStream<ContainerStatsResponse> {
  const { signal, timeout } = options;
  const segment = pathSegment(id, 'container id');
  return new LazyStream<ContainerStatsResponse>(async (combined) => {
    const res = await ctx.requester.send({
      method: 'GET', path: `/containers/${segment}/stats`, query: { stream: true }, stream: true, signal: combined, timeout,
    });
    // every line is a JSON object (the decoder checks that), or an in-band error; the fields are the engine's
    return messageStream(res.body, { signal: combined, request: res.request, mapError: res.mapError }) as unknown as AsyncIterator<ContainerStatsResponse>;
  }, signal);
}
