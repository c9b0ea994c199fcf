import { CSI_DRIVER_NAME } from '../../api/group.js';
import type { LocalVolume } from '../../api/generated/types.js';
import type { PersistentVolume, Pod } from './kube-types.js';
import { byteQuantity, isVolumeKind } from './parse.js';
import type { VolumeKind } from './types.js';

/** What one existing volume takes on its node: bytes of a VG, or a whole device or mount point. */
export interface VolumeUse {
  readonly node: string;
  readonly kind: VolumeKind;
  readonly size: number;
  readonly vgName?: string;
  readonly resource?: string;
}

/** Open-Local's PV annotation recording where the scheduler put a volume; it wins over the volume attributes. */
export const PV_ALLOCATED_ANNOTATION = 'csi.aliyun.com/pv-allocated';
const READONLY_ATTRIBUTE = 'csi.aliyun.com/readonly';
const HOSTNAME_LABEL = 'kubernetes.io/hostname';
/** An inline volume without a `size` attribute gets Open-Local's default. */
export const DEFAULT_INLINE_SIZE = 1024 ** 3;



/** The node a PV is pinned to (`kubernetes.io/hostname In [node]`, as CreateVolume's topology makes it). */
export function pvNode(pv: PersistentVolume): string | undefined {
  for (const term of pv.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? []) {
    for (const e of term.matchExpressions ?? []) {
      if (e.key === HOSTNAME_LABEL && e.operator === 'In' && e.values?.length === 1) return e.values[0];
    }
  }
  return undefined;
}

function allocatedAnnotation(pv: PersistentVolume): { vgName?: string; deviceName?: string; volumeType?: string } {
  const text = pv.metadata?.annotations?.[PV_ALLOCATED_ANNOTATION];
  if (text === undefined) return {};
  try {
    const value = JSON.parse(text) as Record<string, unknown> | null;
    const str = (key: string) => (typeof value?.[key] === 'string' && value[key] !== '' ? { [key]: value[key] } : {});
    return { ...str('vgName'), ...str('deviceName'), ...str('volumeType') };
  } catch {
    return {};
  }
}

/**
 * What an open-local PV uses. Read-only snapshot PVs use nothing (their snapshot LV is charged by the agent through
 * `allocatable`); PVs of other drivers or without a node are not ours to count.
 */
export function useOfPv(pv: PersistentVolume): VolumeUse | undefined {
  const csi = pv.spec?.csi;
  if (csi?.driver !== CSI_DRIVER_NAME) return undefined;
  const attrs = csi.volumeAttributes ?? {};
  if (attrs[READONLY_ATTRIBUTE] === 'true') return undefined;
  const allocated = allocatedAnnotation(pv);
  const kind = allocated.volumeType ?? attrs.volumeType;
  const node = pvNode(pv);
  const sizeText = pv.spec?.capacity?.storage;
  const size = sizeText === undefined ? undefined : byteQuantity(sizeText);
  if (!isVolumeKind(kind) || node === undefined || size === undefined) return undefined;
  if (kind === 'LVM') {
    const vgName = allocated.vgName ?? attrs.vgName;
    return vgName ? { node, kind, size, vgName } : undefined;
  }
  const resource = allocated.deviceName ?? (kind === 'Device' ? attrs.Device : attrs.MountPoint);
  return resource ? { node, kind, size, resource } : undefined;
}

/**
 * What a LocalVolume (a volume CreateVolume asked a node for) uses: its wanted size, or its actual size if larger.
 * Snapshot LocalVolumes are left out: the agent already subtracts snapshot LVs from the VG's allocatable; so are
 * volumes restored from one, which are that snapshot LV itself (as read-only snapshot PVs in useOfPv).
 */
export function useOfLocalVolume(lv: LocalVolume): VolumeUse | undefined {
  const { nodeName: node, volumeType: kind, vgName, device, snapshotOf, source } = lv.spec;
  if (snapshotOf !== undefined || source?.snapshot !== undefined) return undefined;
  const size = Math.max(byteQuantity(lv.spec.size ?? '0') ?? 0, byteQuantity(lv.status?.size ?? '0') ?? 0);
  if (kind === 'LVM') return vgName ? { node, kind, size, vgName } : undefined;
  return device ? { node, kind, size, resource: device } : undefined;
}

/** The inline (CSI ephemeral) volumes of a pod placed on a node and not finished: LVs in the named VG. */
export function inlineUsesOfPod(pod: Pod): VolumeUse[] {
  const node = pod.spec?.nodeName;
  const phase = pod.status?.phase;
  if (!node || phase === 'Succeeded' || phase === 'Failed') return [];
  const uses: VolumeUse[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    if (v.csi?.driver !== CSI_DRIVER_NAME) continue;
    const attrs = v.csi.volumeAttributes ?? {};
    const size = attrs.size === undefined ? DEFAULT_INLINE_SIZE : byteQuantity(attrs.size);
    if (attrs.vgName && size !== undefined) uses.push({ node, kind: 'LVM', size, vgName: attrs.vgName });
  }
  return uses;
}
