import type { EngineContext } from '../context.js';
import type { Secret, SecretSpec } from '../types/swarm.js';
import { SwarmDataApi } from './swarm-data.js';

/**
 * Secrets (`/secrets`): sensitive data that services mount as files. On
 * dockerd they live in the swarm (manager only: 503 `UnavailableError`
 * elsewhere); podman keeps them without a swarm (its create answers 200,
 * not 201). The engine never sends a secret's `Data` back.
 */
export class SecretsApi extends SwarmDataApi<Secret, SecretSpec> {
  constructor(ctx: EngineContext) {
    super(ctx, 'secrets');
  }
}
