import { formatBytes } from './bytes.js';
import type { Claim, Strategy, VolumeGroup } from './types.js';

/**
 * Places LVM claims on a node's volume groups, in order, charging each to `used` (bytes per VG, same index as
 * `vgs`; mutated) and setting `chosen[k]` to the index of the VG of `claims[k]`. A claim with `vgName` goes to
 * that VG; any other to the VG the strategy prefers among those with room: binpack the least free, spread the most
 * free (ties: the first by name, as `vgs` is sorted, so every run answers the same). Returns the reason of
 * the first claim that does not fit, naming the VG and how much is missing. Plain loops over arrays, and numbers
 * out, not Placement objects: this runs for every node of every request, and at 5,000 nodes an object per claim
 * per node was the largest share of a filter's garbage.
 */
export function placeLvm(vgs: readonly VolumeGroup[], used: number[], claims: readonly Claim[], strategy: Strategy, chosen: number[]): string | undefined {
  for (let k = 0; k < claims.length; k++) {
    const claim = claims[k];
    if (!claim) continue;
    const index = claim.vgName === undefined ? pickVg(vgs, used, claim.size, strategy) : indexOfVg(vgs, claim.vgName);
    const vg = vgs[index];
    if (!vg) return claim.vgName === undefined ? noVgFits(vgs, used, claim) : `volume group "${claim.vgName}" (vgName of ${claim.id}) is not on this node`;
    const free = Math.max(vg.capacity - (used[index] ?? 0), 0);
    if (free < claim.size) return `volume group "${vg.name}" has ${formatBytes(free)} free, ${claim.id} needs ${formatBytes(claim.size)} (${formatBytes(claim.size - free)} short)`;
    used[index] = (used[index] ?? 0) + claim.size;
    chosen[k] = index;
  }
  return undefined;
}

function indexOfVg(vgs: readonly VolumeGroup[], name: string): number {
  for (let i = 0; i < vgs.length; i++) if (vgs[i]?.name === name) return i;
  return -1;
}

function pickVg(vgs: readonly VolumeGroup[], used: readonly number[], size: number, strategy: Strategy): number {
  let best = -1;
  let bestFree = 0;
  for (let i = 0; i < vgs.length; i++) {
    const free = (vgs[i]?.capacity ?? 0) - (used[i] ?? 0);
    if (free < size) continue;
    if (best < 0 || (strategy === 'binpack' ? free < bestFree : free > bestFree)) {
      best = i;
      bestFree = free;
    }
  }
  return best;
}

function noVgFits(vgs: readonly VolumeGroup[], used: readonly number[], claim: Claim): string {
  if (vgs.length === 0) return `no volume group on this node for ${claim.id}`;
  let largest = 0;
  for (let i = 1; i < vgs.length; i++) if ((vgs[i]?.capacity ?? 0) - (used[i] ?? 0) > (vgs[largest]?.capacity ?? 0) - (used[largest] ?? 0)) largest = i;
  const free = Math.max((vgs[largest]?.capacity ?? 0) - (used[largest] ?? 0), 0);
  return `no volume group has ${formatBytes(claim.size)} free for ${claim.id}: the most free is "${vgs[largest]?.name ?? ''}" with ${formatBytes(free)} (${formatBytes(claim.size - free)} short)`;
}
