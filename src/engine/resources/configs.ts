import type { EngineContext } from '../context.js';
import type { Config, ConfigSpec } from '../types/swarm.js';
import { SwarmDataApi } from './swarm-data.js';

/**
 * Configs (`/configs`): non-sensitive data that services mount as files,
 * kept by the swarm (manager only: 503 `UnavailableError` elsewhere). Unlike
 * a secret's, a config's `Data` comes back on inspect.
 */
export class ConfigsApi extends SwarmDataApi<Config, ConfigSpec> {
  constructor(ctx: EngineContext) {
    super(ctx, 'configs');
  }
}
