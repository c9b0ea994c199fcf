/**
 * A node's verdict on a LocalVolume (status.phase Failed, status.reason, status.message) → the CSI answer. The
 * reasons are the node reconciler's vocabulary; an unknown one is INTERNAL, with the node's message kept whole.
 */
import { status } from '@grpc/grpc-js';
import type { LocalVolume } from '../../api/generated/types.js';
import type { VolumeCondition } from '../grpc/messages.js';
import { CsiError } from '../grpc/errors.js';
import { REASON } from '../node/volumes/reasons.js';

/**
 * The node reconciler's reasons (csi-driver/node/volumes/reasons.ts, the one vocabulary), and the code each means for
 * the CO: RESOURCE_EXHAUSTED makes the provisioner choose another node, FAILED_PRECONDITION says a person must look.
 * CommandFailed and Copying are not here: the node retries them, so the call keeps waiting until its deadline.
 */
export const FAILURE_CODES: Readonly<Record<string, status>> = {
  /** The VG has too little free space (another volume took it first). */
  [REASON.insufficientSpace]: status.RESOURCE_EXHAUSTED,
  /** The VG or the device is not on the node (any more). */
  [REASON.volumeGroupNotFound]: status.RESOURCE_EXHAUSTED,
  [REASON.deviceNotFound]: status.RESOURCE_EXHAUSTED,
  /** A restore's snapshot or a clone's or snapshot's source LV is gone; an LV to adopt does not exist. */
  [REASON.sourceNotFound]: status.NOT_FOUND,
  [REASON.notFound]: status.NOT_FOUND,
  /** The LV still has snapshots: delete those first (written on deletion, with the phase unchanged). */
  [REASON.hasSnapshots]: status.FAILED_PRECONDITION,
  /** What the volume would touch is not open-local's, or not the one recorded: never used, never removed. */
  [REASON.notOwned]: status.FAILED_PRECONDITION,
  [REASON.identityMismatch]: status.FAILED_PRECONDITION,
  [REASON.lvMissing]: status.FAILED_PRECONDITION,
  /** A read-only snapshot overflowed its copy-on-write space: its data is lost. */
  [REASON.snapshotInvalid]: status.FAILED_PRECONDITION,
  /** The spec cannot be carried out as written (a clone smaller than its source, ...). */
  [REASON.invalidSpec]: status.INVALID_ARGUMENT,
};

/** Reasons a node writes without phase Failed that still end a deletion: the volume stays until they are resolved. */
export const BLOCKING_DELETE_REASONS: ReadonlySet<string> = new Set([REASON.hasSnapshots]);

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
