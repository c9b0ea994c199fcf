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

const NO_STORAGE = 'no open-local storage on this node (no NodeLocalStorage status)';
const NO_PLACEMENTS: readonly Placement[] = [];
const NOTHING_TAKEN = new Set<string>();
const NOTHING_ASKED: Readonly<Record<ExclusiveKind, readonly Claim[]>> = { Device: [], MountPoint: [] };

/**
 * Whether all of a pod's claims fit on one node together, where each goes, and the node's score (0..10). Claims the
 * scheduler already promised to this node (`usage.promised`, minus the pod's own) are placed first. The one answer
 * for the extender's filter and prioritize and for CSI CreateVolume.
 */
export function fitNode(storage: NodeStorage | undefined, usage: NodeUsage, claims: readonly Claim[], options: AllocatorOptions): NodeFit {
  return fitPrepared(storage, usage, prepareClaims(claims), options);
}

/** fitNode with the claims prepared once for many nodes. */
export function fitPrepared(storage: NodeStorage | undefined, usage: NodeUsage, claims: PreparedClaims, options: AllocatorOptions): NodeFit {
  const lvmVgs: number[] = [];
  const exclusive: Placement[] = [];
  const verdict = evaluate(storage, usage, claims, options, undefined, [], lvmVgs, exclusive);
  if (typeof verdict === 'string') return { fits: false, reason: verdict };
  if (!storage || claims.lvm.length + exclusive.length === 0) return { fits: true, placements: NO_PLACEMENTS, score: verdict };
  const placements: Placement[] = claims.lvm.map((claim, i) => ({ claim: claim.id, kind: 'LVM', size: claim.size, vgName: storage.vgs[lvmVgs[i] ?? -1]?.name ?? '' }));
  return { fits: true, placements: [...placements, ...exclusive], score: verdict };
}

/**
 * Reused by fitScore, which never re-enters itself, so its per-node arrays are not garbage for every node. Written
 * by index, never emptied: setting an array's length to 0 drops its backing store, and the next write allocates one.
 */
const scratchUsed: number[] = [];
const scratchLvmVgs: number[] = [];
const scratchExclusive: Placement[] = [];

/**
 * fitPrepared's verdict without placements: the node's score (0..10) where every claim fits, else the reason. The
 * extender's filter and prioritize run it for every node of a request and need nothing more, so a node that fits
 * allocates nothing for an LVM-only pod (the common case). `vgUsed`: `usage.vgUsed` lined up with `storage.vgs`,
 * when the caller keeps it so (ClusterState's NodeView), saving a lookup by name per VG.
 */
export function fitScore(storage: NodeStorage | undefined, usage: NodeUsage, claims: PreparedClaims, options: AllocatorOptions, vgUsed?: readonly number[]): number | string {
  // Empty already unless the last pod had a Device or MountPoint claim.
  if (scratchExclusive.length > 0) scratchExclusive.length = 0;
  return evaluate(storage, usage, claims, options, vgUsed, scratchUsed, scratchLvmVgs, scratchExclusive);
}

/**
 * The score where every claim fits, else the reason. `vgUsed`: the usage's bytes per VG by index, if the caller has
 * them. Fills `used` (bytes per VG after the pod, by VG index), `lvmVgs` (the VG index of each of `claims.lvm`) and
 * `exclusive` (the pod's whole devices or mount points, appended to an empty array).
 */
function evaluate(storage: NodeStorage | undefined, usage: NodeUsage, claims: PreparedClaims, options: AllocatorOptions, vgUsed: readonly number[] | undefined, used: number[], lvmVgs: number[], exclusive: Placement[]): number | string {
  if (claims.all.length === 0) return Math.min(MAX_SCORE, Math.round(antiAffinityBonus(storage, usage, NOTHING_ASKED, options)));
  if (!storage) return NO_STORAGE;
  const pinned = claims.pinned;
  if (pinned?.node !== undefined && pinned.node !== storage.name) return `${pinned.id} must be on node "${pinned.node}", where its data source is`;
  const base = vgUsed ?? usedPerVg(storage, usage);
  for (let i = 0; i < storage.vgs.length; i++) used[i] = base[i] ?? 0;
  // Only Device/MountPoint placement adds to `taken`; LVM-only pods (the common case) share one empty set.
  const taken = claims.exclusive.Device.length + claims.exclusive.MountPoint.length > 0 || usage.promised.length > 0 ? new Set<string>() : NOTHING_TAKEN;
  if (usage.promised.length > 0) {
    const promised = usage.promised.filter((c) => !claims.ids.has(c.id));
    const reason = promised.length === 0 ? undefined : placeAll(storage, used, taken, usage, prepareClaims(promised), options, [], []);
    if (reason !== undefined) return `already promised to volumes being created: ${reason}`;
  }
  const reason = placeAll(storage, used, taken, usage, claims, options, lvmVgs, exclusive);
  if (reason !== undefined) return reason;
  const score = capacityScore(storage, used, lvmVgs, claims.lvm.length, exclusive, options) + antiAffinityBonus(storage, usage, claims.exclusive, options);
  return Math.min(MAX_SCORE, Math.round(score));
}

/** The bytes `usage` says each of the node's VGs has in use, lined up with `storage.vgs`. */
export function usedPerVg(storage: NodeStorage, usage: NodeUsage): number[] {
  return storage.vgs.map((vg) => usage.vgUsed.get(vg.name) ?? 0);
}

/** Places claims, charging `used` and `taken` (this evaluation's additions to `usage`). */
function placeAll(storage: NodeStorage, used: number[], taken: Set<string>, usage: NodeUsage, claims: PreparedClaims, options: AllocatorOptions, lvmVgs: number[], exclusive: Placement[]): string | undefined {
  if (claims.lvm.length > 0) {
    const reason = placeLvm(storage.vgs, used, claims.lvm, options.strategy, lvmVgs);
    if (reason !== undefined) return reason;
  }
  // An index loop: a for-of iterator here was most of a filter's garbage (this runs for every node).
  for (let k = 0; k < EXCLUSIVE_KINDS.length; k++) {
    const kind = EXCLUSIVE_KINDS[k] ?? 'Device';
    const mine = claims.exclusive[kind];
    if (mine.length === 0) continue;
    const resources = kind === 'Device' ? storage.devices : storage.mountPoints;
    const takenNow = new Set(taken);
    for (const r of resources) if (usage.taken.has(r.name)) takenNow.add(r.name);
    const reason = placeExclusive(kind, resources, takenNow, mine, exclusive);
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
