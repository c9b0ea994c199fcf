/**
 * The reasons the node writes in a LocalVolume's status, spelled as the controller maps them to CSI codes
 * (csi-driver/controller/failure.ts): one vocabulary for both sides.
 */
export const REASON = {
  /** The VG has too little free space for the LV, its growth, a snapshot or a clone's source snapshot. */
  insufficientSpace: 'InsufficientSpace',
  volumeGroupNotFound: 'VolumeGroupNotFound',
  /** A Device or mount point is not there, or has nothing to recognise it by. */
  deviceNotFound: 'DeviceNotFound',
  /** A snapshot's, restore's or clone's source LV is gone. */
  sourceNotFound: 'SourceNotFound',
  /** An LV to adopt (Open-Local's own volume) does not exist. */
  notFound: 'NotFound',
  /** Deletion waits: the LV is the origin of snapshots. The phase is left as it was. */
  hasSnapshots: 'HasSnapshots',
  /** What the volume would touch is not open-local's: a VG without its tag, another LV of the name or UUID. */
  notOwned: 'NotOwned',
  /** The disk or filesystem at the volume's path is not the one recorded. */
  identityMismatch: 'IdentityMismatch',
  invalidSpec: 'InvalidSpec',
  /** The recorded LV is gone: it is never recreated empty. */
  lvMissing: 'LVMissing',
  /** A snapshot overflowed its copy-on-write space; its data is lost. */
  snapshotInvalid: 'SnapshotInvalid',
  /** A clone's copy is in progress (phase Pending). */
  copying: 'Copying',
  /** A host command failed; the phase is left as it was and the node retries with backoff. */
  commandFailed: 'CommandFailed',
} as const;
