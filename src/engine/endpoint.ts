import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DockerConfigError } from './errors.js';
import { isObject, parseJson } from './json.js';

/**
 * Where the engine is and why: the docker CLI's resolution order, as a pure
 * function of options, environment variables and the docker config
 * directory (read through an injectable file reader).
 *
 * explicit options > DOCKER_HOST > DOCKER_CONTEXT > currentContext in
 * $DOCKER_CONFIG/config.json > the default socket.
 */

/** Which input decided the endpoint. */
export type EndpointSource = 'option' | 'DOCKER_HOST' | 'DOCKER_CONTEXT' | 'config.json' | 'default';

/** TLS settings of a TCP endpoint. PEM values may be given inline or as file paths. */
export interface TlsSettings {
  /** Verify the engine's certificate (default true). Only `verify: false` turns it off. */
  readonly verify: boolean;
  readonly ca?: string | Buffer | undefined;
  readonly cert?: string | Buffer | undefined;
  readonly key?: string | Buffer | undefined;
  readonly caFile?: string | undefined;
  readonly certFile?: string | undefined;
  readonly keyFile?: string | undefined;
  /** Server name for SNI and certificate checks (default: the host). */
  readonly servername?: string | undefined;
}

/** TLS as a caller gives it: `true` for TLS with defaults, or explicit material. */
export interface TlsOptions {
  verify?: boolean;
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** A directory holding `ca.pem`, `cert.pem` and `key.pem` (like DOCKER_CERT_PATH). */
  certPath?: string;
  servername?: string;
}

/** SSH endpoint parts (`ssh://[user@]host[:port][/socket]`). */
export interface SshTarget {
  readonly user?: string | undefined;
  readonly host: string;
  readonly port?: number | undefined;
  /** Remote engine socket; the remote `docker system dial-stdio` uses its default when absent. */
  readonly socketPath?: string | undefined;
}

/** The endpoint options a caller may pass (all optional; the environment fills the rest). */
export interface EndpointOptions {
  /** `unix:///path`, `tcp://host[:port][/base]`, `http://…`, `https://…` or `ssh://…`. */
  host?: string;
  /** Shorthand for `host: 'unix://' + socketPath`. */
  socketPath?: string;
  /** `false` forces plain TCP; `true` or an object turns TLS on. */
  tls?: boolean | TlsOptions;
  /** A docker context name, like `docker --context NAME`. */
  context?: string;
}

/** What the resolver reads besides the options. Tests pass fakes. */
export interface EndpointEnvironment {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homedir: string;
  readFile(path: string): string | undefined;
  exists(path: string): boolean;
}

/** The process's environment, home directory and file system. */
export function processEnvironment(env: Readonly<Record<string, string | undefined>> = process.env): EndpointEnvironment {
  return {
    env,
    homedir: homedir(),
    readFile: (path) => {
      try { return readFileSync(path, 'utf8'); } catch { return undefined; }
    },
    exists: (path) => existsSync(path),
  };
}

export const DEFAULT_SOCKET = '/var/run/docker.sock';
const DEFAULT_TCP_HOST = 'localhost';

/** A resolved engine endpoint. `describe()` says what was chosen and from which source. */
export class Endpoint {
  readonly protocol: 'unix' | 'tcp' | 'ssh';
  readonly socketPath: string | undefined;
  readonly host: string | undefined;
  readonly port: number | undefined;
  /** A path prefix sent before every request (`tcp://h:2375/prefix`), or ''. */
  readonly basePath: string;
  readonly tls: TlsSettings | undefined;
  readonly ssh: SshTarget | undefined;
  readonly source: EndpointSource;
  /** The docker context the endpoint came from, when it came from one. */
  readonly context: string | undefined;
  /** Things the user may want to know (an ignored variable, a probed socket). */
  readonly notes: readonly string[];

