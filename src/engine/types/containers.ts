/**
 * Wire shapes for containers, generated once from the Engine API swagger (v1.55)
 * and kept by hand since: field names verbatim, required only where the
 * engines always send them.
 */
import type { DriverData, Health, HealthConfig, Mount, MountPoint, OCIDescriptor, PortSummary, Resources, RestartPolicy } from './common.js';
import type { Storage } from './images.js';
import type { EndpointSettings } from './networks.js';

/** The body of `POST /containers/create`: the container config plus host and networking config. */
export interface ContainerCreateRequest extends ContainerConfig {
  Image: string;
  HostConfig?: HostConfig;
  NetworkingConfig?: NetworkingConfig;
}

/** Container configuration that depends on the host we are running on */
export interface HostConfig extends Resources {
  Binds?: string[];
  ContainerIDFile?: string;
  LogConfig?: {
    Type?: 'local' | 'json-file' | 'syslog' | 'journald' | 'gelf' | 'fluentd' | 'awslogs' | 'splunk' | 'etwlogs' | 'none';
    Config?: Record<string, string>;
  };
  NetworkMode?: string;
  PortBindings?: PortMap;
  RestartPolicy?: RestartPolicy;
  AutoRemove?: boolean;
  VolumeDriver?: string;
  VolumesFrom?: string[];
  Mounts?: Mount[];
  ConsoleSize?: number[] | null;
  Annotations?: Record<string, string>;
  CapAdd?: string[];
  CapDrop?: string[];
  CgroupnsMode?: 'private' | 'host';
  Dns?: string[];
  DnsOptions?: string[];
  DnsSearch?: string[];
  ExtraHosts?: string[];
  GroupAdd?: string[];
  IpcMode?: string;
  Cgroup?: string;
  Links?: string[];
  OomScoreAdj?: number;
  PidMode?: string;
  Privileged?: boolean;
  PublishAllPorts?: boolean;
  ReadonlyRootfs?: boolean;
  SecurityOpt?: string[];
  StorageOpt?: Record<string, string>;
  Tmpfs?: Record<string, string>;
  UTSMode?: string;
  UsernsMode?: string;
  ShmSize?: number;
  Sysctls?: Record<string, string> | null;
  Runtime?: string | null;
  Isolation?: 'default' | 'process' | 'hyperv' | '';
  MaskedPaths?: string[];
  ReadonlyPaths?: string[];
}

/** Configuration for a container that is portable between hosts. */
export interface ContainerConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, Record<string, unknown>> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[];
  Cmd?: string[];
  Healthcheck?: HealthConfig;
  ArgsEscaped?: boolean | null;
  Image?: string;
  Volumes?: Record<string, Record<string, unknown>>;
  WorkingDir?: string;
  Entrypoint?: string[];
  NetworkDisabled?: boolean | null;
  OnBuild?: string[] | null;
  Labels?: Record<string, string>;
  StopSignal?: string | null;
  StopTimeout?: number | null;
  Shell?: string[] | null;
}

/** NetworkingConfig represents the container's networking configuration for */
export interface NetworkingConfig {
  EndpointsConfig?: Record<string, EndpointSettings>;
}

/** NetworkSettings exposes the network settings in the API */
export interface NetworkSettings {
  SandboxID?: string;
  SandboxKey?: string;
  Ports?: PortMap;
  Networks?: Record<string, EndpointSettings>;
}

/** Address represents an IPv4 or IPv6 IP address. */
export interface Address {
  Addr?: string;
  PrefixLen?: number;
}

/** PortMap describes the mapping of container ports to host ports, using the */
export type PortMap = Record<string, PortBinding[] | null>;

/** PortBinding represents a binding between a host IP address and a host */
export interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

/** ContainerState stores container's running state. It's part of ContainerJSONBase */
export interface ContainerState {
  Status?: 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
  Running?: boolean;
  Paused?: boolean;
  Restarting?: boolean;
  OOMKilled?: boolean;
  Dead?: boolean;
  Pid?: number;
  ExitCode?: number;
  Error?: string;
  StartedAt?: string;
  FinishedAt?: string;
  Health?: Health | null;
}

export interface ContainerInspectResponse {
  Id: string;
  Created: string;
  Path: string;
  Args: string[];
  State: ContainerState;
  Image: string;
  ResolvConfPath?: string;
  HostnamePath?: string;
  HostsPath?: string;
  LogPath?: string | null;
  Name: string;
  RestartCount: number;
  Driver?: string;
  Platform?: string;
  ImageManifestDescriptor?: OCIDescriptor;
  MountLabel?: string;
  ProcessLabel?: string;
  AppArmorProfile?: string;
  ExecIDs?: string[] | null;
  HostConfig: HostConfig;
  GraphDriver?: DriverData;
  Storage?: Storage;
  SizeRw?: number | null;
  SizeRootFs?: number | null;
  Mounts: MountPoint[];
  Config: ContainerConfig;
  NetworkSettings: NetworkSettings;
}

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  ImageManifestDescriptor?: OCIDescriptor;
  Command: string;
  Created: number;
  Ports?: PortSummary[];
  SizeRw?: number | null;
  SizeRootFs?: number | null;
  Labels?: Record<string, string>;
  State: 'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'removing' | 'dead';
  Status: string;
  HostConfig?: {
    NetworkMode?: string;
    Annotations?: Record<string, string> | null;
  };
  NetworkSettings?: {
    Networks?: Record<string, EndpointSettings>;
  };
  Mounts?: MountPoint[];
  Health?: {
    Status?: 'none' | 'starting' | 'healthy' | 'unhealthy';
    FailingStreak?: number;
  };
}

