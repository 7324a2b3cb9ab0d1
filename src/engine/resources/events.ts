import type { EngineContext } from '../context.js';
import { filtersQuery, type Filters } from '../filters.js';
import type { CallOptions } from '../request.js';
import { messageStream } from '../streams/messages.js';
import { LazyStream } from '../streams/lazy.js';
import { unixTime, type TimeValue } from '../time.js';
import type { EventMessage, EventType } from '../types/events.js';

/** Filters of `GET /events` (each key lists the values to match; several keys must all match). */
export interface EventFilters extends Filters {
  type?: readonly EventType[];
  /** Actions: `create`, `start`, `die`, `destroy` (podman: `remove`), `pull`, `tag`, … */
  event?: readonly string[];
  /** Container ids or names. */
  container?: readonly string[];
  /** Image ids or names. */
  image?: readonly string[];
  /** `key` or `key=value`, matched against the actor's attributes. */
  label?: readonly string[];
  network?: readonly string[];
  volume?: readonly string[];
  /** The daemon's id or name. */
  daemon?: readonly string[];
  scope?: ReadonlyArray<'local' | 'swarm'>;
  plugin?: readonly string[];
  node?: readonly string[];
  service?: readonly string[];
  secret?: readonly string[];
  config?: readonly string[];
}

/** Options of `GET /events`. */
export interface EventsOptions extends CallOptions {
  /** Replay events from this time on (Unix seconds, a `Date`, or an RFC 3339 string). */
  since?: TimeValue;
  /** End the stream at this time; a time in the past ends it once the recorded events are replayed. */
  until?: TimeValue;
  filters?: EventFilters;
}

/**
 * `GET /events` as typed messages, opened on the first `next()`; see
 * `Docker.events`. Sent with `Accept: application/json` (newline-delimited
 * objects on every API version).
 */
export function streamEvents(ctx: EngineContext, options: EventsOptions = {}): LazyStream<EventMessage> {
  const { since, until, filters, signal, timeout } = options;
  const query = {
    since: since === undefined ? undefined : unixTime(since, 'events since'),
    until: until === undefined ? undefined : unixTime(until, 'events until'),
    filters: filtersQuery(filters),
  };
  return new LazyStream<EventMessage>(async (combined) => {
    const res = await ctx.requester.send({
      method: 'GET', path: '/events', query, headers: { accept: 'application/json' }, stream: true, signal: combined, timeout,
    });
    // every line is a JSON object (the decoder checks that), or an in-band error; its fields are the engine's
    return messageStream(res.body, { signal: combined, request: res.request, mapError: res.mapError }) as unknown as AsyncIterator<EventMessage>;
  }, signal);
}
