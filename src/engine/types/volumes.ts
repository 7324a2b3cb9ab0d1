/**
 * Wire shapes for volumes, generated once from the Engine API swagger (v1.55)
 * and kept by hand since: field names verbatim, required only where the
 * engines always send them.
 */
import type { ObjectVersion } from './common.js';

export interface Volume {
  Name: string;
  Driver: string;
  Mountpoint: string;
  CreatedAt?: string;
  Status?: Record<string, Record<string, unknown>>;
  Labels: Record<string, string>;
  Scope: 'local' | 'global';
  ClusterVolume?: ClusterVolume;
  Options: Record<string, string>;
  UsageData?: {
    Size: number;
    RefCount: number;
  } | null;
}

/** Volume configuration */
export interface VolumeCreateRequest {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string>;
  Labels?: Record<string, string>;
  ClusterVolumeSpec?: ClusterVolumeSpec;
}

/** Volume list response */
export interface VolumeListResponse {
  Volumes?: Volume[];
  Warnings?: string[];
}

/** Cluster-specific options used to create the volume. */
export interface ClusterVolumeSpec {
  Group?: string;
  AccessMode?: {
    Scope?: 'single' | 'multi';
    Sharing?: 'none' | 'readonly' | 'onewriter' | 'all';
    MountVolume?: Record<string, unknown>;
    Secrets?: Array<{
      Key?: string;
      Secret?: string;
    }>;
    AccessibilityRequirements?: {
      Requisite?: Topology[];
      Preferred?: Topology[];
    };
    CapacityRange?: {
      RequiredBytes?: number;
      LimitBytes?: number;
    };
    Availability?: 'active' | 'pause' | 'drain';
  };
}

/** Options and information specific to, and only present on, Swarm CSI */
export interface ClusterVolume {
  ID?: string;
  Version?: ObjectVersion;
  CreatedAt?: string;
  UpdatedAt?: string;
  Spec?: ClusterVolumeSpec;
  Info?: {
    CapacityBytes?: number;
    VolumeContext?: Record<string, string>;
    VolumeID?: string;
    AccessibleTopology?: Topology[];
  };
  PublishStatus?: Array<{
    NodeID?: string;
    State?: 'pending-publish' | 'published' | 'pending-node-unpublish' | 'pending-controller-unpublish';
    PublishContext?: Record<string, string>;
  }>;
}

/** A map of topological domains to topological segments. For in depth */
export interface Topology {
  Segments?: Record<string, string>;
}
