import { PV_ALLOCATED_ANNOTATION } from './allocator/volume-use.js';
import { SELECTED_NODE_ANNOTATION } from './allocator/claims.js';
import type { KubeObject } from '../lib/kube-api.js';
import type { ObjectMeta } from '../lib/kube-object.js';

type Loose = KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

/** The volume attributes the allocator reads (volume-use.ts); a PV's others (fstype, IO limits, ...) are not. */
const PV_ATTRIBUTES = ['volumeType', 'vgName', 'Device', 'MountPoint', 'csi.aliyun.com/readonly'];

/**
 * Reduces, in place, an object the informer caches to the fields the extender reads (allocator/kube-types.ts),
 * keeping the metadata the informer itself needs (name, namespace, uid, resourceVersion). At 5,000 nodes the
 * cached PVs and PVCs are most of the extender's heap, and garbage-collection pauses grow with the heap. The
 * informer has no transform hook, so the handler trims the object it was given, which is the cached one.
 */
export function trimForCache(kind: string, obj: KubeObject): void {
  const o = obj as Loose;
  switch (kind) {
    case 'Pod': {
      const spec = o.spec as { nodeName?: string; volumes?: { csi?: unknown }[] } | undefined;
      // Only inline CSI volumes of placed pods are read (volume-use.ts inlineUsesOfPod).
      o.spec = { nodeName: spec?.nodeName, volumes: spec?.volumes?.filter((v) => v.csi !== undefined) };
      o.status = { phase: o.status?.phase };
      o.metadata = meta(o.metadata, []);
      break;
    }
    case 'PersistentVolume': {
      const spec = o.spec as { capacity?: unknown; claimRef?: { namespace?: string; name?: string }; nodeAffinity?: unknown; csi?: { driver: string; volumeHandle: string; volumeAttributes?: Record<string, string> } } | undefined;
      const attrs = spec?.csi?.volumeAttributes ?? {};
      o.spec = {
        capacity: spec?.capacity,
        claimRef: spec?.claimRef && { namespace: spec.claimRef.namespace, name: spec.claimRef.name },
        nodeAffinity: spec?.nodeAffinity,
        csi: spec?.csi && { driver: spec.csi.driver, volumeHandle: spec.csi.volumeHandle, volumeAttributes: pick(attrs, PV_ATTRIBUTES) },
      };
      o.status = { phase: o.status?.phase };
      o.metadata = meta(o.metadata, [PV_ALLOCATED_ANNOTATION]);
      break;
    }
    case 'PersistentVolumeClaim': {
      const spec = o.spec ?? {};
      o.spec = { storageClassName: spec.storageClassName, volumeName: spec.volumeName, resources: spec.resources, dataSource: spec.dataSource, dataSourceRef: spec.dataSourceRef };
      o.status = { phase: o.status?.phase };
      o.metadata = meta(o.metadata, [SELECTED_NODE_ANNOTATION]);
      break;
    }
    default:
      o.metadata = meta(o.metadata, []);
  }
}

function meta(m: ObjectMeta | undefined, annotations: readonly string[]): ObjectMeta {
  const kept = pick(m?.annotations ?? {}, annotations);
  return { name: m?.name, namespace: m?.namespace, uid: m?.uid, resourceVersion: m?.resourceVersion, ...(Object.keys(kept).length > 0 ? { annotations: kept } : {}) };
}

function pick(values: Readonly<Record<string, string>>, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of keys) {
    const value = values[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
