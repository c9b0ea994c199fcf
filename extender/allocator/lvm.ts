import { formatBytes } from './bytes.js';
import type { Claim, Placement, Strategy } from './types.js';

/**
 * Places LVM claims on a node's volume groups, in order, charging each to `used` (mutated: the caller passes a
 * copy). A claim with `vgName` goes to that VG; any other to the VG the strategy prefers among those with room:
 * binpack the least free, spread the most free (ties: by name, so every run answers the same). Returns the reason
 * of the first claim that does not fit, naming the VG and how much is missing.
 */
export function placeLvm(vgs: ReadonlyMap<string, number>, used: Map<string, number>, claims: readonly Claim[], strategy: Strategy, out: Placement[]): string | undefined {
  for (const claim of claims) {
    const vgName = claim.vgName ?? pickVg(vgs, used, claim.size, strategy);
    if (vgName === undefined) return noVgFits(vgs, used, claim);
    const capacity = vgs.get(vgName);
    if (capacity === undefined) return `volume group "${vgName}" (vgName of ${claim.id}) is not on this node`;
    const free = capacity - (used.get(vgName) ?? 0);
    if (free < claim.size) {
      return `volume group "${vgName}" has ${formatBytes(Math.max(free, 0))} free, ${claim.id} needs ${formatBytes(claim.size)} (${formatBytes(claim.size - Math.max(free, 0))} short)`;
    }
    used.set(vgName, (used.get(vgName) ?? 0) + claim.size);
    out.push({ claim: claim.id, kind: 'LVM', size: claim.size, vgName });
  }
  return undefined;
}

function pickVg(vgs: ReadonlyMap<string, number>, used: ReadonlyMap<string, number>, size: number, strategy: Strategy): string | undefined {
  let best: string | undefined;
  let bestFree = 0;
  for (const [name, capacity] of vgs) {
    const free = capacity - (used.get(name) ?? 0);
    if (free < size) continue;
    const better = best === undefined || (strategy === 'binpack' ? free < bestFree : free > bestFree) || (free === bestFree && name < best);
    if (better) {
      best = name;
      bestFree = free;
    }
  }
  return best;
}

function noVgFits(vgs: ReadonlyMap<string, number>, used: ReadonlyMap<string, number>, claim: Claim): string {
  if (vgs.size === 0) return `no volume group on this node for ${claim.id}`;
  let largest = '';
  let largestFree = -Infinity;
  for (const [name, capacity] of vgs) {
    const free = capacity - (used.get(name) ?? 0);
    if (free > largestFree || (free === largestFree && name < largest)) {
      largest = name;
      largestFree = free;
    }
  }
  const free = Math.max(largestFree, 0);
  return `no volume group has ${formatBytes(claim.size)} free for ${claim.id}: the most free is "${largest}" with ${formatBytes(free)} (${formatBytes(claim.size - free)} short)`;
}
