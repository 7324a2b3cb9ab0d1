import {
  Docker, MAX_API_VERSION, MIN_API_VERSION, processEnvironment, resolveEndpoint,
  type Endpoint, type PingInfo, type SystemInfo, type SystemVersion,
} from '../../engine/index.js';
import { BERTH_VERSION } from '../../engine/package-version.js';
import { EXIT, describeFailure } from '../failure.js';
import type { Environment } from '../output.js';

/**
 * What `berth doctor` finds out, as one JSON-ready object. Field names are
 * stable (`berth doctor --json` prints it as is); a value that could not be
 * learnt is `null`, never missing.
 */
export interface DoctorReport {
  /** True when the engine answered and every check passed. */
  ok: boolean;
  exitCode: number;
  berth: { version: string; minApiVersion: string; maxApiVersion: string; node: string };
  endpoint: EndpointReport | null;
  tls: TlsReport | null;
  api: ApiReport | null;
  engine: EngineReport | null;
  ping: PingReport | null;
  /** The engine's own warnings (`/info` Warnings) and berth's. */
  warnings: string[];
  error: ErrorReport | null;
}

export interface EndpointReport {
  url: string;
  /** `option`, `DOCKER_HOST`, `DOCKER_CONTEXT`, `config.json` or `default`. */
  source: string;
  context: string | null;
  /** The one-line description, e.g. `tcp://h:2376 (TLS, verified, client certificate) from DOCKER_HOST`. */
  description: string;
  notes: string[];
}

export interface TlsReport {
  enabled: boolean;
  /** Whether the engine's certificate is verified; null without TLS. */
  verify: boolean | null;
  clientCertificate: boolean;
  /** `file`, `inline`, or `system` (Node's default CA store); null without TLS. */
  ca: 'file' | 'inline' | 'system' | null;
  caFile: string | null;
  certFile: string | null;
}

export interface ApiReport {
  /** The version berth uses with this engine. */
  negotiated: string | null;
  /** What pinned it (`DOCKER_API_VERSION`), or null when negotiated. */
  pinnedBy: string | null;
  engineMin: string | null;
  engineMax: string | null;
  berthMin: string;
  berthMax: string;
}

export interface EngineReport {
  kind: 'dockerd' | 'podman' | 'unknown';
  version: string | null;
  /** The `Server` header, e.g. `Docker/20.10.24 (linux)`. */
  server: string | null;
  os: string | null;
  arch: string | null;
  kernel: string | null;
  operatingSystem: string | null;
  storageDriver: string | null;
  cgroupDriver: string | null;
  cgroupVersion: string | null;
  /** `inactive`, `active`, … (Swarm.LocalNodeState, or the ping's Swarm header). */
  swarm: string | null;
  runtimes: string[];
  defaultRuntime: string | null;
  experimental: boolean | null;
  builderVersion: string | null;
}

export interface PingReport {
  samples: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
}

export interface ErrorReport {
  /** The failure kind (`unreachable`, `permission`, `tls-mismatch`, `certificate`, `api-version`, `config`, …). */
  kind: string;
  code: string | null;
  message: string;
  hint: string | null;
  syscallCode: string | null;
}

