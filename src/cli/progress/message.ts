/**
 * The messages the renderer draws are the engine's own progress messages
 * (`POST /images/create`, `POST /build`, push, load), as `progress()` and the
 * image operations hand them out.
 */
export type { ProgressMessage, ProgressDetail } from '../../engine/index.js';
