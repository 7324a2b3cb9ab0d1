import { Buffer } from 'node:buffer';
import { RegistryAuth, authHeaderOf, type AuthConfig, type AuthOption } from '../../engine/index.js';

/**
 * The secrets a worker must never let out: its password (`WORKERPASS`) and
 * the registry credentials it was given, in every form they travel in (the
 * password, `user:password` base64, tokens, the encoded header).
 */
export function secretsOf(password: string, registryAuth: AuthOption | undefined): string[] {
  const secrets = [password];
  if (registryAuth === undefined) return secrets;
  const header = authHeaderOf(registryAuth);
  secrets.push(header);
  const config = registryAuth instanceof RegistryAuth ? registryAuth.config()
    : 'header' in registryAuth ? decodeHeader(header) : registryAuth as AuthConfig;
  for (const v of [config?.password, config?.auth, config?.identitytoken, config?.registrytoken]) {
    if (typeof v === 'string' && v !== '') secrets.push(v);
  }
  if (typeof config?.username === 'string' && typeof config.password === 'string') {
    secrets.push(Buffer.from(`${config.username}:${config.password}`).toString('base64'));
  }
  return secrets;
}

/** The AuthConfig inside an encoded `X-Registry-Auth` value, if it is one. */
function decodeHeader(header: string): AuthConfig | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null ? parsed as AuthConfig : undefined;
  } catch {
    return undefined;
  }
}
