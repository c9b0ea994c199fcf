/**
 * Where CreateVolume puts a volume: the node and the VG or device, from the extender's allocator over the same
 * informer-fed state (no second copy of the allocation rules, so scheduling and provisioning agree). The selected
 * node (WaitForFirstConsumer) or a clone's source node is the only candidate; otherwise preferred nodes are tried in
 * order, then the best-scoring allowed node.
 */
import { fitNode, type StorageView } from '../../extender/allocator/allocate.js';
import { formatBytes } from '../../extender/allocator/bytes.js';
import type { AllocatorOptions, Claim, Placement } from '../../extender/allocator/types.js';
import { resourceExhausted } from '../grpc/errors.js';
import type { NodeRequirement } from './topology.js';

export interface ClusterView extends StorageView {
  /** Nodes that have open-local storage. */
  nodes(): Iterable<string>;
}

export interface Placed {
  readonly node: string;
  readonly placement: Placement;
}

/** Reasons shown per node in a RESOURCE_EXHAUSTED message, at most. */
const MAX_REASONS = 5;

/**
 * Places one claim. `fixedNode` is the node the volume must be on (selected node, or a clone's source); it must
 * also satisfy `requirement`. Throws RESOURCE_EXHAUSTED naming each node tried with its VG and sizes.
 */
export function placeVolume(view: ClusterView, claim: Claim, fixedNode: string | undefined, requirement: NodeRequirement | undefined, options: AllocatorOptions): Placed {
  const what = `${claim.id} (${claim.kind}, ${formatBytes(claim.size)}${claim.vgName ? `, volume group "${claim.vgName}"` : ''}${claim.mediaType ? `, ${claim.mediaType}` : ''})`;
  if (fixedNode !== undefined && requirement && requirement.allowed.size > 0 && !requirement.allowed.has(fixedNode)) {
    throw resourceExhausted(`${what} must be on node "${fixedNode}", which accessibility_requirements do not allow (${[...requirement.allowed].join(', ')})`);
  }
  const failures: string[] = [];
  const tryNode = (node: string) => {
    const fit = fitNode(view.storage(node), view.usage(node), [claim], options);
    if (!fit.fits) failures.push(`node "${node}": ${fit.reason}`);
    return fit.fits ? { node, placement: fit.placements[0], score: fit.score } : undefined;
  };
  if (fixedNode !== undefined) {
    const fit = tryNode(fixedNode);
    if (fit?.placement) return { node: fit.node, placement: fit.placement };
    throw resourceExhausted(`cannot create ${what} on ${failures.join('')}`);
  }
  for (const node of requirement?.preferred ?? []) {
    const fit = tryNode(node);
    if (fit?.placement) return { node: fit.node, placement: fit.placement };
  }
  const tried = new Set(requirement?.preferred ?? []);
  const candidates = requirement && requirement.allowed.size > 0 ? [...requirement.allowed] : [...view.nodes()];
  let best: { node: string; placement: Placement; score: number } | undefined;
  for (const node of candidates.sort()) {
    if (tried.has(node)) continue;
    const fit = tryNode(node);
    if (fit?.placement && (!best || fit.score > best.score)) best = { node: fit.node, placement: fit.placement, score: fit.score };
  }
  if (best) return { node: best.node, placement: best.placement };
  if (failures.length === 0) throw resourceExhausted(`cannot create ${what}: no node has open-local storage (no NodeLocalStorage with a status)`);
  const shown = failures.slice(0, MAX_REASONS).join('; ');
  throw resourceExhausted(`cannot create ${what}: ${shown}${failures.length > MAX_REASONS ? `; and ${failures.length - MAX_REASONS} more nodes` : ''}`);
}
