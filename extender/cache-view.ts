import type { ClusterState } from './state/cluster-state.js';
import { BadRequest } from './wire.js';

/** One node as `/cache` shows it: what it offers and what is used, in bytes. */
export interface NodeCacheView {
  readonly name: string;
  readonly volumeGroups: { name: string; capacity: number; used: number }[];
  readonly devices: { name: string; capacity: number; mediaType: string; taken: boolean }[];
  readonly mountPoints: { name: string; capacity: number; mediaType: string; taken: boolean }[];
  readonly promised: { claim: string; kind: string; size: number }[];
  readonly volumes: number;
}

/** Open-Local's `/cache[?nodeName=]`: one node's view, or every node's; an unknown node is a 400. */
export function cacheView(state: ClusterState, nodeName: string | null): NodeCacheView | { nodes: NodeCacheView[] } {
  if (nodeName !== null) {
    if (!state.storage(nodeName)) throw new BadRequest(`node "${nodeName}" has no NodeLocalStorage status`);
    return nodeView(state, nodeName);
  }
  return { nodes: [...state.nodes()].sort().map((n) => nodeView(state, n)) };
}

function nodeView(state: ClusterState, node: string): NodeCacheView {
  const storage = state.storage(node);
  const usage = state.usage(node);
  const exclusive = (r: { name: string; capacity: number; mediaType: string }) => ({ ...r, taken: usage.taken.has(r.name) });
  return {
    name: node,
    volumeGroups: (storage?.vgs ?? []).map(({ name, capacity }) => ({ name, capacity, used: usage.vgUsed.get(name) ?? 0 })),
    devices: (storage?.devices ?? []).map(exclusive),
    mountPoints: (storage?.mountPoints ?? []).map(exclusive),
    promised: usage.promised.map((c) => ({ claim: c.id, kind: c.kind, size: c.size })),
    volumes: state.usageIndex.volumeCount(node),
  };
}