/** OK response to ContainerCreate operation */
export interface ContainerCreateResponse {
  Id: string;
  Warnings: string[];
}

/** Response for a successful container-update. */
export interface ContainerUpdateResponse {
  Warnings?: string[];
}

/** OK response to ContainerWait operation */
export interface ContainerWaitResponse {
  StatusCode: number;
  /** `null` on dockerd 20.10 and podman, absent on newer dockerd when there was no error. */
  Error?: ContainerWaitExitError | null;
}

/** container waiting error, if any */
export interface ContainerWaitExitError {
  Message?: string;
}

/** Container "top" response. */
export interface ContainerTopResponse {
  Titles?: string[];
  Processes?: string[][];
}

/** Change in the container's filesystem. */
export interface FilesystemChange {
  Path: string;
  Kind: ChangeType;
}

/** Kind of change */
export type ChangeType = number;

/**
 * Statistics sample for a container. A sample of a stopped container is all
 * zeroes on dockerd (`read` is `0001-01-01T00:00:00Z`); podman sends none.
 * dockerd 28 leaves `id` and `name` out of a running container's samples;
 * podman names the id `Id`.
 */
export interface ContainerStatsResponse {
  id?: string | null;
  /** podman's spelling of `id`. */
  Id?: string;
  name?: string | null;
  os_type?: string | null;
  read?: string;
  cpu_stats?: ContainerCPUStats | null;
  memory_stats?: ContainerMemoryStats;
  /** Per interface (`eth0`); absent for a container without networking. */
  networks?: Record<string, ContainerNetworkStats>;
  pids_stats?: ContainerPidsStats | null;
  blkio_stats?: ContainerBlkioStats | null;
  num_procs?: number;
  storage_stats?: ContainerStorageStats | null;
  preread?: string;
  precpu_stats?: ContainerCPUStats | null;
}

/** BlkioStats stores all IO service stats for data read and write. */
export interface ContainerBlkioStats {
  io_service_bytes_recursive?: Array<ContainerBlkioStatEntry | null>;
  io_serviced_recursive?: Array<ContainerBlkioStatEntry | null> | null;
  io_queue_recursive?: Array<ContainerBlkioStatEntry | null> | null;
  io_service_time_recursive?: Array<ContainerBlkioStatEntry | null> | null;
  io_wait_time_recursive?: Array<ContainerBlkioStatEntry | null> | null;
  io_merged_recursive?: Array<ContainerBlkioStatEntry | null> | null;
  io_time_recursive?: Array<ContainerBlkioStatEntry | null> | null;
  sectors_recursive?: Array<ContainerBlkioStatEntry | null> | null;
}

/** Blkio stats entry. */
export interface ContainerBlkioStatEntry {
  major?: number;
  minor?: number;
  op?: string;
  value?: number;
}

/** CPU related info of the container */
export interface ContainerCPUStats {
  cpu_usage?: ContainerCPUUsage | null;
  system_cpu_usage?: number | null;
  online_cpus?: number | null;
  throttling_data?: ContainerThrottlingData | null;
}

/** All CPU stats aggregated since container inception. */
export interface ContainerCPUUsage {
  total_usage?: number;
  percpu_usage?: number[] | null;
  usage_in_kernelmode?: number;
  usage_in_usermode?: number;
}

/** PidsStats contains Linux-specific stats of a container's process-IDs (PIDs). */
export interface ContainerPidsStats {
  current?: number | null;
  limit?: number | null;
}

/** CPU throttling stats of the container. */
export interface ContainerThrottlingData {
  periods?: number;
  throttled_periods?: number;
  throttled_time?: number;
}

/** Aggregates all memory stats since container inception on Linux. */
export interface ContainerMemoryStats {
  usage?: number | null;
  max_usage?: number | null;
  stats?: Record<string, number | null>;
  failcnt?: number | null;
  limit?: number | null;
  commitbytes?: number | null;
  commitpeakbytes?: number | null;
  privateworkingset?: number | null;
}

/** Aggregates the network stats of one container */
export interface ContainerNetworkStats {
  rx_bytes?: number;
  rx_packets?: number;
  rx_errors?: number;
  rx_dropped?: number;
  tx_bytes?: number;
  tx_packets?: number;
  tx_errors?: number;
  tx_dropped?: number;
  endpoint_id?: string | null;
  instance_id?: string | null;
}

/** StorageStats is the disk I/O stats for read/write on Windows. */
export interface ContainerStorageStats {
  read_count_normalized?: number | null;
  read_size_bytes?: number | null;
  write_count_normalized?: number | null;
  write_size_bytes?: number | null;
}
