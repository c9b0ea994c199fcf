import type { AllocatorOptions, ExclusiveKind, ExclusiveResource, NodeStorage, NodeUsage, Placement } from './types.js';

/** kube-scheduler's extender score range (MinExtenderPriority..MaxExtenderPriority). */
export const MAX_SCORE = 10;

/**
 * The score (0..10) of a node for a pod's placements: its LVM claims' VGs (the first `lvmCount` of `lvmVgs`,
 * indexes into `storage.vgs`) and its whole devices or mount points (`exclusive`). Each volume group the pod uses
 * contributes its use after the pod's volumes are counted, `u = used / allocatable` (existing volumes, promised
 * claims and this pod's): binpack scores `u` (fill the fullest), spread `1 - u` (fill the emptiest). Each whole
 * device or mount point contributes `size / capacity` under both strategies (waste as little of an exclusive disk as
 * possible). The score is `floor(10 × mean)`. Worked example (README): VGs of 100Gi with 60Gi and 20Gi used, a 20Gi claim:
 * binpack 8 and 4, spread 2 and 6.
 */
export function capacityScore(storage: NodeStorage, usedAfter: readonly number[], lvmVgs: readonly number[], lvmCount: number, exclusive: readonly Placement[], options: AllocatorOptions): number {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < lvmCount; i++) {
    const index = lvmVgs[i] ?? -1;
    if (usedEarlier(lvmVgs, i, index)) continue;
    const capacity = storage.vgs[index]?.capacity ?? 0;
    const u = capacity > 0 ? Math.min(1, (usedAfter[index] ?? 0) / capacity) : 1;
    sum += options.strategy === 'binpack' ? u : 1 - u;
    count++;
  }
  for (const p of exclusive) {
    const capacity = capacityOf(p.kind === 'Device' ? storage.devices : storage.mountPoints, p.resource);
    sum += capacity > 0 ? Math.min(1, p.size / capacity) : 0;
    count++;
  }
  // The epsilon keeps 10 × (1 - 0.8) = 1.9999… at 2: scores are whole tenths, not float noise.
  return count === 0 ? 0 : Math.floor((MAX_SCORE * sum) / count + 1e-9);
}

/** Each VG counts once, however many of the pod's volumes it holds. */
function usedEarlier(lvmVgs: readonly number[], before: number, index: number): boolean {
  for (let j = 0; j < before; j++) if (lvmVgs[j] === index) return true;
  return false;
}

function capacityOf(resources: readonly ExclusiveResource[], name: string | undefined): number {
  for (const r of resources) if (r.name === name) return r.capacity;
  return 0;
}

/**
 * Open-Local's node anti-affinity: for each configured kind the pod does not ask for (`asked`: its claims by
 * kind), a node without a free resource of that kind earns the kind's weight (it costs no whole disk that another
 * pod may need). The bonus is the mean weight of the kinds that earned it.
 */
export function antiAffinityBonus(storage: NodeStorage | undefined, usage: NodeUsage, asked: Readonly<Record<ExclusiveKind, readonly unknown[]>>, options: AllocatorOptions): number {
  const weights = options.antiAffinity;
  if (!weights) return 0;
  let sum = 0;
  let earned = 0;
  for (const kind of ['Device', 'MountPoint'] as const) {
    const weight = weights[kind] ?? 0;
    if (weight <= 0 || asked[kind].length > 0) continue;
    const list = storage ? (kind === 'Device' ? storage.devices : storage.mountPoints) : [];
    if (list.some((r) => !usage.taken.has(r.name))) continue;
    sum += weight;
    earned++;
  }
  return earned === 0 ? 0 : sum / earned;
}
