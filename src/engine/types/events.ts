/** Wire shapes of `GET /events`. */

/** Something that generates events: a container, image, network, volume, … */
export interface EventActor {
  ID?: string;
  Attributes?: Record<string, string>;
}

/** What an event is about. */
export type EventType = 'builder' | 'config' | 'container' | 'daemon' | 'image' | 'network' | 'node' | 'plugin' | 'secret' | 'service' | 'volume';

/**
 * One event. API < 1.52 also sends the legacy `status`, `id` and `from`.
 * Actions differ between engines: dockerd's `destroy` is podman's
 * `remove`; podman adds `init` and `cleanup`, and puts `containerExitCode`
 * and `podId` among a container's attributes.
 */
export interface EventMessage {
  Type?: EventType;
  Action?: string;
  Actor?: EventActor;
  scope?: 'local' | 'swarm';
  time?: number;
  timeNano?: number;
  /** Legacy (API < 1.52). */
  status?: string;
  /** Legacy (API < 1.52). */
  id?: string;
  /** Legacy (API < 1.52). */
  from?: string;
}
