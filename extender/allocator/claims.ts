import { CSI_DRIVER_NAME } from '../../api/group.js';
import type { PersistentVolume, PersistentVolumeClaim, Pod, StorageClass, VolumeSnapshot } from './kube-types.js';
import { DEFAULT_INLINE_SIZE, pvNode, useOfPv } from './volume-use.js';
import { byteQuantity, isVolumeKind } from './parse.js';
import { VOLUME_KINDS, type Claim } from './types.js';

/** Where claims are resolved from: the extender's informer caches, or CreateVolume's. */
export interface ClaimSources {
  pvc(namespace: string, name: string): PersistentVolumeClaim | undefined;
  pv(name: string): PersistentVolume | undefined;
  storageClass(name: string): StorageClass | undefined;
  volumeSnapshot(namespace: string, name: string): VolumeSnapshot | undefined;
}

/** A pod's claims, or why they cannot be evaluated (the same reason on every node). */
export type PodClaims = { readonly claims: readonly Claim[] } | { readonly error: string };
/** One PVC's claim; `undefined` when it needs nothing from the scheduler (bound, or not open-local's). */
export type PvcClaim = { readonly claim: Claim | undefined } | { readonly error: string };

export const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';
const SNAPSHOT_GROUP = 'snapshot.storage.k8s.io';

/**
 * Every claim of a pod that open-local must place: its unbound open-local PVCs (generic ephemeral ones included)
 * and its inline open-local volumes, all counted together on each node. Bound PVCs are skipped: their volume
 * exists and is already counted on its node.
 */
export function podClaims(pod: Pod, sources: ClaimSources): PodClaims {
  const namespace = pod.metadata?.namespace ?? 'default';
  const podName = pod.metadata?.name ?? '';
  const claims: Claim[] = [];
  for (const volume of pod.spec?.volumes ?? []) {
    const pvcName = volume.persistentVolumeClaim?.claimName ?? (volume.ephemeral === undefined ? undefined : `${podName}-${volume.name}`);
    if (pvcName !== undefined) {
      const pvc = sources.pvc(namespace, pvcName);
      if (!pvc) return { error: `PersistentVolumeClaim "${namespace}/${pvcName}" (volume "${volume.name}") not found` };
      const result = claimOfPvc(pvc, sources);
      if ('error' in result) return result;
      if (result.claim) claims.push(result.claim);
    } else if (volume.csi?.driver === CSI_DRIVER_NAME) {
      const attrs = volume.csi.volumeAttributes ?? {};
      const id = `${namespace}/${podName}/${volume.name}`;
      if (!attrs.vgName) return { error: `inline volume ${id} needs volumeAttributes.vgName` };
      const size = attrs.size === undefined ? DEFAULT_INLINE_SIZE : byteQuantity(attrs.size);
      if (size === undefined) return { error: `inline volume ${id}: size "${attrs.size}" is not a byte quantity` };
      claims.push({ id, kind: 'LVM', size, vgName: attrs.vgName });
    }
  }
  return { claims };
}

/** The claim of one PVC (for a pod, or for the promised volumes of a node). */
export function claimOfPvc(pvc: PersistentVolumeClaim, sources: ClaimSources): PvcClaim {
  const namespace = pvc.metadata?.namespace ?? 'default';
  const id = `${namespace}/${pvc.metadata?.name ?? ''}`;
  if (pvc.spec?.volumeName) return { claim: undefined };
  const scName = pvc.spec?.storageClassName;
  if (!scName) return { claim: undefined };
  const sc = sources.storageClass(scName);
  if (!sc) return { error: `StorageClass "${scName}" of ${id} not found` };
  if (sc.provisioner !== CSI_DRIVER_NAME) return { claim: undefined };
  const params = sc.parameters ?? {};
  const kind = params.volumeType;
  if (!isVolumeKind(kind)) return { error: `StorageClass "${scName}": volumeType ${JSON.stringify(kind ?? '')} is not one of ${VOLUME_KINDS.join(', ')}` };
  const sizeText = pvc.spec?.resources?.requests?.storage ?? pvc.spec?.resources?.limits?.storage;
  if (sizeText === undefined) return { error: `${id} requests no storage (spec.resources.requests.storage)` };
  const size = byteQuantity(sizeText);
  if (size === undefined) return { error: `${id}: storage request "${sizeText}" is not a byte quantity` };
  if (kind !== 'LVM' && !params.mediaType) return { error: `StorageClass "${scName}": volumeType ${kind} needs the parameter mediaType (ssd or hdd)` };
  const source = dataSourceOf(pvc, namespace, id, sources);
  if ('error' in source) return source;
  const vgName = params.vgName ?? source.vgName;
  return {
    claim: {
      id,
      kind,
      size,
      ...(kind === 'LVM' && vgName ? { vgName } : {}),
      ...(kind !== 'LVM' ? { mediaType: params.mediaType } : {}),
      ...(source.node ? { node: source.node } : {}),
    },
  };
}

/**
 * A snapshot restore or a clone must be created next to its source (an LVM snapshot lives in the source's VG):
 * the node and VG of the source PVC, found through the VolumeSnapshot for a restore.
 */
function dataSourceOf(pvc: PersistentVolumeClaim, namespace: string, id: string, sources: ClaimSources): { node?: string; vgName?: string } | { error: string } {
  const ref = pvc.spec?.dataSourceRef ?? pvc.spec?.dataSource;
  if (!ref) return {};
  let sourcePvcName: string | undefined;
  if (ref.kind === 'VolumeSnapshot' && ref.apiGroup === SNAPSHOT_GROUP) {
    const snapshot = sources.volumeSnapshot(namespace, ref.name);
    if (!snapshot) return { error: `VolumeSnapshot "${namespace}/${ref.name}" (data source of ${id}) not found` };
    sourcePvcName = snapshot.spec?.source?.persistentVolumeClaimName;
    // A pre-provisioned snapshot has no source PVC here; CreateVolume finds its node from the content.
    if (sourcePvcName === undefined) return {};
  } else if (ref.kind === 'PersistentVolumeClaim' && !ref.apiGroup) {
    sourcePvcName = ref.name;
  } else {
    return {};
  }
  const sourcePvc = sources.pvc(namespace, sourcePvcName);
  if (!sourcePvc) return { error: `PersistentVolumeClaim "${namespace}/${sourcePvcName}" (source of ${id}) not found` };
  const pv = sourcePvc.spec?.volumeName ? sources.pv(sourcePvc.spec.volumeName) : undefined;
  const node = (pv && pvNode(pv)) ?? sourcePvc.metadata?.annotations?.[SELECTED_NODE_ANNOTATION];
  if (!node) return { error: `${id} restores from "${namespace}/${sourcePvcName}", which has no volume yet` };
  const use = pv ? useOfPv(pv) : undefined;
  return { node, ...(use?.vgName ? { vgName: use.vgName } : {}) };
}


