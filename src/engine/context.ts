import { CredentialStore } from './auth.js';
import { DockerVersionError } from './errors.js';
import type { Negotiator } from './negotiate.js';
import type { Requester } from './request.js';
import { apiVersionAtLeast } from './version.js';

/**
 * What a resource group needs from its client: the requester, the API
 * version for gating options that only newer engines understand, and the
 * registry credentials of the client's docker config.
 */
export class EngineContext {
  readonly requester: Requester;
  /** Registry credentials looked up when a call gets no `auth` (pull, push). */
  readonly credentials: CredentialStore;
  private readonly negotiator: Negotiator;

  constructor(requester: Requester, negotiator: Negotiator, credentials: CredentialStore = new CredentialStore()) {
    this.requester = requester;
    this.negotiator = negotiator;
    this.credentials = credentials;
  }

  /** The API version requests use (negotiates on first use). */
  apiVersion(signal?: AbortSignal): Promise<string> {
    return this.negotiator.resolve(signal);
  }

  /**
   * Throws a {@link DockerVersionError} before sending anything when the
   * engine's API version is below `min` (for an option or endpoint that
   * needs it), like the Go client's `requiresVersion`.
   */
  async requires(min: string, feature: string, signal?: AbortSignal): Promise<void> {
    const v = await this.apiVersion(signal);
    if (!apiVersionAtLeast(v, min)) {
      throw new DockerVersionError(`${feature} needs API version ${min} or newer; this engine speaks ${v}`);
    }
  }
}
