/**
 * Which volume capabilities open-local volumes offer: one node at a time (a local disk), as a filesystem
 * (ext2/3/4, xfs) or a raw block device; MountPoint volumes are directories, so never block.
 */
import type { AccessModeName, VolumeCapability } from '../grpc/messages.js';
import type { VolumeKind } from '../../extender/allocator/types.js';

/** ReadWriteOnce and its CSI refinements, and read-only on the one node. */
export const SUPPORTED_ACCESS_MODES: readonly AccessModeName[] = ['SINGLE_NODE_WRITER', 'SINGLE_NODE_SINGLE_WRITER', 'SINGLE_NODE_MULTI_WRITER', 'SINGLE_NODE_READER_ONLY'];
export const SUPPORTED_FS_TYPES: readonly string[] = ['ext2', 'ext3', 'ext4', 'xfs'];

/**
 * Why a list of capabilities cannot be met (every problem, naming the capability by its index), or undefined when
 * all can. `kind` adds the volume type's own limits when it is known.
 */
export function capabilityProblems(caps: readonly VolumeCapability[], kind?: VolumeKind): string | undefined {
  if (caps.length === 0) return 'volume_capabilities is required (at least one)';
  const problems: string[] = [];
  caps.forEach((cap, i) => {
    const at = `volume_capabilities[${i}]`;
    const mode = cap.access_mode?.mode;
    if (mode === undefined || mode === 'UNKNOWN') problems.push(`${at}: access_mode is required`);
    else if (!SUPPORTED_ACCESS_MODES.includes(mode)) problems.push(`${at}: access mode ${mode} is not supported: a local volume is on one node (supported: ${SUPPORTED_ACCESS_MODES.join(', ')})`);
    if (cap.access_type === 'mount' && cap.mount) {
      const fs = cap.mount.fs_type;
      if (fs !== '' && !SUPPORTED_FS_TYPES.includes(fs)) problems.push(`${at}: fsType ${JSON.stringify(fs)} is not supported (supported: ${SUPPORTED_FS_TYPES.join(', ')})`);
    } else if (cap.access_type === 'block' && cap.block) {
      if (kind === 'MountPoint') problems.push(`${at}: a MountPoint volume is a directory and cannot be a raw block volume`);
    } else {
      problems.push(`${at}: access_type must be mount or block`);
    }
  });
  return problems.length === 0 ? undefined : problems.join('; ');
}