  constructor(fields: {
    protocol: 'unix' | 'tcp' | 'ssh'; socketPath?: string | undefined; host?: string | undefined;
    port?: number | undefined; basePath?: string; tls?: TlsSettings | undefined; ssh?: SshTarget | undefined;
    source: EndpointSource; context?: string | undefined; notes?: readonly string[];
  }) {
    this.protocol = fields.protocol;
    this.socketPath = fields.socketPath;
    this.host = fields.host;
    this.port = fields.port;
    this.basePath = fields.basePath ?? '';
    this.tls = fields.tls;
    this.ssh = fields.ssh;
    this.source = fields.source;
    this.context = fields.context;
    this.notes = fields.notes ?? [];
  }

  /** The endpoint as a URL: `unix:///var/run/docker.sock`, `tcp://[::1]:2376/base`, `ssh://u@h:22`. */
  get url(): string {
    if (this.protocol === 'unix') return `unix://${this.socketPath ?? ''}`;
    if (this.protocol === 'ssh') {
      const s = this.ssh;
      if (!s) return 'ssh://';
      return `ssh://${s.user ? `${s.user}@` : ''}${bracket(s.host)}${s.port ? `:${s.port}` : ''}${s.socketPath ?? ''}`;
    }
    return `tcp://${bracket(this.host ?? DEFAULT_TCP_HOST)}:${this.port ?? 2375}${this.basePath}`;
  }

  /** The HTTP origin undici dials (the host is a placeholder for unix sockets). */
  get origin(): string {
    if (this.protocol === 'tcp') {
      return `${this.tls ? 'https' : 'http'}://${bracket(this.host ?? DEFAULT_TCP_HOST)}:${this.port ?? 2375}`;
    }
    return 'http://api.moby.localhost';
  }

  /** True for TCP endpoints on a loopback address. */
  get isLoopback(): boolean {
    if (this.protocol !== 'tcp') return this.protocol === 'unix';
    const h = (this.host ?? '').toLowerCase();
    return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
  }

  /** One line: what was chosen and why, e.g. `tcp://127.0.0.1:2376 (TLS, verified, client certificate) from DOCKER_HOST`. */
  describe(): string {
    let security = '';
    if (this.protocol === 'tcp') {
      if (!this.tls) security = ' (plain HTTP, no TLS)';
      else {
        const parts = ['TLS', this.tls.verify ? 'verified' : 'NOT verified'];
        if (this.tls.cert !== undefined || this.tls.certFile !== undefined) parts.push('client certificate');
        security = ` (${parts.join(', ')})`;
      }
    }
    const from = describeSource(this.source, this.context);
    const notes = this.notes.length ? `; ${this.notes.join('; ')}` : '';
    return `${this.url}${security} from ${from}${notes}`;
  }

  toString(): string {
    return this.url;
  }
}

function describeSource(source: EndpointSource, context: string | undefined): string {
  switch (source) {
    case 'option': return context !== undefined ? `context "${context}" (context option)` : 'the host option';
    case 'DOCKER_HOST': return 'DOCKER_HOST';
    case 'DOCKER_CONTEXT': return `context "${context ?? ''}" (DOCKER_CONTEXT)`;
    case 'config.json': return `context "${context ?? ''}" (currentContext in config.json)`;
    case 'default': return 'the default socket';
  }
}

