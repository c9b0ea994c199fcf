/**
 * The fields of core Kubernetes objects the allocator reads, as the API server sends them (plain JSON). Only
 * what is read is declared, so a test fixture stays small and a missing field is a type error.
 */
import type { ObjectMeta } from '../../lib/kube-object.js';

export interface Pod {
  metadata?: ObjectMeta;
  spec?: {
    nodeName?: string;
    schedulerName?: string;
    volumes?: PodVolume[];
  };
  status?: { phase?: string };
}

export interface PodVolume {
  name: string;
  persistentVolumeClaim?: { claimName: string };
  /** Generic ephemeral volume: its PVC is `<pod>-<volume>`. */
  ephemeral?: unknown;
  csi?: { driver: string; volumeAttributes?: Record<string, string> };
}

export interface PersistentVolumeClaim {
  metadata?: ObjectMeta;
  spec?: {
    storageClassName?: string;
    volumeName?: string;
    resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
    dataSource?: { apiGroup?: string; kind: string; name: string };
    dataSourceRef?: { apiGroup?: string; kind: string; name: string; namespace?: string };
  };
  status?: { phase?: string };
}

export interface PersistentVolume {
  metadata?: ObjectMeta;
  spec?: {
    capacity?: Record<string, string>;
    claimRef?: { namespace?: string; name?: string };
    csi?: { driver: string; volumeHandle: string; volumeAttributes?: Record<string, string> };
    nodeAffinity?: { required?: { nodeSelectorTerms?: { matchExpressions?: { key: string; operator: string; values?: string[] }[] }[] } };
  };
  status?: { phase?: string };
}

export interface StorageClass {
  metadata?: ObjectMeta;
  provisioner?: string;
  parameters?: Record<string, string>;
}

export interface VolumeSnapshot {
  metadata?: ObjectMeta;
  spec?: { source?: { persistentVolumeClaimName?: string; volumeSnapshotContentName?: string } };
}
