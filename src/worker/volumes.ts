import { VolumeSpecError } from './errors.js';

/**
 * The `docker run -v` volume format, checked before the engine sees it:
 * `SRC:DST[:MODES]` or an anonymous `DST`. `SRC` is an absolute host path
 * (a bind mount: `/srv/x`, `C:\x`, `c:/x`, `\\server\share`) or a volume
 * name (`cache`); `DST` is an absolute path in the container (`/x`, or
 * `C:\x` for Windows containers); `MODES` is a comma list.
 *
 * Differences from Buildbot, which split at the first `:` and checked only
 * `:ro`/`:rw`: every mode is understood, Windows drive letters are not
 * separators, anonymous volumes are accepted, and `~` or relative host
 * paths are refused (the engine may be on another machine: nothing would
 * expand them there).
 */

/** What a volume specification mounts. */
export type VolumeKind = 'bind' | 'volume' | 'anonymous';

/** A parsed volume specification. */
export interface VolumeSpec {
  /** The specification as given. */
  readonly spec: string;
  readonly kind: VolumeKind;
  /** The host path (bind) or volume name (volume); undefined for an anonymous volume. */
  readonly source: string | undefined;
  /** The path in the container. */
  readonly target: string;
  /** The modes, in the order given. */
  readonly modes: readonly string[];
  readonly readOnly: boolean;
}

/** What `POST /containers/create` needs for a list of volume specifications. */
export interface ContainerVolumes {
  /** `HostConfig.Binds`: bind mounts and named volumes, each the user's string unchanged. */
  readonly binds: string[];
  /** `Config.Volumes`: anonymous volumes, as the docker CLI sends them. */
  readonly volumes: Record<string, Record<string, never>>;
}

