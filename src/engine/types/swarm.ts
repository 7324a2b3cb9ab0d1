/**
 * Wire shapes for swarm, generated once from the Engine API swagger (v1.55)
 * and kept by hand since: field names verbatim, required only where the
 * engines always send them (dockerd 20.10, 26.1 and 28.5 as recorded in
 * test/fixtures; podman 4.3 has secrets but no swarm).
 */
import type { GenericResources, HealthConfig, Limit, Mount, ObjectVersion, Platform, ResourceObject } from './common.js';
import type { Network } from './networks.js';

/** What can be changed on a node (`POST /nodes/{id}/update` replaces all of it). */
export interface NodeSpec {
  Name?: string;
  Labels?: Record<string, string>;
  Role?: 'worker' | 'manager';
  Availability?: 'active' | 'pause' | 'drain';
}

/** `GET /nodes/{id}`: a swarm node. */
export interface Node {
  ID: string;
  /** Pass `Version.Index` back when updating (berth's `nodes.update` does). */
  Version: ObjectVersion;
  CreatedAt?: string;
  UpdatedAt?: string;
  Spec: NodeSpec;
  Description?: NodeDescription;
  Status?: NodeStatus;
  ManagerStatus?: ManagerStatus | null;
}

/** NodeDescription encapsulates the properties of the Node as reported by the */
export interface NodeDescription {
  Hostname?: string;
  Platform?: Platform;
  Resources?: ResourceObject;
  Engine?: EngineDescription;
  TLSInfo?: TLSInfo;
}

/** EngineDescription provides information about an engine. */
export interface EngineDescription {
  EngineVersion?: string;
  Labels?: Record<string, string>;
  Plugins?: Array<{
    Type?: string;
    Name?: string;
  }>;
}

/** Information about the issuer of leaf TLS certificates and the trusted root */
export interface TLSInfo {
  TrustRoot?: string;
  CertIssuerSubject?: string;
  CertIssuerPublicKey?: string;
}

/** NodeStatus represents the status of a node. */
export interface NodeStatus {
  State?: NodeState;
  Message?: string;
  Addr?: string;
}

/** NodeState represents the state of a node. */
export type NodeState = 'unknown' | 'down' | 'ready' | 'disconnected';

/** ManagerStatus represents the status of a manager. */
export interface ManagerStatus {
  Leader?: boolean;
  Reachability?: Reachability;
  Addr?: string;
}

/** Reachability represents the reachability of a node. */
export type Reachability = 'unknown' | 'unreachable' | 'reachable';

/** User modifiable swarm configuration. */
export interface SwarmSpec {
  Name?: string;
  Labels?: Record<string, string>;
  Orchestration?: {
    TaskHistoryRetentionLimit?: number;
  } | null;
  Raft?: {
    SnapshotInterval?: number;
    KeepOldSnapshots?: number;
    LogEntriesForSlowFollowers?: number;
    ElectionTick?: number;
    HeartbeatTick?: number;
  };
  Dispatcher?: {
    HeartbeatPeriod?: number;
  } | null;
  CAConfig?: {
    NodeCertExpiry?: number;
    ExternalCAs?: Array<{
      Protocol?: 'cfssl';
      URL?: string;
      Options?: Record<string, string>;
      CACert?: string;
    }>;
    SigningCACert?: string;
    SigningCAKey?: string;
    ForceRotate?: number;
  } | null;
  EncryptionConfig?: {
    AutoLockManagers?: boolean;
  };
  TaskDefaults?: {
    LogDriver?: {
      Name?: string;
      Options?: Record<string, string>;
    };
  };
}

/** ClusterInfo represents information about the swarm as is returned by the */
export interface ClusterInfo {
  ID?: string;
  Version?: ObjectVersion;
  CreatedAt?: string;
  UpdatedAt?: string;
  Spec?: SwarmSpec;
  TLSInfo?: TLSInfo;
  RootRotationInProgress?: boolean;
  DataPathPort?: number;
  DefaultAddrPool?: string[];
  SubnetSize?: number;
}

/** JoinTokens contains the tokens workers and managers need to join the swarm. */
export interface JoinTokens {
  Worker?: string;
  Manager?: string;
}

/** `GET /swarm`: the cluster, with the join tokens (managers only). */
export interface Swarm extends ClusterInfo {
  JoinTokens?: JoinTokens;
}

/** The body of `POST /swarm/init`. */
export interface SwarmInitRequest {
  /**
   * Where managers listen (`192.168.1.1:2377`, or an interface and port,
   * `eth0:2377`); also picks the VXLAN endpoint. Default `0.0.0.0:2377`.
   */
  ListenAddr?: string;
  /** The address other nodes reach this one at (`ip[:port]` or `interface[:port]`). */
  AdvertiseAddr?: string;
  /** Address or interface for data traffic (default: the advertised address). */
  DataPathAddr?: string;
  /** UDP port of the data path (VXLAN), 1024–49151; 0 or absent: 4789. */
  DataPathPort?: number;
  /** Subnet pools of global-scope networks, e.g. `['10.10.0.0/16']`. */
  DefaultAddrPool?: string[];
  /** Prefix length of networks carved from `DefaultAddrPool` (default 24). */
  SubnetSize?: number;
  /** Recreate a single-manager swarm from this node's state (disaster recovery). */
  ForceNewCluster?: boolean;
  Spec?: SwarmSpec;
}

