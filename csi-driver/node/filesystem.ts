/**
 * Filesystems on volumes: the UUID a volume's filesystem gets, the mkfs and grow command lines, and the decision
 * whether a device may be formatted, mounted as is, or must be refused. Pure.
 *
 * The rule (a storage engineer's): format only a device with no signature at all. An LV is ours (its name is the
 * volume ID in the volume's VG), so a filesystem of the requested type on it is the volume's own data and is mounted
 * as is (a read-only snapshot even carries its origin's UUID). A Device volume's disk is shared history: it is
 * mounted only when its filesystem carries the UUID derived from this volume ID, i.e. this driver wrote it for this
 * volume; any other signature (another filesystem, an LVM PV, a partition table, RAID) is refused by name.
 */
import { createHash } from 'node:crypto';
import type { Signature } from '../../node-agent/prepare-vg/block-tools.js';
import { mkfsUuidArgs } from '../../node-agent/prepare-vg/fs-uuid.js';
import { failedPrecondition, outOfRange } from '../grpc/errors.js';
import type { Filesystem } from './capability.js';

/** mkfs.xfs refuses filesystems below 300 MiB (xfsprogs ≥ 5.19). */
export const XFS_MIN_BYTES = 300 * 2 ** 20;

/** The filesystem UUID of a volume's filesystem, recomputable from the volume ID alone (as fs-uuid.ts for mount points). */
export function volumeFsUuid(volumeId: string): string {
  const b = createHash('sha256').update(`open-local volume\0${volumeId}`).digest().subarray(0, 16);
  b.writeUInt8((b.readUInt8(6) & 0x0f) | 0x80, 6);
  b.writeUInt8((b.readUInt8(8) & 0x3f) | 0x80, 8);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * mkfs without any force flag: should a signature appear between the probe and mkfs, mkfs.xfs refuses and
 * mkfs.ext4 asks "Proceed anyway?", reads EOF on stdin and stops. ext4's lazy init is kept off so the first writes
 * of a pod are not competing with the background zeroing.
 */
export function mkfsArgv(fsType: Filesystem, device: string, uuid: string): string[] {
  if (fsType === 'xfs') return ['mkfs.xfs', ...mkfsUuidArgs(fsType, uuid), '--', device];
  return [`mkfs.${fsType}`, '-q', ...mkfsUuidArgs(fsType, uuid), '-E', 'lazy_itable_init=0,lazy_journal_init=0', '--', device];
}

/** Online growth to the device's size: resize2fs takes the device, xfs_growfs the mount point. */
export function growArgv(fsType: Filesystem, device: string, mountPath: string): string[] {
  return fsType === 'xfs' ? ['xfs_growfs', '--', mountPath] : ['resize2fs', '--', device];
}

/**
 * Mount options of a volume's filesystem: xfs gets nouuid, because a snapshot (and its restore) has its origin's
 * UUID and xfs refuses a second filesystem with a UUID already mounted.
 */
export function fsMountOptions(fsType: Filesystem, readOnly: boolean, flags: readonly string[]): string[] {
  return [readOnly ? 'ro' : 'rw', ...(fsType === 'xfs' ? ['nouuid'] : []), ...flags];
}

export function checkFsSize(volumeId: string, fsType: Filesystem, bytes: number, where: string): void {
  if (fsType === 'xfs' && bytes < XFS_MIN_BYTES) {
    throw outOfRange(`volume ${volumeId}: ${where} has ${bytes} bytes; xfs needs at least ${XFS_MIN_BYTES} (300 MiB): use ext4 or a larger volume`);
  }
}

export type StageAction = { readonly action: 'format' } | { readonly action: 'mount' };

const describe = (s: Signature) => `${s.type}${s.uuid ? ` (UUID ${s.uuid})` : ''}${s.label ? ` label "${s.label}"` : ''} at offset ${s.offset}`;

/** Whether to format or mount `device`, given what wipefs found on it; refusals name the signature. */
export function decideStage(input: {
  readonly volumeId: string;
  readonly kind: 'LV' | 'Device';
  readonly device: string;
  readonly fsType: Filesystem;
  readonly signatures: readonly Signature[];
}): StageAction {
  const { volumeId, kind, device, fsType, signatures } = input;
  if (signatures.length === 0) return { action: 'format' };
  const [only, ...more] = signatures;
  if (only === undefined || more.length > 0) {
    throw failedPrecondition(`volume ${volumeId}: ${kind} ${device} carries several signatures (${signatures.map(describe).join('; ')}); refusing to mount or format it`);
  }
  if (only.type !== fsType) {
    throw failedPrecondition(`volume ${volumeId}: ${kind} ${device} carries ${describe(only)}, not the requested ${fsType}; refusing to format it`);
  }
  if (kind === 'Device' && only.uuid !== volumeFsUuid(volumeId)) {
    throw failedPrecondition(`volume ${volumeId}: ${kind} ${device} carries ${describe(only)} that this driver did not create for this volume (expected UUID ${volumeFsUuid(volumeId)}); refusing to use it`);
  }
  return { action: 'mount' };
}
