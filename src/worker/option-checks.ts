import { MIN_API_VERSION, compareApiVersions, parseApiVersion, parseHost } from '../engine/index.js';
import { isPlainObject } from './compatibility.js';
import { describeType } from './config-problems.js';
import { MASTER_PROTOCOLS, checkUserEnvironment } from './environment.js';
import { imageReferenceProblem } from './image-reference.js';
import { RESERVED_LABEL_PREFIX } from './labels.js';
import { splitShellWords } from './shell-words.js';
import { parseVolumeSpec } from './volumes.js';

/**
 * Checks of single option values, shared by `checkConfig` (literal values,
 * at construction) and the check after rendering (every value, at start).
 * A check returns a problem description, or undefined when the value is
 * fine; `undefined` values are never passed in.
 */

/** A check of one value. `path` names it in messages of nested checks. */
export type ValueCheck = (value: unknown, path: string) => string | undefined;

/** Build-context encodings the engine detects. */
export const CONTEXT_ENCODINGS = ['gzip', 'bzip2', 'xz', 'identity'] as const;

/** How the worker tells that the instance is ready. */
export const READINESS = ['attached', 'healthy', 'running'] as const;

const TLS_KEYS = ['verify', 'ca', 'cert', 'key', 'certPath', 'servername'];

/** `true` or `false`. */
export const isBoolean: ValueCheck = (v) => (typeof v === 'boolean' ? undefined : `must be true or false, got ${describeType(v)}`);

/** Any string. */
export const isString: ValueCheck = (v) => (typeof v === 'string' ? undefined : `must be a string, got ${describeType(v)}`);

/** A string other than `''`. */
export const isNonEmptyString: ValueCheck = (v) => isString(v, '') ?? (v === '' ? 'must not be empty' : undefined);

/** Runs `check` after `first` passed. */
function then(first: ValueCheck, check: (value: string) => string | undefined): ValueCheck {
  return (v, path) => first(v, path) ?? check(v as string);
}