/** The body of `POST /swarm/join`. */
export interface SwarmJoinRequest {
  /** Where this node listens if it becomes a manager (required by the engine). */
  ListenAddr: string;
  AdvertiseAddr?: string;
  DataPathAddr?: string;
  /** Managers already in the swarm, `host:port`. */
  RemoteAddrs: string[];
  /** The worker or manager join token (`GET /swarm` → `JoinTokens`). */
  JoinToken: string;
}

/** The result of `GET /swarm/unlockkey`: empty when autolock is off. */
export interface UnlockKeyResponse {
  UnlockKey: string;
}

/** The body of `POST /swarm/unlock`. */
export interface SwarmUnlockRequest {
  UnlockKey: string;
}

/** User modifiable task configuration. */
export interface TaskSpec {
  PluginSpec?: {
    Name?: string;
    Remote?: string;
    Disabled?: boolean;
    PluginPrivilege?: PluginPrivilege[];
  };
  ContainerSpec?: {
    Image?: string;
    Labels?: Record<string, string>;
    Command?: string[];
    Args?: string[];
    Hostname?: string;
    Env?: string[];
    Dir?: string;
    User?: string;
    Groups?: string[];
    Privileges?: {
      CredentialSpec?: {
        Config?: string;
        File?: string;
        Registry?: string;
      };
      SELinuxContext?: {
        Disable?: boolean;
        User?: string;
        Role?: string;
        Type?: string;
        Level?: string;
      };
      Seccomp?: {
        Mode?: 'default' | 'unconfined' | 'custom';
        Profile?: string;
      };
      AppArmor?: {
        Mode?: 'default' | 'disabled';
      };
      NoNewPrivileges?: boolean;
    };
    TTY?: boolean;
    OpenStdin?: boolean;
    ReadOnly?: boolean;
    Mounts?: Mount[];
    StopSignal?: string;
    StopGracePeriod?: number;
    HealthCheck?: HealthConfig;
    Hosts?: string[];
    DNSConfig?: {
      Nameservers?: string[];
      Search?: string[];
      Options?: string[];
    };
    Secrets?: Array<{
      File?: {
        Name?: string;
        UID?: string;
        GID?: string;
        Mode?: number;
      };
      SecretID?: string;
      SecretName?: string;
    }>;
    OomScoreAdj?: number;
    Configs?: Array<{
      File?: {
        Name?: string;
        UID?: string;
        GID?: string;
        Mode?: number;
      };
      Runtime?: Record<string, unknown>;
      ConfigID?: string;
      ConfigName?: string;
    }>;
    Isolation?: 'default' | 'process' | 'hyperv' | '';
    Init?: boolean | null;
    Sysctls?: Record<string, string>;
    CapabilityAdd?: string[];
    CapabilityDrop?: string[];
    Ulimits?: Array<{
      Name?: string;
      Soft?: number;
      Hard?: number;
    }>;
  };
  NetworkAttachmentSpec?: {
    ContainerID?: string;
  };
  Resources?: {
    Limits?: Limit;
    Reservations?: ResourceObject;
    SwapBytes?: number | null;
    MemorySwappiness?: number | null;
  };
  RestartPolicy?: {
    Condition?: 'none' | 'on-failure' | 'any';
    Delay?: number;
    MaxAttempts?: number;
    Window?: number;
  };
  Placement?: {
    Constraints?: string[];
    Preferences?: Array<{
      Spread?: {
        SpreadDescriptor?: string;
      };
    }>;
    MaxReplicas?: number;
    Platforms?: Platform[];
  };
  ForceUpdate?: number;
  Runtime?: string;
  Networks?: NetworkAttachmentConfig[];
  LogDriver?: {
    Name?: string;
    Options?: Record<string, string>;
  };
}

/** Where a task is in its life; `complete`, `shutdown`, `failed`, `rejected`, `orphaned` and `remove` are final. */
export type TaskState = 'new' | 'allocated' | 'pending' | 'assigned' | 'accepted' | 'preparing' | 'ready' | 'starting' | 'running' | 'complete' | 'shutdown' | 'failed' | 'rejected' | 'remove' | 'orphaned';

/** represents the status of a container. */
export interface ContainerStatus {
  ContainerID?: string;
  PID?: number;
  ExitCode?: number;
}

/** represents the port status of a task's host ports whose service has published host ports */
export interface PortStatus {
  Ports?: EndpointPortConfig[];
}

/** represents the status of a task. */
export interface TaskStatus {
  Timestamp?: string;
  State: TaskState;
  Message?: string;
  Err?: string;
  ContainerStatus?: ContainerStatus;
  PortStatus?: PortStatus;
}

/** Specifies how a task is attached to a network, and the addresses the */
export interface NetworkAttachment {
  Network?: Network;
  Addresses?: string[];
}

