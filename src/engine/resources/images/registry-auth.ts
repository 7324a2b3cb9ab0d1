import { registryAuthHeaders, type AuthOption } from '../../auth.js';
import type { EngineContext } from '../../context.js';
import type { ImageReference } from '../../reference.js';

/**
 * The `X-Registry-Auth` header of a pull or push: the caller's `auth`, or
 * else the credentials the client's docker config holds for the image's
 * registry (`auths`, `credHelpers`, `credsStore`); none with `auth: false`
 * or when the config has none.
 */
export async function imageAuthHeaders(ctx: EngineContext, auth: AuthOption | false | undefined, ref: ImageReference): Promise<Record<string, string> | undefined> {
  if (auth === false) return undefined;
  if (auth !== undefined) return registryAuthHeaders(auth);
  return registryAuthHeaders(await ctx.credentials.forRegistry(ref.registry));
}