export interface DoctorOptions {
  host?: string | undefined;
  context?: string | undefined;
  env: Environment;
  /** Pings to time (default 5). */
  pings?: number;
  /** Milliseconds for connecting and for each answer. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Milliseconds now, for latency (default `performance.now`). */
  now?: () => number;
  /** Called as each stage starts, for a progress display. */
  onStage?: (stage: string) => void;
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function endpointReport(ep: Endpoint): EndpointReport {
  return { url: ep.url, source: ep.source, context: ep.context ?? null, description: ep.describe(), notes: [...ep.notes] };
}

function tlsReport(ep: Endpoint): TlsReport {
  const tls = ep.tls;
  if (!tls) return { enabled: false, verify: null, clientCertificate: false, ca: null, caFile: null, certFile: null };
  return {
    enabled: true,
    verify: tls.verify,
    clientCertificate: tls.cert !== undefined || tls.certFile !== undefined,
    ca: tls.ca !== undefined ? 'inline' : tls.caFile !== undefined ? 'file' : 'system',
    caFile: tls.caFile ?? null,
    certFile: tls.certFile ?? null,
  };
}

/** dockerd or podman, from the `Server` header or the version's components. */
export function engineKind(server: string | undefined, version: SystemVersion | undefined): EngineReport['kind'] {
  if (server !== undefined && /^Docker\//i.test(server)) return 'dockerd';
  if (server !== undefined && /^Libpod\//i.test(server)) return 'podman';
  const names = (version?.Components ?? []).map((c) => c.Name);
  if (names.some((n) => /podman/i.test(n))) return 'podman';
  if (names.includes('Engine')) return 'dockerd';
  return 'unknown';
}

function engineReport(ping: PingInfo | undefined, version: SystemVersion | undefined, info: SystemInfo | undefined): EngineReport {
  const str = (v: string | undefined | null): string | null => (v === undefined || v === null || v === '' ? null : v);
  const runtimes = info?.Runtimes ? Object.keys(info.Runtimes).sort() : [];
  return {
    kind: engineKind(ping?.server, version),
    version: str(version?.Version ?? info?.ServerVersion),
    server: str(ping?.server),
    os: str(version?.Os ?? info?.OSType ?? ping?.osType),
    arch: str(version?.Arch ?? info?.Architecture),
    kernel: str(version?.KernelVersion ?? info?.KernelVersion),
    operatingSystem: str(info?.OperatingSystem),
    storageDriver: str(info?.Driver),
    cgroupDriver: str(info?.CgroupDriver),
    cgroupVersion: str(info?.CgroupVersion),
    swarm: str(info?.Swarm?.LocalNodeState ?? ping?.swarm),
    runtimes,
    defaultRuntime: str(info?.DefaultRuntime),
    experimental: version?.Experimental ?? ping?.experimental ?? null,
    builderVersion: str(ping?.builderVersion),
  };
}

function berthReport(): DoctorReport['berth'] {
  return { version: BERTH_VERSION, minApiVersion: MIN_API_VERSION, maxApiVersion: MAX_API_VERSION, node: process.version };
}

/** The report, and the error behind a failure (for `--debug`). */
export interface Diagnosis {
  readonly report: DoctorReport;
  readonly cause: unknown;
}

/**
 * Runs the checks. Never throws: a failure is reported in `error` with its
 * exit code, next to whatever was learnt before it.
 */
export async function diagnose(options: DoctorOptions): Promise<Diagnosis> {
  const now = options.now ?? (() => performance.now());
  const report: DoctorReport = {
    ok: false, exitCode: EXIT.failed, berth: berthReport(), endpoint: null, tls: null, api: null, engine: null, ping: null, warnings: [], error: null,
  };
  const target = {
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.context !== undefined ? { context: options.context } : {}),
  };
  let endpoint: Endpoint | undefined;
  let docker: Docker | undefined;
  let cause: unknown;
  try {
    options.onStage?.('resolving the endpoint');
    endpoint = resolveEndpoint(target, processEnvironment(options.env));
    report.endpoint = endpointReport(endpoint);
    report.tls = tlsReport(endpoint);
    docker = new Docker({ ...target, env: options.env, timeout: options.timeoutMs, connectTimeout: options.timeoutMs });
    docker.on('warning', (message) => report.warnings.push(message));
    const pinnedBy = docker.negotiator.pinnedBy ?? null;
    report.api = { negotiated: null, pinnedBy, engineMin: null, engineMax: null, berthMin: MIN_API_VERSION, berthMax: MAX_API_VERSION };
    options.onStage?.(`contacting ${endpoint.url}`);
    const samples: number[] = [];
    const count = Math.max(1, options.pings ?? 5);
    try {
      for (let i = 0; i < count; i++) {
        const start = now();
        const ping = await docker.ping({ signal: options.signal });
        samples.push(now() - start);
        report.api.negotiated = ping.negotiatedVersion;
        report.api.engineMax = ping.apiVersion;
      }
    } finally {
      // what the engine said before a refusal (engine too old) is worth reporting
      report.api.engineMax ??= docker.pingInfo?.apiVersion || null;
      report.engine = docker.pingInfo ? engineReport(docker.pingInfo, undefined, undefined) : null;
    }
    report.ping = { samples: samples.length, medianMs: median(samples), minMs: Math.min(...samples), maxMs: Math.max(...samples) };
    options.onStage?.('reading /version and /info');
    const [version, info] = await Promise.all([docker.version({ signal: options.signal }), docker.info({ signal: options.signal })]);
    report.api.engineMin = version.MinAPIVersion ?? null;
    report.api.engineMax = version.ApiVersion;
    report.engine = engineReport(docker.pingInfo, version, info);
    report.warnings.push(...(info.Warnings ?? []));
    if (endpoint.tls && !endpoint.tls.verify) report.warnings.push('TLS without verification: the engine\'s identity is not checked');
    report.ok = true;
    report.exitCode = EXIT.ok;
  } catch (err) {
    const failure = describeFailure(err, endpoint);
    report.error = {
      kind: failure.kind, code: failure.code ?? null, message: failure.message, hint: failure.hint ?? null, syscallCode: failure.syscallCode ?? null,
    };
    report.exitCode = failure.exitCode;
    cause = err;
  } finally {
    await docker?.close();
  }
  return { report, cause };
}