/** `GET /tasks/{id}`: one scheduled instance of a service. */
export interface Task {
  ID: string;
  Version: ObjectVersion;
  CreatedAt?: string;
  UpdatedAt?: string;
  Name?: string;
  Labels?: Record<string, string>;
  Spec?: TaskSpec;
  ServiceID: string;
  Slot?: number;
  /** Absent until the scheduler assigns the task to a node. */
  NodeID?: string;
  AssignedGenericResources?: GenericResources;
  Status: TaskStatus;
  DesiredState: TaskState;
  JobIteration?: ObjectVersion;
  NetworksAttachments?: NetworkAttachment[];
}

/** User modifiable configuration for a service. */
export interface ServiceSpec {
  Name?: string;
  Labels?: Record<string, string>;
  TaskTemplate?: TaskSpec;
  Mode?: {
    Replicated?: {
      Replicas?: number;
    };
    Global?: Record<string, unknown>;
    ReplicatedJob?: {
      MaxConcurrent?: number;
      TotalCompletions?: number;
    };
    GlobalJob?: Record<string, unknown>;
  };
  UpdateConfig?: {
    Parallelism?: number;
    Delay?: number;
    FailureAction?: 'continue' | 'pause' | 'rollback';
    Monitor?: number;
    MaxFailureRatio?: number;
    Order?: 'stop-first' | 'start-first';
  };
  RollbackConfig?: {
    Parallelism?: number;
    Delay?: number;
    FailureAction?: 'continue' | 'pause';
    Monitor?: number;
    MaxFailureRatio?: number;
    Order?: 'stop-first' | 'start-first';
  };
  Networks?: NetworkAttachmentConfig[];
  EndpointSpec?: EndpointSpec;
}

/** A port a service publishes. */
export interface EndpointPortConfig {
  Name?: string;
  Protocol?: 'tcp' | 'udp' | 'sctp';
  TargetPort?: number;
  PublishedPort?: number;
  PublishMode?: 'ingress' | 'host';
}

/** Properties that can be configured to access and load balance a service. */
export interface EndpointSpec {
  Mode?: 'vip' | 'dnsrr';
  Ports?: EndpointPortConfig[];
}

/** `GET /services/{id}`: a service, its spec and its state. */
export interface Service {
  ID: string;
  /** Pass `Version.Index` back when updating (berth's `services.update` does). */
  Version: ObjectVersion;
  CreatedAt?: string;
  UpdatedAt?: string;
  Spec: ServiceSpec;
  /** The spec before the last update (what a rollback returns to). */
  PreviousSpec?: ServiceSpec;
  Endpoint?: {
    Spec?: EndpointSpec;
    Ports?: EndpointPortConfig[];
    VirtualIPs?: Array<{
      NetworkID?: string;
      Addr?: string;
    }>;
  };
  UpdateStatus?: {
    State?: 'updating' | 'paused' | 'completed';
    StartedAt?: string;
    CompletedAt?: string;
    Message?: string;
  };
  ServiceStatus?: {
    RunningTasks?: number;
    DesiredTasks?: number;
    CompletedTasks?: number;
  };
  JobStatus?: {
    JobIteration?: ObjectVersion;
    LastExecution?: string;
  };
}

/** The result of `POST /services/create` (berth turns absent or `null` warnings into `[]`). */
export interface ServiceCreateResponse {
  ID: string;
  Warnings: string[];
}

/** The result of `POST /services/{id}/update` (warnings as for create). */
export interface ServiceUpdateResponse {
  Warnings: string[];
}

/** A secret's name, labels and data (base64; never sent back). */
export interface SecretSpec {
  Name?: string;
  /** podman 4.3 sends `null` in lists (and the labels on inspect). */
  Labels?: Record<string, string> | null;
  Data?: string;
  Driver?: Driver;
  Templating?: Driver;
}

/** `GET /secrets/{id}`. */
export interface Secret {
  ID: string;
  Version: ObjectVersion;
  CreatedAt?: string;
  UpdatedAt?: string;
  /** `Data` is never sent back. */
  Spec: SecretSpec;
}

/** A config's name, labels and data (base64). */
export interface ConfigSpec {
  Name?: string;
  Labels?: Record<string, string>;
  Data?: string;
  Templating?: Driver;
}

/** `GET /configs/{id}`. */
export interface Config {
  ID: string;
  Version: ObjectVersion;
  CreatedAt?: string;
  UpdatedAt?: string;
  /** `Data` (base64) is sent back, unlike a secret's. */
  Spec: ConfigSpec;
}

/** Driver represents a driver (network, logging, secrets). */
export interface Driver {
  Name: string;
  Options?: Record<string, string>;
}

/** Specifies how a service should be attached to a particular network. */
export interface NetworkAttachmentConfig {
  Target?: string;
  Aliases?: string[];
  DriverOpts?: Record<string, string>;
}

/** Represents a peer-node in the swarm */
export interface PeerNode {
  NodeID?: string;
  Addr?: string;
}

/** Describes a permission the user has to accept upon installing */
export interface PluginPrivilege {
  Name?: string;
  Description?: string;
  Value?: string[];
}
