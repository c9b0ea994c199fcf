/**
 * What the node does with a VolumeCapability: a filesystem mount (which fsType, which extra mount flags) or a raw
 * block device, and whether the access mode is one a local volume can serve. Pure; the shapes are the decoded
 * proto-loader messages (csi-driver/grpc/messages.ts).
 */
import { invalidArgument } from '../grpc/errors.js';
import type { VolumeCapability } from '../grpc/messages.js';

/** Filesystems the driver creates and grows (Open-Local's: ext2/3/4 via resize2fs, xfs via xfs_growfs). */
export const FILESYSTEMS = ['ext4', 'ext3', 'ext2', 'xfs'] as const;
export type Filesystem = (typeof FILESYSTEMS)[number];
/** Open-Local's DefaultFs. */
export const DEFAULT_FILESYSTEM: Filesystem = 'ext4';

/**
 * A local volume lives on one node and is written by pods of that node: the single-node modes. MULTI_NODE_* would
 * promise other nodes access the driver cannot give; SINGLE_NODE_MULTI_WRITER needs a node capability the plugin
 * does not advertise.
 */
const WRITABLE_MODES = ['SINGLE_NODE_WRITER', 'SINGLE_NODE_SINGLE_WRITER'];
const READ_ONLY_MODES = ['SINGLE_NODE_READER_ONLY'];

/** Options the plugin sets itself: a flag that could turn a mount into a bind or remount of something else is refused. */
const RESERVED_FLAGS = /^(bind|rbind|remount|move|make-\w+|x-.*|loop(=.*)?|offset=.*|sizelimit=.*)$/;

export type AccessKind =
  | { readonly kind: 'mount'; readonly fsType: Filesystem; readonly flags: readonly string[]; readonly readOnlyMode: boolean }
  | { readonly kind: 'block'; readonly readOnlyMode: boolean };

export function parseCapability(cap: VolumeCapability | null, volumeId: string): AccessKind {
  if (!cap) throw invalidArgument(`volume ${volumeId}: volume_capability is required`);
  const mode = cap.access_mode?.mode ?? '';
  if (mode === '' || mode === 'UNKNOWN') throw invalidArgument(`volume ${volumeId}: volume_capability.access_mode is required`);
  if (!WRITABLE_MODES.includes(mode) && !READ_ONLY_MODES.includes(mode)) {
    throw invalidArgument(`volume ${volumeId}: access mode ${mode} is not supported by a local volume (supported: ${[...WRITABLE_MODES, ...READ_ONLY_MODES].join(', ')})`);
  }
  const readOnlyMode = READ_ONLY_MODES.includes(mode);
  if (cap.block && cap.mount) throw invalidArgument(`volume ${volumeId}: volume_capability sets both block and mount`);
  if (cap.block) return { kind: 'block', readOnlyMode };
  if (!cap.mount) throw invalidArgument(`volume ${volumeId}: volume_capability needs access_type block or mount`);
  const fsType = cap.mount.fs_type === '' ? DEFAULT_FILESYSTEM : cap.mount.fs_type;
  if (!(FILESYSTEMS as readonly string[]).includes(fsType)) throw invalidArgument(`volume ${volumeId}: fsType "${fsType}" is not supported (supported: ${FILESYSTEMS.join(', ')})`);
  const flags = cap.mount.mount_flags.flatMap((f) => f.split(',')).map((f) => f.trim()).filter((f) => f !== '');
  for (const flag of flags) {
    if (!/^[\w.=:/+-]+$/.test(flag)) throw invalidArgument(`volume ${volumeId}: mount flag ${JSON.stringify(flag)} has characters a mount option cannot have`);
    if (RESERVED_FLAGS.test(flag)) throw invalidArgument(`volume ${volumeId}: mount flag "${flag}" is set by the driver itself and cannot be requested`);
  }
  return { kind: 'mount', fsType: fsType as Filesystem, flags, readOnlyMode };
}
