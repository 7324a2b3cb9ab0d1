/** Wire shapes of `GET /events`. */

/** Something that generates events: a container, image, network, volume, … */
export interface EventActor {
  ID?: string;
  Attributes?: Record<string, string>;
}

/** One event. API < 1.52 also sends the legacy `status`, `id` and `from`. */
export interface EventMessage {
  Type?: 'builder' | 'config' | 'container' | 'daemon' | 'image' | 'network' | 'node' | 'plugin' | 'secret' | 'service' | 'volume';
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
