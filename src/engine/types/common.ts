/**
 * Wire shapes for common, generated once from the Engine API swagger (v1.55)
 * and kept by hand since: field names verbatim, required only where the
 * engines always send them.
 */
/** Information about the storage driver used to store the container's and */
export interface DriverData {
  Name: string;
  Data: Record<string, string>;
}

/** Describes a port-mapping between the container and the host. */
export interface PortSummary {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: 'tcp' | 'udp' | 'sctp';
}

/** Platform represents the platform (Arch/OS). */
export interface Platform {
  Architecture?: string;
  OS?: string;
}

/** The version number of the object such as node, service, etc. This is needed */
export interface ObjectVersion {
  Index: number;
}

/** User-defined resources can be either Integer resources (e.g, `SSD=3`) or */
export type GenericResources = Array<{
  NamedResourceSpec?: {
    Kind?: string;
    Value?: string;
  };
  DiscreteResourceSpec?: {
    Kind?: string;
    Value?: number;
  };
}>;

/** An object describing a limit on resources which can be requested by a task. */
export interface Limit {
  NanoCPUs?: number;
  MemoryBytes?: number;
  Pids?: number;
}

/** An object describing the resources which can be advertised by a node and */
export interface ResourceObject {
  NanoCPUs?: number;
  MemoryBytes?: number;
  GenericResources?: GenericResources;
}

export interface ErrorDetail {
  code?: number;
  message?: string;
}

export interface ProgressDetail {
  current?: number;
  total?: number;
  /** Unix seconds the operation started (JSONProgress; not in the swagger). */
  start?: number;
  /** Show only the current value, without a total (JSONProgress; not in the swagger). */
  hidecounts?: boolean;
  /** `bytes` (the default) or e.g. `items` (JSONProgress; not in the swagger). */
  units?: string;
}

/** Response to an API call that returns just an Id */
export interface IDResponse {
  Id: string;
}

/** The mount type. Available types: */
export type MountType = 'bind' | 'cluster' | 'image' | 'npipe' | 'tmpfs' | 'volume';

export interface Mount {
  Target?: string;
  Source?: string;
  Type?: MountType;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: {
    Propagation?: 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave';
    NonRecursive?: boolean;
    CreateMountpoint?: boolean;
    ReadOnlyNonRecursive?: boolean;
    ReadOnlyForceRecursive?: boolean;
  };
  VolumeOptions?: {
    NoCopy?: boolean;
    Labels?: Record<string, string>;
    DriverConfig?: {
      Name?: string;
      Options?: Record<string, string>;
    };
    Subpath?: string;
  };
  ImageOptions?: {
    Subpath?: string;
  };
  TmpfsOptions?: {
    SizeBytes?: number;
    Mode?: number;
    Options?: string[][];
  };
}

/** MountPoint represents a mount point configuration inside the container. */
export interface MountPoint {
  Type?: MountType;
  Name?: string;
  Source?: string;
  Destination?: string;
  Driver?: string;
  Mode?: string;
  RW?: boolean;
  Propagation?: string;
}

/** A device mapping between the host and container */
export interface DeviceMapping {
  PathOnHost?: string;
  PathInContainer?: string;
  CgroupPermissions?: string;
}

/** A request for devices to be sent to device drivers */
export interface DeviceRequest {
  Driver?: string;
  Count?: number;
  DeviceIDs?: string[];
  Capabilities?: string[][];
  Options?: Record<string, string>;
}

export interface ThrottleDevice {
  Path?: string;
  Rate?: number;
}

/** The behavior to apply when the container exits. The default is not to */
export interface RestartPolicy {
  Name?: '' | 'no' | 'always' | 'unless-stopped' | 'on-failure';
  MaximumRetryCount?: number;
}

/** A container's resources (cgroups config, ulimits, etc) */
export interface Resources {
  CpuShares?: number;
  Memory?: number;
  CgroupParent?: string;
  BlkioWeight?: number;
  BlkioWeightDevice?: Array<{
    Path?: string;
    Weight?: number;
  }>;
  BlkioDeviceReadBps?: ThrottleDevice[];
  BlkioDeviceWriteBps?: ThrottleDevice[];
  BlkioDeviceReadIOps?: ThrottleDevice[];
  BlkioDeviceWriteIOps?: ThrottleDevice[];
  CpuPeriod?: number;
  CpuQuota?: number;
  CpuRealtimePeriod?: number;
  CpuRealtimeRuntime?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  Devices?: DeviceMapping[];
  DeviceCgroupRules?: string[];
  DeviceRequests?: DeviceRequest[];
  MemoryReservation?: number;
  MemorySwap?: number;
  MemorySwappiness?: number;
  NanoCpus?: number;
  OomKillDisable?: boolean;
  Init?: boolean | null;
  PidsLimit?: number | null;
  Ulimits?: Array<{
    Name?: string;
    Soft?: number;
    Hard?: number;
  }>;
  CpuCount?: number;
  CpuPercent?: number;
  IOMaximumIOps?: number;
  IOMaximumBandwidth?: number;
}

/** A test to perform to check that the container is healthy. */
export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
  StartInterval?: number;
}

/** Health stores information about the container's healthcheck results. */
export interface Health {
  Status?: 'none' | 'starting' | 'healthy' | 'unhealthy';
  FailingStreak?: number;
  Log?: Array<HealthcheckResult | null>;
}

/** HealthcheckResult stores information about a single run of a healthcheck probe */
export interface HealthcheckResult {
  Start?: string;
  End?: string;
  ExitCode?: number;
  Output?: string;
}

/** A descriptor struct containing digest, media type, and size, as defined in */
export interface OCIDescriptor {
  mediaType?: string;
  digest?: string;
  size?: number;
  urls?: string[] | null;
  annotations?: Record<string, string> | null;
  data?: string | null;
  platform?: OCIPlatform | null;
  artifactType?: string | null;
}

/** Describes the platform which the image in the manifest runs on, as defined */
export interface OCIPlatform {
  architecture?: string;
  os?: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
}

/** Runtime describes an [OCI compliant](https://github.com/opencontainers/runtime-spec) */
export interface Runtime {
  path?: string;
  runtimeArgs?: string[] | null;
  status?: Record<string, string> | null;
}