function bracket(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** A parsed host string, before TLS is decided. */
export interface ParsedHost {
  readonly protocol: 'unix' | 'tcp' | 'ssh';
  readonly socketPath?: string | undefined;
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  readonly basePath: string;
  /** `https://` asks for TLS; `http://` forbids it; `tcp://` leaves it to the TLS settings. */
  readonly scheme: 'unix' | 'tcp' | 'http' | 'https' | 'ssh';
  readonly ssh?: SshTarget | undefined;
}

/**
 * Parses a DOCKER_HOST-style string. `origin` names the variable or option in
 * error messages, e.g. `DOCKER_HOST`.
 */
export function parseHost(value: string, origin: string): ParsedHost {
  const fail = (why: string): never => {
    throw new DockerConfigError(`${origin}="${value}": ${why}`);
  };
  const text = value.trim();
  if (text === '') fail('empty host');
  let scheme: string;
  let rest: string;
  const sep = text.indexOf('://');
  if (sep < 0) {
    if (text.startsWith('/')) fail(`looks like a socket path; write unix://${text}`);
    scheme = 'tcp';
    rest = text;
  } else {
    scheme = text.slice(0, sep).toLowerCase();
    rest = text.slice(sep + 3);
  }
  switch (scheme) {
    case 'unix':
      if (/[?#]/.test(rest)) fail('a unix socket path cannot carry a query or fragment');
      return { protocol: 'unix', scheme: 'unix', socketPath: rest === '' ? DEFAULT_SOCKET : rest, basePath: '' };
    case 'tcp':
    case 'http':
    case 'https': {
      const a = splitAuthority(rest, fail);
      if (a.user !== undefined) fail('credentials in the host are not supported');
      return {
        protocol: 'tcp', scheme, host: a.host === '' ? DEFAULT_TCP_HOST : a.host, port: a.port,
        basePath: a.path,
      };
    }
    case 'ssh': {
      const a = splitAuthority(rest, fail);
      if (a.host === '') fail('ssh:// needs a host');
      if (a.user?.includes(':')) fail('passwords are not accepted in ssh:// hosts; use keys or an agent');
      const ssh: SshTarget = { user: a.user, host: a.host, port: a.port, socketPath: a.path === '' ? undefined : a.path };
      return { protocol: 'ssh', scheme: 'ssh', host: a.host, port: a.port, basePath: '', ssh };
    }
    case 'npipe':
      return fail('npipe:// is a Windows named pipe and does not exist on this platform; use unix:// or tcp://');
    case 'fd':
      return fail('fd:// is the daemon\'s socket-activation form, not a client endpoint; use unix:// or tcp://');
    default:
      return fail(`unsupported scheme "${scheme}://" (use unix://, tcp://, http://, https:// or ssh://)`);
  }
}

function splitAuthority(rest: string, fail: (why: string) => never): {
  user: string | undefined; host: string; port: number | undefined; path: string;
} {
  if (/[?#]/.test(rest)) fail('a query or fragment is not allowed');
  const slash = rest.indexOf('/');
  let authority = slash < 0 ? rest : rest.slice(0, slash);
  let path = slash < 0 ? '' : rest.slice(slash);
  // the base path goes in front of every request path: no whitespace or control characters
  if (/[\s\u0000-\u001f\u007f-\u009f]/u.test(path)) fail('the path may not contain whitespace or control characters');
  path = path.replace(/\/+$/, '');
  let user: string | undefined;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    user = authority.slice(0, at);
    authority = authority.slice(at + 1);
    if (user === '') fail('empty user name');
    // a user or host that starts with "-" would be read as an option by ssh
    if (/^-|[\s\u0000-\u001f\u007f]/u.test(user)) fail('the user name may not start with "-" or contain whitespace or control characters');
  }
  let host: string;
  let portText: string | undefined;
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close < 0) fail('unclosed [ in an IPv6 address');
    host = authority.slice(1, close);
    const after = authority.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) fail(`unexpected "${after}" after the IPv6 address`);
      portText = after.slice(1);
    }
    const zone = host.indexOf('%');
    if (!isIPv6(zone < 0 ? host : host.slice(0, zone)) || (zone >= 0 && !/^%[\w.-]+$/.test(host.slice(zone)))) fail(`"${host}" is not an IPv6 address`);
  } else {
    const colons = authority.split(':').length - 1;
    if (colons > 1) fail('an IPv6 address must be written in brackets, e.g. tcp://[::1]:2376');
    const colon = authority.indexOf(':');
    host = colon < 0 ? authority : authority.slice(0, colon);
    portText = colon < 0 ? undefined : authority.slice(colon + 1);
    if (host !== '' && (!/^[A-Za-z0-9._-]+$/.test(host) || host.startsWith('-'))) fail(`"${host}" is not a valid host name`);
  }
  let port: number | undefined;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      fail(`"${portText}" is not a port number (1-65535)`);
    }
    port = Number(portText);
  }
  return { user, host, port, path };
}

