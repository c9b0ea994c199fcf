/**
 * A node's verdict on a LocalVolume (status.phase Failed, status.reason, status.message) → the CSI answer. The
 * reasons are the node reconciler's vocabulary; an unknown one is INTERNAL, with the node's message kept whole.
 */
import { status } from '@grpc/grpc-js';
import type { LocalVolume } from '../../api/generated/types.js';
import type { VolumeCondition } from '../grpc/messages.js';
import { CsiError } from '../grpc/errors.js';

/** Reasons a node writes, and the code each means for the CO (RESOURCE_EXHAUSTED makes the provisioner reschedule). */
export const FAILURE_CODES: Readonly<Record<string, status>> = {
  /** The VG has too little free space (another volume took it first) or the device is smaller than asked. */
  InsufficientSpace: status.RESOURCE_EXHAUSTED,
  /** The VG, device or mount point is not on the node (any more). */
  VolumeGroupNotFound: status.RESOURCE_EXHAUSTED,
  DeviceNotFound: status.RESOURCE_EXHAUSTED,
  /** A restore's snapshot or a clone's source LV is gone. */
  SourceNotFound: status.NOT_FOUND,
  /** The LV still has snapshots: delete those first. */
  HasSnapshots: status.FAILED_PRECONDITION,
  /** What the volume would touch is not open-local's (another LV of that name, a disk whose identity changed). */
  NotOwned: status.FAILED_PRECONDITION,
  IdentityMismatch: status.FAILED_PRECONDITION,
  /** The spec cannot be carried out as written (e.g. shrinking). */
  InvalidSpec: status.INVALID_ARGUMENT,
};

/** Where a LocalVolume is, for messages: `volume "x" on node "n" (volume group "vg", 10Gi asked)`. */
export function describe(lv: LocalVolume): string {
  const what = lv.spec.snapshotOf !== undefined ? 'snapshot' : 'volume';
  const where = lv.spec.vgName ? `volume group "${lv.spec.vgName}"` : lv.spec.device ? `${lv.spec.volumeType} ${lv.spec.device}` : lv.spec.volumeType;
  return `${what} "${lv.metadata?.name ?? ''}" on node "${lv.spec.nodeName}" (${where}, ${lv.spec.size ?? '?'} bytes asked)`;
}

/** The error for a Failed LocalVolume. */
export function failureError(lv: LocalVolume): CsiError {
  const reason = lv.status?.reason ?? 'Unknown';
  const code = FAILURE_CODES[reason] ?? status.INTERNAL;
  return new CsiError(code, `${describe(lv)} failed: ${lv.status?.message ?? 'no message'} (reason ${reason})`);
}

/** ControllerGetVolume's and ListVolumes' volume_condition. */
export function volumeCondition(lv: LocalVolume): VolumeCondition {
  const phase = lv.status?.phase;
  if (phase === 'Failed') return { abnormal: true, message: `${lv.status?.reason ?? 'Failed'}: ${lv.status?.message ?? ''}`.trim() };
  if (lv.metadata?.deletionTimestamp) return { abnormal: true, message: 'the volume is being deleted' };
  if (phase === undefined || phase === 'Pending') return { abnormal: false, message: `waiting for node "${lv.spec.nodeName}" to create the volume` };
  return { abnormal: false, message: phase === 'Resizing' ? 'resizing' : 'volume is healthy' };
}
