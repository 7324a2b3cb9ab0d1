/**
 * Wire shapes of the system endpoints, field names verbatim from the Engine
 * API (swagger v1.55, checked against v1.41). Fields every engine sends are
 * required; the rest are optional because some engine or version omits them.
 */

/** `GET /version` */
export interface SystemVersion {
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  Os: string;
  Arch: string;
  KernelVersion?: string;
  GitCommit?: string;
  GoVersion?: string;
  BuildTime?: string;
  Experimental?: boolean;
  Platform?: { Name: string };
  Components?: Array<{ Name: string; Version: string; Details?: Record<string, string> | null }>;
}

/** `GET /info` (the fields clients commonly rely on; engines send more). */
export interface SystemInfo {
  ID?: string;
  Containers?: number;
  ContainersRunning?: number;
  ContainersPaused?: number;
  ContainersStopped?: number;
  Images?: number;
  Driver?: string;
  DriverStatus?: Array<[string, string]> | null;
  DockerRootDir?: string;
  Plugins?: Record<string, string[] | null>;
  MemoryLimit?: boolean;
  SwapLimit?: boolean;
  CpuCfsPeriod?: boolean;
  CpuCfsQuota?: boolean;
  IPv4Forwarding?: boolean;
  Debug?: boolean;
  NFd?: number;
  NGoroutines?: number;
  SystemTime?: string;
  LoggingDriver?: string;
  CgroupDriver?: string;
  CgroupVersion?: string;
  NEventsListener?: number;
  KernelVersion?: string;
  OperatingSystem?: string;
  OSVersion?: string;
  OSType?: string;
  Architecture?: string;
  NCPU?: number;
  MemTotal?: number;
  IndexServerAddress?: string;
  RegistryConfig?: Record<string, unknown> | null;
  GenericResources?: unknown[] | null;
  HttpProxy?: string;
  HttpsProxy?: string;
  NoProxy?: string;
  Name?: string;
  Labels?: string[] | null;
  ExperimentalBuild?: boolean;
  ServerVersion?: string;
  Runtimes?: Record<string, { path?: string; runtimeArgs?: string[] | null }>;
  DefaultRuntime?: string;
  Swarm?: SwarmInfo;
  LiveRestoreEnabled?: boolean;
  Isolation?: string;
  InitBinary?: string;
  SecurityOptions?: string[] | null;
  Warnings?: string[] | null;
}

/** The `Swarm` part of `GET /info`. */
export interface SwarmInfo {
  NodeID?: string;
  NodeAddr?: string;
  LocalNodeState?: 'inactive' | 'pending' | 'active' | 'error' | 'locked' | '';
  ControlAvailable?: boolean;
  Error?: string;
  RemoteManagers?: Array<{ NodeID: string; Addr: string }> | null;
  Nodes?: number;
  Managers?: number;
  Cluster?: Record<string, unknown> | null;
}

/** `GET /system/df` */
export interface SystemDataUsage {
  LayersSize?: number;
  Images?: Array<Record<string, unknown>> | null;
  Containers?: Array<Record<string, unknown>> | null;
  Volumes?: Array<Record<string, unknown>> | null;
  BuildCache?: Array<Record<string, unknown>> | null;
  /** API ≥ 1.52 summaries. */
  ImageUsage?: Record<string, unknown>;
  ContainerUsage?: Record<string, unknown>;
  VolumeUsage?: Record<string, unknown>;
  BuildCacheUsage?: Record<string, unknown>;
}
