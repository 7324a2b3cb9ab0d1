/**
 * Wire shapes for images, generated once from the Engine API swagger (v1.55)
 * and kept by hand since: field names verbatim, required only where the
 * engines always send them.
 */
import type { DriverData, ErrorDetail, HealthConfig, OCIDescriptor, OCIPlatform, ProgressDetail } from './common.js';

/** Configuration of the image. These fields are used as defaults */
export interface ImageConfig {
  User?: string;
  ExposedPorts?: Record<string, Record<string, unknown>> | null;
  Env?: string[];
  Cmd?: string[];
  Healthcheck?: HealthConfig;
  ArgsEscaped?: boolean | null;
  Volumes?: Record<string, Record<string, unknown>>;
  WorkingDir?: string;
  Entrypoint?: string[];
  OnBuild?: string[] | null;
  Labels?: Record<string, string>;
  StopSignal?: string | null;
  Shell?: string[] | null;
}

/** Information about an image in the local image cache. */
export interface ImageInspect {
  Id: string;
  Descriptor?: OCIDescriptor;
  Manifests?: ImageManifestSummary[] | null;
  Identity?: Identity;
  RepoTags: string[];
  RepoDigests: string[];
  Comment?: string | null;
  Created?: string | null;
  Author?: string | null;
  Config?: ImageConfig;
  Architecture: string;
  Variant?: string | null;
  Os: string;
  OsVersion?: string | null;
  Size: number;
  GraphDriver?: DriverData;
  RootFS?: {
    Type: string;
    Layers?: string[];
  };
  Metadata?: {
    LastTagTime?: string | null;
  };
}

export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: number;
  Size: number;
  SharedSize: number;
  Labels: Record<string, string>;
  Containers: number;
  Manifests?: ImageManifestSummary[];
  Descriptor?: OCIDescriptor;
}

/** individual image layer information in response to ImageHistory operation */
export interface ImageHistoryResponseItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[];
  Size: number;
  Comment: string;
}

export interface ImageDeleteResponseItem {
  Untagged?: string;
  Deleted?: string;
}

/** Image ID or Digest */
export interface ImageID {
  ID?: string;
}

export interface CreateImageInfo {
  id?: string;
  errorDetail?: ErrorDetail;
  status?: string;
  progressDetail?: ProgressDetail;
}

export interface PushImageInfo {
  errorDetail?: ErrorDetail;
  status?: string;
  progressDetail?: ProgressDetail;
}

export interface BuildInfo {
  id?: string;
  stream?: string;
  errorDetail?: ErrorDetail;
  status?: string;
  progressDetail?: ProgressDetail;
  aux?: ImageID;
}

/** BuildCache contains information about a build cache record. */
export interface BuildCache {
  ID?: string;
  Parents?: string[] | null;
  Type?: 'internal' | 'frontend' | 'source.local' | 'source.git.checkout' | 'exec.cachemount' | 'regular';
  Description?: string;
  InUse?: boolean;
  Shared?: boolean;
  Size?: number;
  CreatedAt?: string;
  LastUsedAt?: string | null;
  UsageCount?: number;
}

export interface AuthConfig {
  username?: string;
  password?: string;
  serveraddress?: string;
}

/** An identity token was generated successfully. */
export interface AuthResponse {
  Status: string;
  IdentityToken?: string;
}

/** Information about the storage used for the container's root filesystem. */
export interface RootFSStorage {
  Snapshot?: RootFSStorageSnapshot;
}

/** Information about a snapshot backend of the container's root filesystem. */
export interface RootFSStorageSnapshot {
  Name?: string;
}

/** Information about the storage used by the container. */
export interface Storage {
  RootFS?: RootFSStorage;
}

/** Identity holds information about the identity and origin of the image. */
export interface Identity {
  Signature?: SignatureIdentity[];
  Pull?: PullIdentity[];
  Build?: BuildIdentity[];
}

/** BuildIdentity contains build reference information if image was created via build. */
export interface BuildIdentity {
  Ref?: string;
  CreatedAt?: string;
}

/** PullIdentity contains remote location information if image was created via pull. */
export interface PullIdentity {
  Repository?: string;
}

/** SignatureIdentity contains the properties of verified signatures for the image. */
export interface SignatureIdentity {
  Name?: string;
  Timestamps?: SignatureTimestamp[];
  KnownSigner?: KnownSignerIdentity;
  DockerReference?: string;
  Signer?: SignerIdentity;
  SignatureType?: SignatureType;
  Error?: string;
  Warnings?: string[];
}

/** SignatureTimestamp contains information about a verified signed timestamp for an image signature. */
export interface SignatureTimestamp {
  Type?: SignatureTimestampType;
  URI?: string;
  Timestamp?: string;
}

/** SignatureTimestampType is the type of timestamp used in the signature. */
export type SignatureTimestampType = 'Tlog' | 'TimestampAuthority';

/** SignatureType is the type of signature format. */
export type SignatureType = 'bundle-v0.3' | 'simplesigning-v1';

/** KnownSignerIdentity is an identifier for a special signer identity that is known to the implementation. */
export type KnownSignerIdentity = 'DHI';

/** SignerIdentity contains information about the signer certificate used to sign the image. */
export interface SignerIdentity {
  CertificateIssuer?: string;
  SubjectAlternativeName?: string;
  Issuer?: string;
  BuildSignerURI?: string;
  BuildSignerDigest?: string;
  RunnerEnvironment?: string;
  SourceRepositoryURI?: string;
  SourceRepositoryDigest?: string;
  SourceRepositoryRef?: string;
  SourceRepositoryIdentifier?: string;
  SourceRepositoryOwnerURI?: string;
  SourceRepositoryOwnerIdentifier?: string;
  BuildConfigURI?: string;
  BuildConfigDigest?: string;
  BuildTrigger?: string;
  RunInvocationURI?: string;
  SourceRepositoryVisibilityAtSigning?: string;
}

/** ImageManifestSummary represents a summary of an image manifest. */
export interface ImageManifestSummary {
  ID: string;
  Descriptor: OCIDescriptor;
  Available: boolean;
  Size: {
    Total: number;
    Content: number;
  };
  Kind: 'image' | 'attestation' | 'unknown';
  ImageData?: {
    Platform: OCIPlatform | null;
    Identity?: Identity;
    Containers: string[];
    Size: {
      Unpacked: number;
    };
  } | null;
  AttestationData?: {
    For: string;
  } | null;
}
