import { PV_ALLOCATED_ANNOTATION } from './allocator/volume-use.js';
import { SELECTED_NODE_ANNOTATION } from './allocator/claims.js';
import type { KubeObject } from '../lib/kube-api.js';
import { cachedMeta } from '../lib/cached-meta.js';

type Loose = KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

/** The volume attributes the allocator reads (volume-use.ts); a PV's others (fstype, IO limits, ...) are not. */
const PV_ATTRIBUTES = ['volumeType', 'vgName', 'Device', 'MountPoint', 'csi.aliyun.com/readonly'];

/**
 * An object the informer caches, reduced to the fields the extender reads (allocator/kube-types.ts): the informer's
 * transform. At 5,000 nodes the cached PVs and PVCs are most of the extender's heap, and garbage-collection pauses
 * grow with the heap.
 */
export function trimForCache(kind: string, obj: KubeObject): KubeObject {
  const o = obj as Loose;
  const base = { ...(o.apiVersion ? { apiVersion: o.apiVersion } : {}), ...(o.kind ? { kind: o.kind } : {}) };
  switch (kind) {
    case 'Pod': {
      const spec = o.spec as { nodeName?: string; volumes?: { csi?: unknown }[] } | undefined;
      // Only inline CSI volumes of placed pods are read (volume-use.ts inlineUsesOfPod).
      return { ...base, metadata: cachedMeta(o.metadata), spec: { nodeName: spec?.nodeName, volumes: spec?.volumes?.filter((v) => v.csi !== undefined) }, status: { phase: o.status?.phase } } as KubeObject;
    }
    case 'PersistentVolume': {
      const spec = o.spec as { capacity?: unknown; claimRef?: { namespace?: string; name?: string }; nodeAffinity?: unknown; csi?: { driver: string; volumeHandle: string; volumeAttributes?: Record<string, string> } } | undefined;
      const attrs = spec?.csi?.volumeAttributes ?? {};
      return {
        ...base,
        metadata: cachedMeta(o.metadata, { annotations: [PV_ALLOCATED_ANNOTATION] }),
        spec: {
          capacity: spec?.capacity,
          claimRef: spec?.claimRef && { namespace: spec.claimRef.namespace, name: spec.claimRef.name },
          nodeAffinity: spec?.nodeAffinity,
          csi: spec?.csi && { driver: spec.csi.driver, volumeHandle: spec.csi.volumeHandle, volumeAttributes: pick(attrs, PV_ATTRIBUTES) },
        },
        status: { phase: o.status?.phase },
      } as KubeObject;
    }
    case 'PersistentVolumeClaim': {
      const spec = o.spec ?? {};
      return {
        ...base,
        metadata: cachedMeta(o.metadata, { annotations: [SELECTED_NODE_ANNOTATION] }),
        spec: { storageClassName: spec.storageClassName, volumeName: spec.volumeName, resources: spec.resources, dataSource: spec.dataSource, dataSourceRef: spec.dataSourceRef },
        status: { phase: o.status?.phase },
      } as KubeObject;
    }
    default:
      return { ...o, metadata: cachedMeta(o.metadata) };
  }
}

function pick(values: Readonly<Record<string, string>>, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of keys) {
    const value = values[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
