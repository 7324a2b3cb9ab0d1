/**
 * Interruption: the first SIGINT or SIGTERM aborts the command's signal so
 * it can finish cleanly (write its fixture, restore the cursor); a second
 * one exits at once with 130.
 */

export interface Interruption {
  /** Aborted by the first SIGINT/SIGTERM; its reason is the signal's name. */
  readonly signal: AbortSignal;
  /** Removes the handlers. */
  dispose(): void;
}

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** Installs the handlers on `process`. */
export function watchInterruption(onForce: () => void = () => process.exit(130)): Interruption {
  const controller = new AbortController();
  const handler = (name: NodeJS.Signals): void => {
    if (controller.signal.aborted) onForce();
    else controller.abort(name);
  };
  for (const s of SIGNALS) process.on(s, handler);
  return {
    signal: controller.signal,
    dispose: () => { for (const s of SIGNALS) process.off(s, handler); },
  };
}

/** Resolves with the signal's reason once `signal` aborts. */
export function aborted(signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));
}
