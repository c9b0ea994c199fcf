/**
 * The filesystem UUID of a mount point's filesystem: derived from the mount path, so prepare-vg creates every mount
 * point's filesystem with a UUID it can recompute on any later run, with no state kept on the node (a state file can be
 * lost with a re-imaged root disk or get out of step with the disks; the UUID travels with the filesystem itself).
 * A later run mounts a device only when it holds exactly this UUID, and looks the UUID up on every disk, so a disk that
 * took the configured name after a reboot is never mounted or formatted in its place, even when it holds another
 * open-local filesystem of the same type (another mount point's UUID differs). Hashing is one-way on purpose: no
 * other tool produces these UUIDs by accident. Version nibble 8 and the RFC 9562 variant make it a valid UUID.
 */
import { createHash } from 'node:crypto';

export function mountPointFsUuid(path: string): string {
  const b = createHash('sha256').update(`open-local mount point\0${path}`).digest().subarray(0, 16);
  b.writeUInt8((b.readUInt8(6) & 0x0f) | 0x80, 6);
  b.writeUInt8((b.readUInt8(8) & 0x3f) | 0x80, 8);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** mkfs arguments that set the UUID, per filesystem type (the CRD's fsType enum). */
export function mkfsUuidArgs(fsType: string, uuid: string): string[] {
  return fsType === 'xfs' ? ['-m', `uuid=${uuid}`] : ['-U', uuid];
}

/** How to hand an existing filesystem over to a mount point: give it the mount point's UUID. */
export function setUuidHint(fsType: string, device: string, uuid: string): string {
  return fsType === 'xfs' ? `xfs_admin -U ${uuid} ${device}` : `tune2fs -U ${uuid} ${device}`;
}
