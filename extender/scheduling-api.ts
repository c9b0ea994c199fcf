import { fitNode } from './allocator/allocate.js';
import { claimOfPvc } from './allocator/claims.js';
import type { AllocatorOptions } from './allocator/types.js';
import { useOfPv } from './allocator/volume-use.js';
import type { ClusterState } from './state/cluster-state.js';
import { BadRequest } from './wire.js';

/** Open-Local's BindingInfo: where CreateVolume should create a PVC's volume. */
export interface BindingInfo {
  node: string;
  volumeType: string;
  persistentVolumeClaim: string;
  vgName?: string;
  device?: string;
  disk?: string;
}

/** A claim that does not fit: Open-Local's CSI maps "Insufficient" in the text to ResourceExhausted. */
export class Insufficient extends Error {
  constructor(message: string) {
    super(`Insufficient storage: ${message}`);
    this.name = 'Insufficient';
  }
}

/**
 * Open-Local's scheduling API (`POST /apis/scheduling/:ns/persistentvolumeclaims/:name?nodeName=`): the VG or
 * device for a PVC on the node the scheduler selected, from the same allocator as filter. It records nothing:
 * the volume CreateVolume then creates is what the next answer counts, and the PVC's other unbound siblings on
 * that node are counted as promised. A bound PVC answers where its volume is.
 */
export function scheduleClaim(state: ClusterState, options: AllocatorOptions, namespace: string, name: string, nodeName: string | null): BindingInfo {
  if (!nodeName) throw new BadRequest('the query parameter nodeName is required');
  const pvc = state.pvc(namespace, name);
  if (!pvc) throw new BadRequest(`PersistentVolumeClaim "${namespace}/${name}" not found`, 404);
  const id = `${namespace}/${name}`;
  const volumeName = pvc.spec?.volumeName;
  if (volumeName) {
    const pv = state.pv(volumeName);
    const use = pv ? useOfPv(pv) : undefined;
    if (!use) throw new BadRequest(`${id} is bound to "${volumeName}", which is not an open-local volume`);
    return { node: use.node, volumeType: use.kind, persistentVolumeClaim: id, ...(use.vgName ? { vgName: use.vgName } : {}), ...(use.resource ? { [use.kind === 'Device' ? 'device' : 'disk']: use.resource } : {}) };
  }
  const resolved = claimOfPvc(pvc, state);
  if ('error' in resolved) throw new BadRequest(resolved.error);
  if (!resolved.claim) throw new BadRequest(`${id} is not provisioned by open-local`);
  const fit = fitNode(state.storage(nodeName), state.usage(nodeName), [resolved.claim], options);
  if (!fit.fits) throw new Insufficient(`node "${nodeName}": ${fit.reason}`);
  const placement = fit.placements[0];
  const info: BindingInfo = { node: nodeName, volumeType: resolved.claim.kind, persistentVolumeClaim: id };
  if (placement?.vgName) info.vgName = placement.vgName;
  if (placement?.resource) {
    if (placement.kind === 'Device') info.device = placement.resource;
    else info.disk = placement.resource;
  }
  return info;
}
