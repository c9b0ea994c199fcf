/**
 * The allocator's vocabulary: what a node offers, what is already used on it, and what a pod asks for. Plain data,
 * no Kubernetes objects, so the extender (filter/prioritize) and CSI CreateVolume give the same answer from the same
 * inputs.
 */

export const VOLUME_KINDS = ['LVM', 'Device', 'MountPoint'] as const;
export type VolumeKind = (typeof VOLUME_KINDS)[number];
/** Device and MountPoint volumes take a whole device or directory. */
export type ExclusiveKind = Exclude<VolumeKind, 'LVM'>;

export const STRATEGIES = ['binpack', 'spread'] as const;
/** binpack: the fullest volume group that fits (keeps big free space whole); spread: the emptiest one. */
export type Strategy = (typeof STRATEGIES)[number];

/** A whole device or mount point that one volume takes. */
export interface ExclusiveResource {
  /** Device path (`/dev/vdc`) or mount path (`/mnt/open-local/disk1`). */
  readonly name: string;
  readonly capacity: number;
  /** `ssd` or `hdd`, as the agent reports it. */
  readonly mediaType: string;
}

/** A volume group and the bytes open-local may allocate in it. */
export interface VolumeGroup {
  readonly name: string;
  readonly capacity: number;
}

/** What one node offers the scheduler: its NodeLocalStorage status, filtered by its listConfig. */
export interface NodeStorage {
  readonly name: string;
  /** The schedulable volume groups, sorted by name (a list, not a map: it is scanned for every node of a request). */
  readonly vgs: readonly VolumeGroup[];
  readonly devices: readonly ExclusiveResource[];
  readonly mountPoints: readonly ExclusiveResource[];
}

/** What is already used on a node, rebuilt from PVs, LocalVolumes and pods (never a ledger of our own answers). */
export interface NodeUsage {
  /** Bytes used per volume group. */
  readonly vgUsed: ReadonlyMap<string, number>;
  /** Devices and mount points that hold a volume. */
  readonly taken: { has(name: string): boolean };
  /**
   * Claims the scheduler already sent to this node whose volume does not exist yet (a PVC with a selected node
   * and no PV or LocalVolume): they are placed before the pod's own claims, so two pods scheduled one after the
   * other cannot both get the last space.
   */
  readonly promised: readonly Claim[];
}

/** One volume a pod needs: an unbound PVC or an inline (ephemeral CSI) volume. */
export interface Claim {
  /** `namespace/pvc` for a PVC, `namespace/pod/volume` for an inline volume: used in reasons and placements. */
  readonly id: string;
  readonly kind: VolumeKind;
  /** Bytes. */
  readonly size: number;
  /** LVM: the StorageClass's (or inline volume's) `vgName`; the VG is then fixed. */
  readonly vgName?: string;
  /** Device/MountPoint: the StorageClass's `mediaType`. */
  readonly mediaType?: string;
  /** Snapshot restores and clones must land on their source's node. */
  readonly node?: string;
}

/** Where one claim goes on a node. */
export interface Placement {
  readonly claim: string;
  readonly kind: VolumeKind;
  readonly size: number;
  /** LVM: the volume group. */
  readonly vgName?: string;
  /** Device/MountPoint: the device path or mount path. */
  readonly resource?: string;
}

export type NodeFit =
  | { readonly fits: true; readonly placements: readonly Placement[]; readonly score: number }
  | { readonly fits: false; readonly reason: string };

export interface AllocatorOptions {
  readonly strategy: Strategy;
  /**
   * Open-Local's `--enabled-node-anti-affinity`: for a pod without a claim of this kind, nodes that have no free
   * resource of the kind get this many extra points (0..10), keeping whole disks for pods that need them.
   */
  readonly antiAffinity?: Readonly<Partial<Record<ExclusiveKind, number>>>;
}
