import { Buffer } from 'node:buffer';
import { execFile } from 'node:child_process';
import { DockerArgumentError, DockerConfigError } from './errors.js';
import { processEnvironment, readDockerConfig, type EndpointEnvironment } from './endpoint.js';
import { isObject } from './json.js';
import { authKeyFor, parseImageReference, registryOfAuthKey } from './reference.js';

/**
 * Registry credentials for pull, push, service create and build: from an
 * explicit option, or from `$DOCKER_CONFIG/config.json` (`auths`,
 * `credHelpers`, `credsStore` through `docker-credential-<name>`), sent as
 * `X-Registry-Auth` / `X-Registry-Config` in padded base64url. Credentials
 * are never put in errors or logs: `RegistryAuth` hides its fields from
 * `JSON.stringify`, `util.inspect` and string conversion.
 */

/** The engine's AuthConfig (lower-case field names on the wire). */
export interface AuthConfig {
  username?: string;
  password?: string;
  /** base64 of `username:password`. */
  auth?: string;
  email?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** Runs a credential helper: `docker-credential-<name> get` with the server on stdin. Injectable for tests. */
export type CredentialHelperRunner = (helper: string, serverUrl: string) => Promise<string>;

/**
 * The credentials of each RegistryAuth, out of the object's reach: nothing
 * that walks an object (`util.inspect` with `showHidden` or without custom
 * inspection, spreading, `Object.assign`, `structuredClone`, symbol
 * enumeration) can find them.
 */
const SECRETS = new WeakMap<RegistryAuth, AuthConfig>();

/** Credentials for one registry; opaque when printed, copied or inspected. */
export class RegistryAuth {
  constructor(config: AuthConfig) {
    SECRETS.set(this, { ...config });
  }

  private get secret(): AuthConfig {
    const config = SECRETS.get(this);
    if (config === undefined) throw new DockerArgumentError('not a RegistryAuth made by its constructor (a copy holds no credentials)');
    return config;
  }

  /** The registry the credentials are for, when known. */
  get serverAddress(): string | undefined {
    return this.secret.serveraddress;
  }

  /** The `X-Registry-Auth` header value: padded base64url of the AuthConfig JSON. */
  header(): string {
    return encodeAuthHeader(this.secret);
  }

  /** The AuthConfig itself (for `X-Registry-Config` maps). */
  config(): AuthConfig {
    return { ...this.secret };
  }

  toJSON(): string {
    return '[registry credentials]';
  }

