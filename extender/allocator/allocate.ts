import { placeExclusive } from './exclusive.js';
import { placeLvm } from './lvm.js';
import { antiAffinityBonus, capacityScore, MAX_SCORE } from './score.js';
import type { AllocatorOptions, Claim, NodeFit, NodeStorage, NodeUsage, Placement } from './types.js';

/**
 * Whether all of a pod's claims fit on one node together, where each goes, and the node's score (0..10). Claims the
 * scheduler already promised to this node (`usage.promised`, minus the pod's own) are placed first. The one answer
 * for the extender's filter and prioritize and for CSI CreateVolume.
 */
export function fitNode(storage: NodeStorage | undefined, usage: NodeUsage, claims: readonly Claim[], options: AllocatorOptions): NodeFit {
  if (claims.length === 0) {
    return { fits: true, placements: [], score: Math.min(MAX_SCORE, Math.round(antiAffinityBonus(storage, usage, [], options))) };
  }
  if (!storage) return { fits: false, reason: 'no open-local storage on this node (no NodeLocalStorage status)' };
  for (const claim of claims) {
    if (claim.node !== undefined && claim.node !== storage.name) return { fits: false, reason: `${claim.id} must be on node "${claim.node}", where its data source is` };
  }
  const own = new Set(claims.map((c) => c.id));
  const promised = usage.promised.filter((c) => !own.has(c.id));
  const used = new Map(usage.vgUsed);
  const taken = new Set<string>();
  const isTaken = { has: (name: string) => taken.has(name) || usage.taken.has(name) };
  const scratch: Placement[] = [];
  const placements: Placement[] = [];
  for (const [batch, out] of [[promised, scratch], [claims, placements]] as const) {
    const reason = placeAll(storage, used, taken, isTaken, batch, options, out);
    if (reason !== undefined) return { fits: false, reason: out === scratch ? `already promised to volumes being created: ${reason}` : reason };
  }
  const score = capacityScore(storage, used, placements, options) + antiAffinityBonus(storage, usage, placements, options);
  return { fits: true, placements, score: Math.min(MAX_SCORE, Math.round(score)) };
}

function placeAll(storage: NodeStorage, used: Map<string, number>, taken: Set<string>, isTaken: { has(name: string): boolean }, claims: readonly Claim[], options: AllocatorOptions, out: Placement[]): string | undefined {
  if (claims.length === 0) return undefined;
  // Fixed-VG claims first (they have no choice), then the largest first, so a small claim cannot take the only
  // VG a larger sibling fits in.
  const lvm = claims.filter((c) => c.kind === 'LVM').sort((a, b) => Number(a.vgName === undefined) - Number(b.vgName === undefined) || b.size - a.size || (a.id < b.id ? -1 : 1));
  const lvmReason = placeLvm(storage.vgs, used, lvm, options.strategy, out);
  if (lvmReason !== undefined) return lvmReason;
  for (const kind of ['Device', 'MountPoint'] as const) {
    const mine = claims.filter((c) => c.kind === kind);
    if (mine.length === 0) continue;
    const resources = kind === 'Device' ? storage.devices : storage.mountPoints;
    const takenNow = new Set(resources.filter((r) => isTaken.has(r.name)).map((r) => r.name));
    const reason = placeExclusive(kind, resources, takenNow, mine, out);
    for (const name of takenNow) taken.add(name);
    if (reason !== undefined) return reason;
  }
  return undefined;
}

/** Where the allocator reads a node's storage and usage: the extender's informer-fed state, or a test's table. */
export interface StorageView {
  storage(node: string): NodeStorage | undefined;
  usage(node: string): NodeUsage;
}

export interface NodeVerdicts {
  /** Nodes where every claim fits, with placements and score, in the order asked. */
  readonly feasible: Map<string, { readonly placements: readonly Placement[]; readonly score: number }>;
  /** Nodes where they do not, with the reason `kubectl describe pod` shows. */
  readonly failed: Map<string, string>;
}

/** fitNode over many nodes. */
export function fitNodes(nodes: Iterable<string>, view: StorageView, claims: readonly Claim[], options: AllocatorOptions): NodeVerdicts {
  const feasible = new Map<string, { readonly placements: readonly Placement[]; readonly score: number }>();
  const failed = new Map<string, string>();
  for (const node of nodes) {
    const fit = fitNode(view.storage(node), view.usage(node), claims, options);
    if (fit.fits) feasible.set(node, { placements: fit.placements, score: fit.score });
    else failed.set(node, fit.reason);
  }
  return { feasible, failed };
}