/** sha256 of a context name, as the docker CLI names its context-store folders. */
export function contextDirName(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

/** The docker config directory: `$DOCKER_CONFIG` or `~/.docker`. */
export function dockerConfigDir(envir: EndpointEnvironment): string {
  const d = envir.env.DOCKER_CONFIG;
  return d !== undefined && d !== '' ? d : join(envir.homedir, '.docker');
}

/** The parsed `config.json` of the docker config dir, or undefined when absent. */
export function readDockerConfig(envir: EndpointEnvironment): Record<string, unknown> | undefined {
  const file = join(dockerConfigDir(envir), 'config.json');
  const text = envir.readFile(file);
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = parseJson(text, file);
  } catch (err) {
    throw new DockerConfigError(`${file} is not valid JSON`, { cause: err });
  }
  if (!isObject(parsed)) throw new DockerConfigError(`${file} should hold a JSON object`);
  return parsed;
}

/**
 * Resolves the endpoint in the docker CLI's order. Throws
 * {@link DockerConfigError} naming the variable (or file) and value at fault.
 */
export function resolveEndpoint(options: EndpointOptions = {}, envir: EndpointEnvironment = processEnvironment()): Endpoint {
  const env = envir.env;
  const notes: string[] = [];
  if (options.context !== undefined && (options.host !== undefined || options.socketPath !== undefined)) {
    throw new DockerConfigError('the context and host options conflict: give one of them');
  }
  if (options.context !== undefined) return fromContext(options.context, 'option', envir, notes);
  if (options.host !== undefined || options.socketPath !== undefined) {
    const host = options.host ?? `unix://${options.socketPath ?? ''}`;
    return fromHost(parseHost(host, options.host !== undefined ? 'host option' : 'socketPath option'), 'option', options.tls, envir, notes);
  }
  const dockerHost = env.DOCKER_HOST;
  if (dockerHost !== undefined && dockerHost !== '') {
    if (env.DOCKER_CONTEXT) notes.push(`DOCKER_CONTEXT="${env.DOCKER_CONTEXT}" ignored because DOCKER_HOST is set`);
    return fromHost(parseHost(dockerHost, 'DOCKER_HOST'), 'DOCKER_HOST', options.tls, envir, notes);
  }
  const envContext = env.DOCKER_CONTEXT;
  if (envContext !== undefined && envContext !== '') return fromContext(envContext, 'DOCKER_CONTEXT', envir, notes);
  const config = readDockerConfig(envir);
  const current = config?.currentContext;
  if (typeof current === 'string' && current !== '') return fromContext(current, 'config.json', envir, notes);
  return defaultEndpoint(options.tls, envir, notes);
}

function defaultEndpoint(tls: EndpointOptions['tls'], envir: EndpointEnvironment, notes: string[]): Endpoint {
  if (!envir.exists(DEFAULT_SOCKET)) {
    const alternatives = [
      envir.env.XDG_RUNTIME_DIR ? join(envir.env.XDG_RUNTIME_DIR, 'docker.sock') : undefined,
      join(envir.homedir, '.docker', 'run', 'docker.sock'),
      join(envir.homedir, '.docker', 'desktop', 'docker.sock'),
      envir.env.XDG_RUNTIME_DIR ? join(envir.env.XDG_RUNTIME_DIR, 'podman', 'podman.sock') : undefined,
      '/run/podman/podman.sock',
    ];
    const found = alternatives.find((p): p is string => p !== undefined && envir.exists(p));
    if (found !== undefined) {
      notes.push(`${DEFAULT_SOCKET} does not exist; found ${found}`);
      return fromHost(parseHost(`unix://${found}`, 'default socket'), 'default', tls, envir, notes);
    }
  }
  return fromHost(parseHost(`unix://${DEFAULT_SOCKET}`, 'default socket'), 'default', tls, envir, notes);
}

