import type { Claim, NodeUsage } from '../allocator/types.js';
import type { VolumeUse } from '../allocator/volume-use.js';

interface NodeTotals {
  readonly vgUsed: Map<string, number>;
  /** Device/mount path → number of volumes on it (more than one only while objects disagree). */
  readonly taken: Map<string, number>;
  volumes: number;
  /** The node's usage without promised claims, one object for the node's life, so a request allocates none. */
  readonly usage: NodeUsage;
}

/**
 * What existing volumes use, per node, kept up to date from informer events: each event moves one volume's
 * contribution, so a request never rescans PVs. A volume is keyed by its name, which is both the PV name and the
 * LocalVolume name (the CSI volume ID): while both exist the PV counts, so a volume is never counted twice, and
 * a LocalVolume without a PV yet (being created) counts as used. Nothing here remembers the extender's own
 * answers, so a restart rebuilds exactly the same totals.
 */
export class UsageIndex {
  private readonly pvs = new Map<string, VolumeUse>();
  private readonly localVolumes = new Map<string, VolumeUse>();
  private readonly inline = new Map<string, readonly VolumeUse[]>();
  private readonly nodes = new Map<string, NodeTotals>();
  private readonly onNodeChanged: (node: string) => void;

  /** `onNodeChanged` hears of every node whose usage changed (the state drops what it derived from it). */
  constructor(onNodeChanged: (node: string) => void = () => {}) {
    this.onNodeChanged = onNodeChanged;
  }

  setPv(name: string, use: VolumeUse | undefined): void {
    this.replaceVolume(name, () => (use ? this.pvs.set(name, use) : this.pvs.delete(name)));
  }

  setLocalVolume(name: string, use: VolumeUse | undefined): void {
    this.replaceVolume(name, () => (use ? this.localVolumes.set(name, use) : this.localVolumes.delete(name)));
  }

  /** The inline volumes of one pod (key `namespace/name`); an empty list removes them. */
  setInline(podKey: string, uses: readonly VolumeUse[]): void {
    for (const use of this.inline.get(podKey) ?? []) this.apply(use, -1);
    if (uses.length === 0) this.inline.delete(podKey);
    else this.inline.set(podKey, uses);
    for (const use of uses) this.apply(use, 1);
  }

  /** True if a PV or a LocalVolume of this name exists. */
  hasVolume(name: string): boolean {
    return this.pvs.has(name) || this.localVolumes.has(name);
  }

  /** Bytes per VG and taken devices of a node, as a NodeUsage with nothing promised. */
  usage(node: string): NodeUsage {
    return this.nodes.get(node)?.usage ?? EMPTY_USAGE;
  }

  vgUsed(node: string): ReadonlyMap<string, number> {
    return this.nodes.get(node)?.vgUsed ?? EMPTY_MAP;
  }

  taken(node: string): ReadonlyMap<string, number> {
    return this.nodes.get(node)?.taken ?? EMPTY_MAP;
  }

  /** Volumes (PVs, LocalVolumes being created, inline volumes) on a node: Open-Local's `local_allocated_num`. */
  volumeCount(node: string): number {
    return this.nodes.get(node)?.volumes ?? 0;
  }

  /** Every counted volume with its name: PVs and LocalVolumes (PV first), then inline volumes by pod. */
  *volumes(): Generator<[string, VolumeUse]> {
    yield* this.pvs;
    for (const [name, use] of this.localVolumes) if (!this.pvs.has(name)) yield [name, use];
    for (const [pod, uses] of this.inline) for (const use of uses) yield [pod, use];
  }

  private replaceVolume(name: string, change: () => void): void {
    const before = this.pvs.get(name) ?? this.localVolumes.get(name);
    change();
    const after = this.pvs.get(name) ?? this.localVolumes.get(name);
    if (before === after) return;
    if (before) this.apply(before, -1);
    if (after) this.apply(after, 1);
  }

  private apply(use: VolumeUse, sign: 1 | -1): void {
    let totals = this.nodes.get(use.node);
    if (!totals) {
      const vgUsed = new Map<string, number>();
      const taken = new Map<string, number>();
      totals = { vgUsed, taken, volumes: 0, usage: { vgUsed, taken, promised: NO_CLAIMS } };
      this.nodes.set(use.node, totals);
    }
    totals.volumes += sign;
    if (use.vgName !== undefined) addTo(totals.vgUsed, use.vgName, sign * use.size);
    if (use.resource !== undefined) addTo(totals.taken, use.resource, sign);
    if (totals.volumes === 0) this.nodes.delete(use.node);
    this.onNodeChanged(use.node);
  }
}

const EMPTY_MAP: ReadonlyMap<string, number> = new Map();
const NO_CLAIMS: readonly Claim[] = [];
const EMPTY_USAGE: NodeUsage = { vgUsed: EMPTY_MAP, taken: EMPTY_MAP, promised: NO_CLAIMS };

function addTo(map: Map<string, number>, key: string, delta: number): void {
  const value = (map.get(key) ?? 0) + delta;
  if (value === 0) map.delete(key);
  else map.set(key, value);
}
