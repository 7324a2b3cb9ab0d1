/**
 * Wire shapes for networks, generated once from the Engine API swagger (v1.55)
 * and kept by hand since: field names verbatim, required only where the
 * engines always send them (dockerd 20.10, 26.1, 28.5 and podman 4.3, as
 * recorded in test/fixtures).
 */
export interface Network {
  Name: string;
  Id: string;
  Created?: string;
  /** `local`, `swarm` or `global`. */
  Scope: string;
  Driver: string;
  /** API ≥ 1.47 (dockerd 28 sends it; 20.10, 26.1 and podman 4.3 do not). */
  EnableIPv4?: boolean;
  EnableIPv6?: boolean;
  IPAM?: IPAM;
  Internal?: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  ConfigFrom?: ConfigReference;
  ConfigOnly?: boolean;
  Options?: Record<string, string>;
  Labels?: Record<string, string>;
  Peers?: PeerInfo[] | null;
}

/** Network list response item */
export interface NetworkSummary extends Network {
  /** Every recorded engine sends it in lists too; dockerd leaves it empty there (API ≥ 1.28). */
  Containers?: Record<string, EndpointResource>;
}

/** The body of the "get network" http response message. */
export interface NetworkInspect extends Network {
  /** Endpoints attached to the network, by container id. */
  Containers?: Record<string, EndpointResource>;
  /** Swarm-scope networks only: the services using the network. */
  Services?: Record<string, ServiceInfo>;
  Status?: NetworkStatus;
}

/** The body of `POST /networks/create`. */
export interface NetworkCreateRequest {
  /** The network's name (required). */
  Name: string;
  /** Driver plugin; the engine's default is `bridge`. */
  Driver?: string;
  Scope?: string;
  /** Restrict external access: no gateway route out of the network. */
  Internal?: boolean;
  /** Swarm-scope networks: regular containers may attach too. */
  Attachable?: boolean;
  /** The swarm routing-mesh network. */
  Ingress?: boolean;
  ConfigOnly?: boolean;
  ConfigFrom?: ConfigReference;
  IPAM?: IPAM;
  /** API ≥ 1.47. */
  EnableIPv4?: boolean;
  EnableIPv6?: boolean;
  Options?: Record<string, string>;
  Labels?: Record<string, string>;
  /**
   * Reject a name already in use. Before API 1.44 the engine defaulted to
   * false (dockerd 20.10 then creates a second network of the same name);
   * berth sends `true` on those versions unless you set it. Ignored from 1.44,
   * where duplicates are always rejected.
   * @deprecated since API 1.44.
   */
  CheckDuplicate?: boolean;
}

/** The result of `POST /networks/prune`. */
export interface NetworkPruneResponse {
  NetworksDeleted: string[];
}

/** provides runtime information about the network such as the number of allocated IPs. */
export interface NetworkStatus {
  IPAM?: IPAMStatus;
}

/** represents service parameters with the list of service's tasks */
export interface ServiceInfo {
  VIP?: string;
  Ports?: string[];
  LocalLBIndex?: number;
  Tasks?: NetworkTaskInfo[];
}

/** carries the information about one backend task */
export interface NetworkTaskInfo {
  Name?: string;
  EndpointID?: string;
  EndpointIP?: string;
  Info?: Record<string, string>;
}

/** The config-only network source to provide the configuration for */
export interface ConfigReference {
  Network?: string;
}

/** IP address management of a network: the driver and its subnets. */
export interface IPAM {
  Driver?: string;
  Config?: IPAMConfig[] | null;
  Options?: Record<string, string> | null;
}

/** One subnet of a network, with its gateway and the range containers get addresses from. */
export interface IPAMConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

/** Address use per subnet (newer engines; none of the recorded ones sends it). */
export interface IPAMStatus {
  Subnets?: Record<string, SubnetStatus>;
}

/** Address use of one subnet. */
export interface SubnetStatus {
  IPsInUse?: number;
  DynamicIPsAvailable?: number;
}

/** contains network resources allocated and used for a container in a network. */
export interface EndpointResource {
  Name?: string;
  EndpointID?: string;
  MacAddress?: string;
  IPv4Address?: string;
  IPv6Address?: string;
}

/** represents one peer of an overlay network. */
export interface PeerInfo {
  Name?: string;
  IP?: string;
}

/** OK response to NetworkCreate operation */
export interface NetworkCreateResponse {
  Id: string;
  /** Empty when there is nothing to say. */
  Warning: string;
}

/** NetworkConnectRequest represents the data to be used to connect a container to a network. */
export interface NetworkConnectRequest {
  Container: string;
  EndpointConfig?: EndpointSettings;
}

/** NetworkDisconnectRequest represents the data to be used to disconnect a container from a network. */
export interface NetworkDisconnectRequest {
  Container: string;
  Force?: boolean;
}

/** Configuration for a network endpoint. */
export interface EndpointSettings {
  IPAMConfig?: EndpointIPAMConfig | null;
  Links?: string[];
  MacAddress?: string;
  Aliases?: string[];
  DriverOpts?: Record<string, string> | null;
  GwPriority?: number;
  NetworkID?: string;
  EndpointID?: string;
  Gateway?: string;
  IPAddress?: string;
  IPPrefixLen?: number;
  IPv6Gateway?: string;
  GlobalIPv6Address?: string;
  GlobalIPv6PrefixLen?: number;
  DNSNames?: string[];
}

/** EndpointIPAMConfig represents an endpoint's IPAM configuration. */
export interface EndpointIPAMConfig {
  IPv4Address?: string;
  IPv6Address?: string;
  LinkLocalIPs?: string[];
}