function fromHost(
  parsed: ParsedHost, source: EndpointSource, tlsOption: EndpointOptions['tls'],
  envir: EndpointEnvironment, notes: string[], context?: string, contextTls?: TlsSettings,
): Endpoint {
  if (parsed.protocol !== 'tcp') {
    if (tlsOption && parsed.protocol === 'unix') notes.push('TLS settings ignored for a unix socket');
    return new Endpoint({
      protocol: parsed.protocol, socketPath: parsed.socketPath, ssh: parsed.ssh, host: parsed.host,
      port: parsed.port, basePath: parsed.basePath, source, context, notes,
    });
  }
  const tls = contextTls ?? tcpTls(parsed, tlsOption, envir, source);
  const port = parsed.port ?? (tls ? 2376 : 2375);
  return new Endpoint({
    protocol: 'tcp', host: parsed.host, port, basePath: parsed.basePath, tls, source, context, notes,
  });
}

function tcpTls(parsed: ParsedHost, option: EndpointOptions['tls'], envir: EndpointEnvironment, source: EndpointSource): TlsSettings | undefined {
  if (option === false) {
    if (parsed.scheme === 'https') throw new DockerConfigError(`${parsed.scheme}:// asks for TLS but the tls option is false`);
    return undefined;
  }
  if (typeof option === 'object') {
    if (option.certPath !== undefined) return tlsFromDir(option.certPath, option.verify ?? true, true, envir, 'tls.certPath', option.servername);
    if ((option.cert === undefined) !== (option.key === undefined)) {
      throw new DockerConfigError('tls: give both cert and key, or neither');
    }
    return {
      verify: option.verify ?? true, ca: option.ca, cert: option.cert, key: option.key, servername: option.servername,
    };
  }
  const env = envir.env;
  // DOCKER_TLS_VERIFY: any non-empty value, "0" included, means verify (as in the docker CLI).
  const verifyVar = env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '';
  const tlsVar = env.DOCKER_TLS !== undefined && env.DOCKER_TLS !== '';
  const wantTls = option === true || verifyVar || tlsVar || parsed.scheme === 'https';
  if (parsed.scheme === 'http' && wantTls) {
    const why = option === true ? 'the tls option is true' : `${verifyVar ? 'DOCKER_TLS_VERIFY' : 'DOCKER_TLS'} is set`;
    throw new DockerConfigError(`http:// (from ${source}) asks for plain HTTP but ${why}; use tcp:// or https://`);
  }
  if (!wantTls) return undefined;
  const verify = option === true || verifyVar || (!tlsVar && parsed.scheme === 'https');
  const certPath = env.DOCKER_CERT_PATH;
  const explicitDir = certPath !== undefined && certPath !== '';
  const dir = explicitDir ? certPath : dockerConfigDir(envir);
  return tlsFromDir(dir, verify, explicitDir, envir, explicitDir ? 'DOCKER_CERT_PATH' : 'default cert dir');
}

/**
 * TLS material from a folder of `ca.pem`, `cert.pem`, `key.pem`. When the
 * folder was named explicitly and verification is on, `ca.pem` must exist;
 * a client certificate needs both `cert.pem` and `key.pem`.
 */
