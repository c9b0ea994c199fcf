import { formatBytes } from './bytes.js';
import type { Claim, ExclusiveKind, ExclusiveResource, Placement } from './types.js';

const NOUN: Readonly<Record<ExclusiveKind, string>> = { Device: 'device', MountPoint: 'mount point' };

/**
 * Places Device or MountPoint claims: each takes one whole free resource of its `mediaType`, the smallest that is
 * large enough. Claims are served smallest first against resources sorted by capacity, which finds a match for
 * every claim whenever one exists. `taken` is mutated (the caller passes a copy). Returns the reason of the first
 * claim that cannot be served.
 */
export function placeExclusive(kind: ExclusiveKind, resources: readonly ExclusiveResource[], taken: Set<string>, claims: readonly Claim[], out: Placement[]): string | undefined {
  const byMedia = new Map<string, Claim[]>();
  for (const claim of claims) {
    const media = claim.mediaType ?? '';
    const group = byMedia.get(media);
    if (group) group.push(claim);
    else byMedia.set(media, [claim]);
  }
  for (const [media, group] of byMedia) {
    const free = resources.filter((r) => r.mediaType === media && !taken.has(r.name)).sort((a, b) => a.capacity - b.capacity || (a.name < b.name ? -1 : 1));
    const noun = `${media} ${NOUN[kind]}`;
    if (free.length < group.length) return `${group.length} free ${noun}s needed (${group.map((c) => c.id).join(', ')}), ${free.length} free`;
    const ordered = [...group].sort((a, b) => a.size - b.size || (a.id < b.id ? -1 : 1));
    let next = 0;
    for (const claim of ordered) {
      while (next < free.length && (free[next]?.capacity ?? 0) < claim.size) next++;
      const resource = free[next];
      if (!resource) {
        // Resources before `next` went to this pod's smaller claims; the largest still free is what the user can compare.
        const largest = free.reduce((max, r) => (taken.has(r.name) ? max : Math.max(max, r.capacity)), 0);
        return `no free ${noun} of at least ${formatBytes(claim.size)} for ${claim.id}: the largest one left has ${formatBytes(largest)} (${formatBytes(claim.size - largest)} short)`;
      }
      next++;
      taken.add(resource.name);
      out.push({ claim: claim.id, kind, size: claim.size, resource: resource.name });
    }
  }
  return undefined;
}
