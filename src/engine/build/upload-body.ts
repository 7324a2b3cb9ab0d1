import type { Readable } from 'node:stream';

/**
 * The form in which a build context is handed to undici as a request body.
 */

/** The body undici sends for a context stream. */
export function uploadBody(context: Readable): Readable {
  return context;
}