function tlsFromDir(dir: string, verify: boolean, explicit: boolean, envir: EndpointEnvironment, origin: string, servername?: string): TlsSettings {
  const ca = join(dir, 'ca.pem');
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const hasCa = envir.exists(ca);
  const hasCert = envir.exists(cert);
  const hasKey = envir.exists(key);
  if (explicit && verify && !hasCa) throw new DockerConfigError(`${origin}="${dir}": ${ca} does not exist (needed to verify the engine)`);
  if (hasCert !== hasKey) {
    throw new DockerConfigError(`${origin}="${dir}": found ${hasCert ? 'cert.pem' : 'key.pem'} without ${hasCert ? 'key.pem' : 'cert.pem'}`);
  }
  return {
    verify,
    caFile: hasCa ? ca : undefined,
    certFile: hasCert ? cert : undefined,
    keyFile: hasKey ? key : undefined,
    servername,
  };
}

function fromContext(name: string, source: 'option' | 'DOCKER_CONTEXT' | 'config.json', envir: EndpointEnvironment, notes: string[]): Endpoint {
  const configDir = dockerConfigDir(envir);
  const origin = source === 'option' ? 'context option' : source === 'DOCKER_CONTEXT' ? 'DOCKER_CONTEXT' : `currentContext in ${join(configDir, 'config.json')}`;
  if (name === 'default') {
    // The virtual "default" context: DOCKER_HOST is not set here (it would have won), so the platform socket.
    const ep = defaultEndpoint(undefined, envir, notes);
    return new Endpoint({ ...endpointFields(ep), source: source === 'option' ? 'option' : source, context: 'default', notes });
  }
  const id = contextDirName(name);
  const metaFile = join(configDir, 'contexts', 'meta', id, 'meta.json');
  const text = envir.readFile(metaFile);
  if (text === undefined) throw new DockerConfigError(`${origin}="${name}": no such context (looked for ${metaFile})`);
  let meta: unknown;
  try { meta = parseJson(text, metaFile); } catch (err) {
    throw new DockerConfigError(`${origin}="${name}": ${metaFile} is not valid JSON`, { cause: err });
  }
  const endpoints = isObject(meta) ? meta.Endpoints : undefined;
  const docker = isObject(endpoints) ? endpoints.docker : undefined;
  if (!isObject(docker)) throw new DockerConfigError(`${origin}="${name}": ${metaFile} has no docker endpoint`);
  const hostValue = typeof docker.Host === 'string' && docker.Host !== '' ? docker.Host : `unix://${DEFAULT_SOCKET}`;
  const parsed = parseHost(hostValue, `context "${name}" Host`);
  const skipVerify = docker.SkipTLSVerify === true;
  const tlsDir = join(configDir, 'contexts', 'tls', id, 'docker');
  const files = {
    caFile: join(tlsDir, 'ca.pem'), certFile: join(tlsDir, 'cert.pem'), keyFile: join(tlsDir, 'key.pem'),
  };
  const has = {
    ca: envir.exists(files.caFile), cert: envir.exists(files.certFile), key: envir.exists(files.keyFile),
  };
  let tls: TlsSettings | undefined;
  if (parsed.protocol === 'tcp' && parsed.scheme !== 'http' && (has.ca || has.cert || skipVerify || parsed.scheme === 'https')) {
    if (has.cert !== has.key) throw new DockerConfigError(`context "${name}": ${tlsDir} has ${has.cert ? 'cert.pem' : 'key.pem'} without its pair`);
    tls = {
      verify: !skipVerify,
      caFile: has.ca ? files.caFile : undefined,
      certFile: has.cert ? files.certFile : undefined,
      keyFile: has.key ? files.keyFile : undefined,
    };
  }
  const src: EndpointSource = source === 'option' ? 'option' : source;
  return fromHost(parsed, src, undefined, envir, notes, name, tls);
}

function endpointFields(ep: Endpoint): ConstructorParameters<typeof Endpoint>[0] {
  return {
    protocol: ep.protocol, socketPath: ep.socketPath, host: ep.host, port: ep.port, basePath: ep.basePath,
    tls: ep.tls, ssh: ep.ssh, source: ep.source, context: ep.context, notes: ep.notes,
  };
}