function fromThrow(fn: (value: string) => unknown): (value: string) => string | undefined {
  return (value) => {
    try {
      fn(value);
      return undefined;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  };
}

/** A `DOCKER_HOST`-style endpoint the engine client accepts. */
export const dockerHostCheck = then(isNonEmptyString, fromThrow((v) => parseHost(v, 'dockerHost')));

/** `true`, `false`, or TLS options with known keys, `cert` and `key` together. */
export const tlsCheck: ValueCheck = (v) => {
  if (typeof v === 'boolean') return undefined;
  if (!isPlainObject(v)) return `must be true, false or TLS options, got ${describeType(v)}`;
  const unknown = Object.keys(v).filter((k) => !TLS_KEYS.includes(k));
  if (unknown.length > 0) return `unknown TLS option(s) ${unknown.join(', ')} (known: ${TLS_KEYS.join(', ')})`;
  if ((v.cert === undefined) !== (v.key === undefined)) return 'give both cert and key, or neither';
  return undefined;
};

/** `major.minor`, not below the oldest API version berth speaks. */
export const apiVersionCheck = then(isString, (v) => {
  if (!parseApiVersion(v)) return `"${v}" is not an API version (major.minor, e.g. 1.41)`;
  return compareApiVersions(v, MIN_API_VERSION) < 0 ? `${v} is below the oldest API version berth speaks (${MIN_API_VERSION})` : undefined;
});

/** An image reference (`[registry/]name[:tag][@digest]`). */
export const imageCheck = then(isString, imageReferenceProblem);

/** One of {@link CONTEXT_ENCODINGS}. */
export const encodingCheck: ValueCheck = (v) =>
  (CONTEXT_ENCODINGS as readonly unknown[]).includes(v) ? undefined : `must be one of ${CONTEXT_ENCODINGS.join(', ')}, got ${JSON.stringify(v)}`;

/** A build stage name, or `''` for the last stage. */
export const buildTargetCheck = then(isString, (v) =>
  v === '' || /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(v) ? undefined : `"${v}" is not a build stage name`);

/** A `docker -v` volume specification. */
export const volumeCheck = then(isString, fromThrow(parseVolumeSpec));

/** A container host name: letters, digits, `_`, `.`, `-`, at most 64 characters. */
export const hostnameCheck = then(isNonEmptyString, (v) =>
  v.length <= 64 && /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(v) ? undefined : `"${v}" is not a host name (letters, digits, "_", ".", "-"; at most 64)`);

/** One of the master protocols the worker image speaks. */
export const protocolCheck: ValueCheck = (v) =>
  (MASTER_PROTOCOLS as readonly unknown[]).includes(v) ? undefined : `must be one of ${MASTER_PROTOCOLS.join(', ')}, got ${JSON.stringify(v)}`;

/** A TCP port, 1-65535. */
export const portCheck: ValueCheck = (v) =>
  Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535 ? undefined : `must be a port number (1-65535), got ${String(v)}`;

/** `user[:group]`, by name or id. */
export const userCheck = then(isNonEmptyString, (v) =>
  /^[^\s:]+(?::[^\s:]+)?$/.test(v) ? undefined : `"${v}" is not user[:group]`);

/** An absolute path (POSIX or Windows). */
export const workingDirCheck = then(isString, (v) => (v.startsWith('/') || /^[A-Za-z]:[\\/]/.test(v) ? undefined : `"${v}" must be an absolute path`));

/** `os[/arch[/variant]]`, lower-case. */
export const platformCheck = then(isString, (v) =>
  /^[a-z0-9_]+(?:\/[a-z0-9_]+(?:\/[a-z0-9_.]+)?)?$/.test(v) ? undefined : `"${v}" is not os[/arch[/variant]] (e.g. linux/arm64/v8)`);

/** A signal name (`SIGTERM`, `TERM`, `SIGRTMIN+3`) or number. */
export const stopSignalCheck = then(isString, (v) =>
  /^(?:SIG)?[A-Z][A-Z0-9]*(?:[+-]\d+)?$|^\d+$/.test(v) ? undefined : `"${v}" is not a signal (e.g. SIGTERM, TERM or 15)`);

/** A whole number of seconds, at least 0. */
export const stopTimeoutCheck: ValueCheck = (v) =>
  Number.isInteger(v) && (v as number) >= 0 ? undefined : `must be a whole number of seconds, got ${String(v)}`;

/** A plain object (passed through to the engine, which checks its fields). */
export const isObject: ValueCheck = (v) => (isPlainObject(v) ? undefined : `must be an object, got ${describeType(v)}`);

/** A healthcheck: `Test` an array of strings (`NONE`, `CMD …`, `CMD-SHELL …`), durations whole non-negative nanoseconds. */
export const healthcheckCheck: ValueCheck = (v) => {
  if (!isPlainObject(v)) return `must be an object, got ${describeType(v)}`;
  const { Test: test, ...rest } = v;
  if (test !== undefined && (!Array.isArray(test) || !test.every((w) => typeof w === 'string'))) return 'Test must be an array of strings';
  if (Array.isArray(test) && test.length > 0 && !['NONE', 'CMD', 'CMD-SHELL'].includes(test[0] as string)) {
    return `Test must start with NONE, CMD or CMD-SHELL, got ${JSON.stringify(test[0])}`;
  }
  for (const [key, n] of Object.entries(rest)) {
    if (!['Interval', 'Timeout', 'Retries', 'StartPeriod', 'StartInterval'].includes(key)) return `unknown field ${key}`;
    if (!Number.isSafeInteger(n) || (n as number) < 0) return `${key} must be a whole number ≥ 0 (durations in nanoseconds), got ${String(n)}`;
  }
  return undefined;
};

/** A command: a string (split like a shell does) or an array of strings. */
export const commandCheck: ValueCheck = (v) => {
  if (typeof v === 'string') return fromThrow(splitShellWords)(v);
  return Array.isArray(v) ? undefined : `must be a string or an array of strings, got ${describeType(v)}`;
};

/** A readiness strategy: `'attached'`, `'healthy'`, `'running'` or `{ logLine: RegExp }`. */
export const readinessCheck: ValueCheck = (v) => {
  if ((READINESS as readonly unknown[]).includes(v)) return undefined;
  if (isPlainObject(v) && v.logLine instanceof RegExp && Object.keys(v).length === 1) return undefined;
  return `must be ${READINESS.map((r) => `'${r}'`).join(', ')} or { logLine: RegExp }, got ${describeType(v)}`;
};

/** A user label key (the last part of `path`): non-empty, not in berth's reserved prefix. */
export const labelKeyCheck: ValueCheck = (_v, path) => {
  const key = path.slice(path.indexOf('.') + 1);
  if (key === '') return 'a label key must not be empty';
  return key.startsWith(RESERVED_LABEL_PREFIX) ? `the prefix "${RESERVED_LABEL_PREFIX}" is kept for berth's own labels` : undefined;
};

/** A user environment variable (its name is the last part of `path`). */
export const envEntryCheck: ValueCheck = (v, path) => {
  const name = path.slice(path.indexOf('.') + 1);
  return isString(v, path) ?? fromThrow(() => checkUserEnvironment({ [name]: v as string }))(name);
};

/** docker-py's snake_case host-config names whose Engine name is not the plain PascalCase form. */
const SNAKE_TO_ENGINE: Readonly<Record<string, string>> = {
  mem_limit: 'Memory', memswap_limit: 'MemorySwap', nano_cpus: 'NanoCpus', cpuset_cpus: 'CpusetCpus',
  dns_opt: 'DnsOptions', dns_search: 'DnsSearch', pids_limit: 'PidsLimit', oom_kill_disable: 'OomKillDisable',
  device_requests: 'DeviceRequests', ipc_mode: 'IpcMode', pid_mode: 'PidMode', uts_mode: 'UTSMode',
  userns_mode: 'UsernsMode', security_opt: 'SecurityOpt', log_config: 'LogConfig', read_only: 'ReadonlyRootfs',
};

/** The Engine API name of a docker-py host-config key: `network_mode` → `NetworkMode`. */
export function engineHostConfigName(key: string): string {
  return SNAKE_TO_ENGINE[key] ?? key.split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

/** Checks of the host-config keys berth reads or sets. */
export const HOST_CONFIG_CHECKS: Readonly<Record<string, ValueCheck>> = {
  Binds: (v) => (Array.isArray(v) ? undefined : `must be an array of volume specifications, got ${describeType(v)}`),
  Init: isBoolean,
  AutoRemove: isBoolean,
  Privileged: isBoolean,
  NetworkMode: isNonEmptyString,
};

/** A host-config key: Engine API names are PascalCase; docker-py's snake_case names get a hint. */
export const hostConfigKeyCheck: ValueCheck = (_v, path) => {
  const key = path.slice(path.indexOf('.') + 1);
  if (/^[A-Z]/.test(key)) return undefined;
  return `berth takes Engine API names (PascalCase), not docker-py's: write ${engineHostConfigName(key)}`;
};
