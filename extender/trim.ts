import type { KubeObject } from '../lib/kube-api.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * Drops, in place, what the extender never reads from an object its informer caches: managedFields and kubectl's
 * last-applied copy on every kind, and all of a pod but its name, node, inline CSI volumes and phase. In a 5,000-node cluster
 * this is most of the extender's memory (a pod is kilobytes; the part read is a few hundred bytes). The informer
 * has no transform hook, so the handler trims the object it was given, which is the cached one.
 */
export function trimForCache(kind: string, obj: KubeObject): void {
  const metadata = obj.metadata;
  if (metadata) {
    delete metadata.managedFields;
    if (metadata.annotations && LAST_APPLIED in metadata.annotations) {
      metadata.annotations = Object.fromEntries(Object.entries(metadata.annotations).filter(([key]) => key !== LAST_APPLIED));
    }
  }
  if (kind === 'Pod') {
    const pod = obj as KubeObject & { spec?: { nodeName?: string; volumes?: { csi?: unknown }[] }; status?: { phase?: string } };
    // Only inline CSI volumes of placed pods are read (allocator/volume-use.ts inlineUsesOfPod).
    pod.spec = { nodeName: pod.spec?.nodeName, volumes: pod.spec?.volumes?.filter((v) => v.csi !== undefined) };
    pod.status = { phase: pod.status?.phase };
  }
}
