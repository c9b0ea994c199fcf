/**
 * LocalVolume objects as the controller writes and reads them: the one request a node acts on, and the source of
 * every answer (CreateVolume's repeat, ListVolumes, ControllerGetVolume). Pure: building, comparing, reading.
 */
import { API_GROUP_VERSION } from '../../api/group.js';
import type { LocalVolume, LocalVolumeSpec } from '../../api/generated/types.js';
import { formatBytes } from '../../extender/allocator/bytes.js';
import type { StringMap, Volume } from '../grpc/messages.js';
import { CONTEXT, LOCAL_VOLUME_FINALIZER, PARAM } from '../volume-context.js';
import { sizeFits, type WantedSize } from './capacity-range.js';
import { CSI_NAME_ANNOTATION } from './names.js';
import { topologyOf, type NodeRequirement } from './topology.js';

/** The CreateVolume parameters, kept so a repeat call is compared with the first and the context rebuilt exactly. */
export const PARAMETERS_ANNOTATION = 'csi.aliyun.com/parameters';
/** `namespace/name` of the PVC the volume was made for (from --extra-create-metadata). */
export const PVC_ANNOTATION = 'csi.aliyun.com/pvc';
/** A restored volume's original volume (the snapshot's source), for the volume context. */
export const SOURCE_VOLUME_ANNOTATION = 'csi.aliyun.com/source-volume-id';

export type ContentSource = { readonly snapshot: string } | { readonly volume: string };

export interface VolumeRequest {
  readonly id: string;
  readonly csiName: string;
  readonly node: string;
  readonly kind: LocalVolumeSpec['volumeType'];
  readonly bytes: number;
  readonly vgName?: string;
  readonly device?: string;
  readonly lvmType?: 'linear' | 'striping';
  readonly parameters: StringMap;
  readonly pvc?: { readonly namespace: string; readonly name: string };
  readonly source?: ContentSource;
  /** A restore: the snapshot's own source volume. */
  readonly sourceVolume?: string;
}

/** The LocalVolume for a new volume, finalizer set from the start: the node removes it only after cleaning up. */
export function localVolumeFor(req: VolumeRequest): LocalVolume {
  const annotations: Record<string, string> = { [CSI_NAME_ANNOTATION]: req.csiName, [PARAMETERS_ANNOTATION]: JSON.stringify(sortedMap(req.parameters)) };
  if (req.pvc) annotations[PVC_ANNOTATION] = `${req.pvc.namespace}/${req.pvc.name}`;
  if (req.sourceVolume) annotations[SOURCE_VOLUME_ANNOTATION] = req.sourceVolume;
  const spec: LocalVolumeSpec = { nodeName: req.node, volumeType: req.kind, size: String(req.bytes) };
  if (req.vgName) spec.vgName = req.vgName;
  if (req.device) spec.device = req.device;
  if (req.kind === 'LVM') spec.lvmType = req.lvmType ?? 'linear';
  if (req.source) spec.source = 'snapshot' in req.source ? { snapshot: req.source.snapshot } : { volume: req.source.volume };
  // A restored volume is the read-only snapshot LV itself.
  if (req.source && 'snapshot' in req.source) spec.readOnly = true;
  return { apiVersion: API_GROUP_VERSION, kind: 'LocalVolume', metadata: { name: req.id, annotations, finalizers: [LOCAL_VOLUME_FINALIZER] }, spec };
}

export interface SnapshotRequest {
  readonly id: string;
  readonly csiName: string;
  readonly source: LocalVolume;
  readonly bytes: number;
}

/** The LocalVolume of a read-only LVM snapshot, on the source's node and VG. */
export function snapshotVolumeFor(req: SnapshotRequest): LocalVolume {
  const src = req.source.spec;
  return {
    apiVersion: API_GROUP_VERSION,
    kind: 'LocalVolume',
    metadata: { name: req.id, annotations: { [CSI_NAME_ANNOTATION]: req.csiName }, finalizers: [LOCAL_VOLUME_FINALIZER] },
    spec: { nodeName: src.nodeName, volumeType: 'LVM', vgName: src.vgName ?? '', size: String(req.bytes), snapshotOf: req.source.metadata?.name ?? '', readOnly: true },
  };
}

/** A LocalVolume's name (the volume or snapshot ID). */
export const idOf = (lv: LocalVolume): string => lv.metadata?.name ?? '';
export const isSnapshot = (lv: LocalVolume): boolean => lv.spec.snapshotOf !== undefined;
export const isRestore = (lv: LocalVolume): boolean => lv.spec.source?.snapshot !== undefined;
/** Ready for the current spec: a node that reports observedGeneration must have seen this generation. */
export const isReady = (lv: LocalVolume): boolean => lv.status?.phase === 'Ready' && (lv.status.observedGeneration ?? Infinity) >= (lv.metadata?.generation ?? 0);