const MODE_GROUPS: ReadonlyArray<{ readonly name: string; readonly modes: readonly string[] }> = [
  { name: 'access', modes: ['rw', 'ro'] },
  { name: 'SELinux label', modes: ['z', 'Z'] },
  { name: 'propagation', modes: ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'] },
  { name: 'copy', modes: ['nocopy'] },
  { name: 'consistency', modes: ['consistent', 'cached', 'delegated'] },
];
const KNOWN_MODES = MODE_GROUPS.flatMap((g) => g.modes);
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const DRIVE_PATH = /^[A-Za-z]:[\\/]/;

/** True for an absolute host path: POSIX, Windows drive, or UNC. */
function isAbsoluteHostPath(path: string): boolean {
  return path.startsWith('/') || DRIVE_PATH.test(path) || path.startsWith('\\\\');
}

/** Splits at `:`, except the colon of a drive letter at the start of a part (`C:\`, `c:/`). */
function splitSpec(spec: string): string[] {
  const parts: string[] = [];
  let rest = spec;
  for (;;) {
    const drive = DRIVE_PATH.test(rest) ? rest.slice(0, 2) : '';
    const body = rest.slice(drive.length);
    const colon = body.indexOf(':');
    if (colon < 0) {
      parts.push(drive + body);
      return parts;
    }
    parts.push(drive + body.slice(0, colon));
    rest = body.slice(colon + 1);
  }
}

/** True when every comma-separated item of `text` is a known mode (Docker's test for `DST:MODE`). */
function looksLikeModes(text: string): boolean {
  return text.split(',').every((m) => KNOWN_MODES.includes(m));
}

function checkModes(spec: string, text: string, kind: VolumeKind, windowsTarget: boolean): string[] {
  const fail = (why: string): never => { throw new VolumeSpecError(spec, why); };
  const modes = text.split(',');
  const seen = new Map<string, string>();
  for (const mode of modes) {
    if (mode === '') fail('empty mode in the mode list');
    const group = MODE_GROUPS.find((g) => g.modes.includes(mode));
    if (group === undefined) fail(`unknown mode "${mode}" (known: ${KNOWN_MODES.join(', ')})`);
    const earlier = seen.get(group?.name ?? '');
    if (earlier !== undefined) fail(`modes "${earlier}" and "${mode}" conflict (one ${group?.name ?? ''} mode at most)`);
    seen.set(group?.name ?? '', mode);
  }
  if (windowsTarget && modes.some((m) => m !== 'ro' && m !== 'rw')) fail('Windows containers take only the ro and rw modes');
  if (kind === 'volume' && seen.has('propagation')) fail(`propagation mode "${seen.get('propagation') ?? ''}" applies to bind mounts only, not to volume "${spec.split(':')[0] ?? ''}"`);
  if (kind === 'bind' && seen.has('copy')) fail('nocopy applies to named volumes only, not to bind mounts');
  return modes;
}

function checkSource(spec: string, source: string): 'bind' | 'volume' {
  const fail = (why: string): never => { throw new VolumeSpecError(spec, why); };
  if (isAbsoluteHostPath(source)) return 'bind';
  if (source === '~' || source.startsWith('~/') || source.startsWith('~\\')) {
    fail(`"${source}" is not expanded (the engine may run on another machine); write the absolute host path`);
  }
  if (source.startsWith('.') || source.includes('/') || source.includes('\\')) {
    fail(`host path "${source}" is relative; write an absolute path (relative to what would depend on where the engine runs)`);
  }
  if (!VOLUME_NAME.test(source)) fail(`"${source}" is neither an absolute host path nor a volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)`);
  return 'volume';
}

function checkTarget(spec: string, target: string): boolean {
  const fail = (why: string): never => { throw new VolumeSpecError(spec, why); };
  const windows = DRIVE_PATH.test(target);
  if (!windows && !target.startsWith('/')) fail(`the container path "${target}" must be absolute`);
  if (/^\/+$/.test(target) || /^[A-Za-z]:[\\/]+$/.test(target)) fail('cannot mount over the container\'s root');
  return windows;
}

/**
 * Parses one `docker -v` specification.
 * @throws VolumeSpecError naming the specification and what is wrong with it
 */
export function parseVolumeSpec(spec: string): VolumeSpec {
  const fail = (why: string): never => { throw new VolumeSpecError(String(spec), why); };
  if (typeof spec !== 'string') fail(`expected a string, got ${typeof spec}`);
  if (spec === '') fail('empty specification');
  if (spec.trim() !== spec) fail('leading or trailing whitespace');
  if (/[\u0000-\u001f\u007f]/.test(spec)) fail('control characters');
  const parts = splitSpec(spec);
  if (parts.length > 3) fail('too many ":"-separated parts (expected SRC:DST[:MODES] or DST)');
  if (parts.some((p) => p === '')) fail('empty part (expected SRC:DST[:MODES] or DST)');
  const [first = '', second, third] = parts;
  if (second === undefined) {
    checkTarget(spec, first);
    return { spec, kind: 'anonymous', source: undefined, target: first, modes: [], readOnly: false };
  }
  if (third === undefined && looksLikeModes(second)) {
    fail(`"${second}" is a mode, and an anonymous volume takes no mode (write SRC:DST:${second})`);
  }
  const kind = checkSource(spec, first);
  const windowsTarget = checkTarget(spec, second);
  const modes = third === undefined ? [] : checkModes(spec, third, kind, windowsTarget);
  return { spec, kind, source: first, target: second, modes, readOnly: modes.includes('ro') };
}

/** The key two mounts of the same container path share. */
function targetKey(target: string): string {
  const trimmed = target.replace(/[\\/]+$/, '');
  return DRIVE_PATH.test(target) ? trimmed.replace(/\//g, '\\').toLowerCase() : trimmed;
}

/**
 * Parses a list of specifications into the create-body fields: bind mounts
 * and named volumes go to `HostConfig.Binds` as written, anonymous volumes
 * to `Config.Volumes`.
 * @throws VolumeSpecError for a malformed specification or two mounts on one container path
 */
export function containerVolumes(specs: readonly string[]): ContainerVolumes {
  const binds: string[] = [];
  const volumes: Record<string, Record<string, never>> = {};
  const targets = new Map<string, string>();
  for (const spec of specs) {
    const parsed = parseVolumeSpec(spec);
    const key = targetKey(parsed.target);
    const other = targets.get(key);
    if (other !== undefined) throw new VolumeSpecError(spec, `"${parsed.target}" is already mounted by "${other}"`);
    targets.set(key, spec);
    if (parsed.kind === 'anonymous') volumes[parsed.target] = {};
    else binds.push(spec);
  }
  return { binds, volumes };
}
