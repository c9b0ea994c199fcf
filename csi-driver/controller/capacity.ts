/**
 * GetCapacity: the largest volume a node could take now for a StorageClass's parameters, from the same state the
 * allocator reads. External-provisioner publishes it per node as CSIStorageCapacity, which the default scheduler
 * uses where our extender is not configured.
 */
import type { NodeStorage, NodeUsage } from '../../extender/allocator/types.js';
import type { VolumeParameters } from './parameters.js';
import type { ClusterView } from './placement.js';

/**
 * Free bytes for one volume on a node: LVM, the named VG's free space, or without vgName the most free VG (the one
 * any strategy would pick for the largest volume); Device/MountPoint, the largest free one of the media type.
 */
export function nodeCapacity(storage: NodeStorage | undefined, usage: NodeUsage, params: Pick<VolumeParameters, 'kind' | 'vgName' | 'mediaType'>): number {
  if (!storage) return 0;
  if (params.kind === 'LVM') {
    let best = 0;
    for (const vg of storage.vgs) {
      if (params.vgName !== undefined && vg.name !== params.vgName) continue;
      best = Math.max(best, vg.capacity - (usage.vgUsed.get(vg.name) ?? 0));
    }
    return best;
  }
  const resources = params.kind === 'Device' ? storage.devices : storage.mountPoints;
  let best = 0;
  for (const r of resources) if (r.mediaType === params.mediaType && !usage.taken.has(r.name)) best = Math.max(best, r.capacity);
  return best;
}

/** One node's capacity, or the cluster's total (and largest single volume) when no node is named. */
export function capacity(view: ClusterView, params: Pick<VolumeParameters, 'kind' | 'vgName' | 'mediaType'>, node: string | undefined): { available: number; maximum: number } {
  if (node !== undefined) {
    const free = nodeCapacity(view.storage(node), view.usage(node), params);
    return { available: free, maximum: free };
  }
  let available = 0;
  let maximum = 0;
  for (const n of view.nodes()) {
    const free = nodeCapacity(view.storage(n), view.usage(n), params);
    available += free;
    maximum = Math.max(maximum, free);
  }
  return { available, maximum };
}