/**
 * The volume's size: what LVM made for an LV of its own (the node reports it, rounded up to extents); the asked
 * size for a Device or MountPoint (the disk may be larger, as in Open-Local) and for a restore (the snapshot LV
 * is not resized).
 */
export function capacityOf(lv: LocalVolume): number {
  const asked = Number(lv.spec.size ?? '0');
  if (lv.spec.volumeType !== 'LVM' || isRestore(lv)) return asked;
  return Math.max(asked, Number(lv.status?.size ?? '0'));
}

export function parametersOf(lv: LocalVolume): StringMap {
  const text = lv.metadata?.annotations?.[PARAMETERS_ANNOTATION];
  if (text === undefined) return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (value === null || typeof value !== 'object') return {};
    return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}

/**
 * The Volume answered for a LocalVolume: Open-Local's volume context (every parameter, the VG or device chosen, the
 * node, a restore's snapshot keys), the node as topology, and the content source echoed.
 */
export function volumeOf(lv: LocalVolume): Volume {
  const spec = lv.spec;
  const context: StringMap = { ...parametersOf(lv), [PARAM.volumeType]: spec.volumeType, [CONTEXT.selectedNode]: spec.nodeName };
  if (spec.volumeType === 'LVM' && spec.vgName) context[PARAM.vgName] = spec.vgName;
  if (spec.volumeType === 'Device' && spec.device) context[CONTEXT.device] = spec.device;
  if (spec.volumeType === 'MountPoint' && spec.device) context[CONTEXT.mountPoint] = spec.device;
  const volume: Volume = { volume_id: idOf(lv), capacity_bytes: String(capacityOf(lv)), volume_context: context, accessible_topology: [topologyOf(spec.nodeName)] };
  if (spec.source?.snapshot !== undefined) {
    context[CONTEXT.snapshotId] = spec.source.snapshot;
    context[CONTEXT.readOnly] = 'true';
    const sourceVolume = lv.metadata?.annotations?.[SOURCE_VOLUME_ANNOTATION];
    if (sourceVolume) context[CONTEXT.sourceVolumeId] = sourceVolume;
    volume.content_source = { snapshot: { snapshot_id: spec.source.snapshot } };
  } else if (spec.source?.volume !== undefined) {
    context[CONTEXT.sourceVolumeId] = spec.source.volume;
    volume.content_source = { volume: { volume_id: spec.source.volume } };
  }
  return volume;
}

export interface Repeat {
  readonly csiName: string;
  readonly parameters: StringMap;
  readonly size: WantedSize;
  readonly source?: ContentSource;
  readonly requirement?: NodeRequirement;
}

/** Why an existing LocalVolume is not the volume a repeated CreateVolume asks for (ALREADY_EXISTS), or undefined. */
export function incompatibility(lv: LocalVolume, want: Repeat): string | undefined {
  const id = idOf(lv);
  const at = `volume "${id}" (node "${lv.spec.nodeName}"${lv.spec.vgName ? `, volume group "${lv.spec.vgName}"` : ''})`;
  const name = lv.metadata?.annotations?.[CSI_NAME_ANNOTATION];
  if (name !== want.csiName) return `${at} exists for another name (${JSON.stringify(name ?? id)})`;
  if (isSnapshot(lv)) return `"${id}" is a snapshot, not a volume`;
  const before = parametersOf(lv);
  const keys = [...new Set([...Object.keys(before), ...Object.keys(want.parameters)])].sort();
  const changed = keys.filter((k) => before[k] !== want.parameters[k]);
  if (changed.length > 0) return `${at} exists with other parameters: ${changed.map((k) => `${k} ${JSON.stringify(before[k] ?? null)} → ${JSON.stringify(want.parameters[k] ?? null)}`).join(', ')}`;
  const size = capacityOf(lv);
  if (!sizeFits(size, want.size)) return `${at} exists with ${formatBytes(size)} (${size} bytes); asked ${want.size.bytes} bytes${want.size.limit ? ` to ${want.size.limit}` : ''}`;
  const had = lv.spec.source?.snapshot !== undefined ? `snapshot ${lv.spec.source.snapshot}` : lv.spec.source?.volume !== undefined ? `volume ${lv.spec.source.volume}` : 'none';
  const wants = want.source === undefined ? 'none' : 'snapshot' in want.source ? `snapshot ${want.source.snapshot}` : `volume ${want.source.volume}`;
  if (had !== wants) return `${at} exists with content source ${had}, asked ${wants}`;
  if (want.requirement && want.requirement.allowed.size > 0 && !want.requirement.allowed.has(lv.spec.nodeName)) return `${at} exists on a node accessibility_requirements do not allow (${[...want.requirement.allowed].join(', ')})`;
  return undefined;
}

function sortedMap(map: StringMap): StringMap {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
