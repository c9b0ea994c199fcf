import { placeExclusive } from './exclusive.js';
import { placeLvm } from './lvm.js';
import { antiAffinityBonus, capacityScore, MAX_SCORE } from './score.js';
import type { AllocatorOptions, Claim, ExclusiveKind, NodeFit, NodeStorage, NodeUsage, Placement } from './types.js';

/** A pod's claims sorted and grouped once per request, not once per node. */
export interface PreparedClaims {
  readonly all: readonly Claim[];
  readonly ids: ReadonlySet<string>;
  /** Fixed-VG claims first (they have no choice), then the largest first, so a small claim cannot take the only VG a larger sibling fits in. */
  readonly lvm: readonly Claim[];
  readonly exclusive: Readonly<Record<ExclusiveKind, readonly Claim[]>>;
  /** A claim that must be on one node (the first, if several). */
  readonly pinned: Claim | undefined;
}

export function prepareClaims(claims: readonly Claim[]): PreparedClaims {
  const lvm = claims.filter((c) => c.kind === 'LVM').sort((a, b) => Number(a.vgName === undefined) - Number(b.vgName === undefined) || b.size - a.size || (a.id < b.id ? -1 : 1));
  return {
    all: claims,
    ids: new Set(claims.map((c) => c.id)),
    lvm,
    exclusive: { Device: claims.filter((c) => c.kind === 'Device'), MountPoint: claims.filter((c) => c.kind === 'MountPoint') },
    pinned: claims.find((c) => c.node !== undefined),
  };
}

const NO_STORAGE: NodeFit = { fits: false, reason: 'no open-local storage on this node (no NodeLocalStorage status)' };
const NO_PLACEMENTS: readonly Placement[] = [];
const NOTHING_TAKEN = new Set<string>();

/**
 * Whether all of a pod's claims fit on one node together, where each goes, and the node's score (0..10). Claims the
 * scheduler already promised to this node (`usage.promised`, minus the pod's own) are placed first. The one answer
 * for the extender's filter and prioritize and for CSI CreateVolume.
 */
export function fitNode(storage: NodeStorage | undefined, usage: NodeUsage, claims: readonly Claim[], options: AllocatorOptions): NodeFit {
  return fitPrepared(storage, usage, prepareClaims(claims), options);
}

/** fitNode with the claims prepared once for many nodes. Allocates little: it runs for every node of a request. */
export function fitPrepared(storage: NodeStorage | undefined, usage: NodeUsage, claims: PreparedClaims, options: AllocatorOptions): NodeFit {
  if (claims.all.length === 0) return { fits: true, placements: NO_PLACEMENTS, score: Math.min(MAX_SCORE, Math.round(antiAffinityBonus(storage, usage, NO_PLACEMENTS, options))) };
  if (!storage) return NO_STORAGE;
  const pinned = claims.pinned;
  if (pinned?.node !== undefined && pinned.node !== storage.name) return { fits: false, reason: `${pinned.id} must be on node "${pinned.node}", where its data source is` };
  const used: number[] = [];
  for (const vg of storage.vgs) used.push(usage.vgUsed.get(vg.name) ?? 0);
  // Only Device/MountPoint placement adds to `taken`; LVM-only pods (the common case) share one empty set.
  const taken = claims.exclusive.Device.length + claims.exclusive.MountPoint.length > 0 || usage.promised.length > 0 ? new Set<string>() : NOTHING_TAKEN;
  if (usage.promised.length > 0) {
    const promised = usage.promised.filter((c) => !claims.ids.has(c.id));
    const reason = promised.length === 0 ? undefined : placeAll(storage, used, taken, usage, prepareClaims(promised), options, []);
    if (reason !== undefined) return { fits: false, reason: `already promised to volumes being created: ${reason}` };
  }
  const placements: Placement[] = [];
  const reason = placeAll(storage, used, taken, usage, claims, options, placements);
  if (reason !== undefined) return { fits: false, reason };
  const score = capacityScore(storage, used, placements, options) + antiAffinityBonus(storage, usage, placements, options);
  return { fits: true, placements, score: Math.min(MAX_SCORE, Math.round(score)) };
}

/** Places claims, charging `used` and `taken` (this evaluation's additions to `usage`). */
function placeAll(storage: NodeStorage, used: number[], taken: Set<string>, usage: NodeUsage, claims: PreparedClaims, options: AllocatorOptions, out: Placement[]): string | undefined {
  if (claims.lvm.length > 0) {
    const reason = placeLvm(storage.vgs, used, claims.lvm, options.strategy, out);
    if (reason !== undefined) return reason;
  }
  for (const kind of EXCLUSIVE_KINDS) {
    const mine = claims.exclusive[kind];
    if (mine.length === 0) continue;
    const resources = kind === 'Device' ? storage.devices : storage.mountPoints;
    const takenNow = new Set(taken);
    for (const r of resources) if (usage.taken.has(r.name)) takenNow.add(r.name);
    const reason = placeExclusive(kind, resources, takenNow, mine, out);
    for (const name of takenNow) taken.add(name);
    if (reason !== undefined) return reason;
  }
  return undefined;
}

const EXCLUSIVE_KINDS: readonly ExclusiveKind[] = ['Device', 'MountPoint'];

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
  const prepared = prepareClaims(claims);
  const feasible = new Map<string, { readonly placements: readonly Placement[]; readonly score: number }>();
  const failed = new Map<string, string>();
  for (const node of nodes) {
    const fit = fitPrepared(view.storage(node), view.usage(node), prepared, options);
    if (fit.fits) feasible.set(node, { placements: fit.placements, score: fit.score });
    else failed.set(node, fit.reason);
  }
  return { feasible, failed };
}