  toString(): string {
    return '[registry credentials]';
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'RegistryAuth [redacted]';
  }
}

/** Padded base64url, as the engine decodes it (Go `base64.URLEncoding`); Node's `base64url` drops the padding. */
export function encodeAuthHeader(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** Credentials given by a caller: an AuthConfig, a RegistryAuth, or an already-encoded header. */
export type AuthOption = AuthConfig | RegistryAuth | { header: string };

/** The header value for an explicit auth option. */
export function authHeaderOf(auth: AuthOption): string {
  if (auth instanceof RegistryAuth) return auth.header();
  if ('header' in auth && typeof auth.header === 'string') return auth.header;
  return encodeAuthHeader(auth);
}

/**
 * The `X-Registry-Auth` header of an explicit auth option, checked to be
 * one non-empty line (an encoded header given by the caller is sent as is),
 * or undefined when there is no option.
 */
export function registryAuthHeaders(auth: AuthOption | undefined): Record<string, string> | undefined {
  if (auth === undefined) return undefined;
  const header = authHeaderOf(auth);
  if (typeof header !== 'string' || header === '' || /[\r\n]/.test(header)) {
    throw new DockerArgumentError('auth: the X-Registry-Auth value must be a non-empty single line');
  }
  return { 'x-registry-auth': header };
}

const defaultRunner: CredentialHelperRunner = (helper, serverUrl) => new Promise((resolve, reject) => {
  const child = execFile(`docker-credential-${helper}`, ['get'], { timeout: 30_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
    if (err) {
      const text = String(stderr || stdout).trim();
      reject(new DockerConfigError(`credential helper docker-credential-${helper} failed for ${serverUrl}: ${/credentials not found/i.test(text) ? 'credentials not found' : (text.split('\n')[0] ?? err.message)}`));
      return;
    }
    resolve(String(stdout));
  });
  child.stdin?.end(serverUrl);
});

export interface CredentialStoreOptions {
  environment?: EndpointEnvironment;
  runHelper?: CredentialHelperRunner;
}

/** Credentials from the docker config directory, looked up like the docker CLI does. */
export class CredentialStore {
  private readonly environment: EndpointEnvironment;
  private readonly runHelper: CredentialHelperRunner;
  private config: Record<string, unknown> | undefined | null = null;

  constructor(options: CredentialStoreOptions = {}) {
    this.environment = options.environment ?? processEnvironment();
    this.runHelper = options.runHelper ?? defaultRunner;
  }

  private load(): Record<string, unknown> | undefined {
    if (this.config === null) this.config = readDockerConfig(this.environment);
    return this.config;
  }

  /** Credentials for the registry of an image reference (undefined when there are none). */
  forImage(image: string): Promise<RegistryAuth | undefined> {
    return this.forRegistry(parseImageReference(image).registry);
  }

  /** Credentials for a registry host (`docker.io`, `reg.example.com:5000`). */
  async forRegistry(registry: string): Promise<RegistryAuth | undefined> {
    const config = this.load();
    if (!config) return undefined;
    const key = authKeyFor(registry);
    const helpers = isObject(config.credHelpers) ? config.credHelpers : {};
    const helper = helpers[registry] ?? helpers[key];
    if (typeof helper === 'string' && helper !== '') return this.fromHelper(helper, key);
    if (typeof config.credsStore === 'string' && config.credsStore !== '') {
      const viaStore = await this.fromHelper(config.credsStore, key).catch((err: unknown) => {
        if (err instanceof DockerConfigError && /credentials not found/.test(err.message)) return undefined;
        throw err;
      });
      if (viaStore) return viaStore;
    }
    return this.fromAuths(config, registry, key);
  }

  /** Every configured registry's credentials, for `X-Registry-Config` (builds). */
  async all(): Promise<Record<string, AuthConfig>> {
    const config = this.load();
    const out: Record<string, AuthConfig> = {};
    if (!config) return out;
    const auths = isObject(config.auths) ? config.auths : {};
    for (const key of Object.keys(auths)) {
      const a = await this.forRegistry(registryOfAuthKey(key));
      if (a) out[key] = a.config();
    }
    const helpers = isObject(config.credHelpers) ? config.credHelpers : {};
    for (const registry of Object.keys(helpers)) {
      const a = await this.forRegistry(registryOfAuthKey(registry));
      if (a) out[authKeyFor(registryOfAuthKey(registry))] = a.config();
    }
    return out;
  }

  private fromAuths(config: Record<string, unknown>, registry: string, key: string): RegistryAuth | undefined {
    const auths = isObject(config.auths) ? config.auths : {};
    const entryKey = key in auths ? key : Object.keys(auths).find((k) => registryOfAuthKey(k) === registry);
    if (entryKey === undefined) return undefined;
    const entry = auths[entryKey];
    if (!isObject(entry)) return undefined;
    const result: AuthConfig = { serveraddress: key };
    if (typeof entry.auth === 'string' && entry.auth !== '') {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const sep = decoded.indexOf(':');
      if (sep < 0) throw new DockerConfigError(`config.json: the auth entry for ${entryKey} is not base64 of user:password`);
      result.username = decoded.slice(0, sep);
      result.password = decoded.slice(sep + 1);
    }
    if (typeof entry.username === 'string') result.username = entry.username;
    if (typeof entry.password === 'string') result.password = entry.password;
    if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') result.identitytoken = entry.identitytoken;
    if (typeof entry.registrytoken === 'string' && entry.registrytoken !== '') result.registrytoken = entry.registrytoken;
    if (result.username === undefined && result.identitytoken === undefined && result.registrytoken === undefined) return undefined;
    return new RegistryAuth(result);
  }

  private async fromHelper(helper: string, serverUrl: string): Promise<RegistryAuth | undefined> {
    const out = await this.runHelper(helper, serverUrl);
    let parsed: unknown;
    try { parsed = JSON.parse(out) as unknown; } catch {
      throw new DockerConfigError(`credential helper docker-credential-${helper} did not answer JSON for ${serverUrl}`);
    }
    if (!isObject(parsed)) throw new DockerConfigError(`credential helper docker-credential-${helper} answered something other than an object`);
    const user = typeof parsed.Username === 'string' ? parsed.Username : '';
    const secret = typeof parsed.Secret === 'string' ? parsed.Secret : '';
    if (user === '' && secret === '') return undefined;
    // "<token>" as the user name marks an identity token (docker/cli credentials store)
    return new RegistryAuth(user === '<token>'
      ? { serveraddress: serverUrl, identitytoken: secret }
      : { serveraddress: serverUrl, username: user, password: secret });
  }
}
