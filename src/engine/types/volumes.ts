/**
 * Wire shapes for volumes, generated once from the Engine API swagger (v1.55)
 * and kept by hand since: field names verbatim, required only where the
 * engines always send them (dockerd 20.10, 26.1, 28.5 and podman 4.3, as
 * recorded in test/fixtures).
 */
import type { ObjectVersion } from './common.js';

/** `GET /volumes/{name}`, and the result of `POST /volumes/create`. */
export interface Volume {
  Name: string;
  Driver: string;
  Mountpoint: string;
  CreatedAt?: string;
  Status?: Record<string, Record<string, unknown>>;
  /** `null` when the volume has no labels (dockerd 20.10). */
  Labels: Record<string, string> | null;
  Scope: 'local' | 'global';
  ClusterVolume?: ClusterVolume;
  /** Driver options; `null` when none were given. */
  Options: Record<string, string> | null;
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

/** Volume list response (berth turns `null` lists into empty ones). */
export interface VolumeListResponse {
  Volumes: Volume[];
  Warnings: string[];
}

/** The result of `POST /volumes/prune`. */
export interface VolumePruneResponse {
  VolumesDeleted: string[];
  SpaceReclaimed: number;
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
