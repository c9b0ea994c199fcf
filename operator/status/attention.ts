import type { NodeStatus } from '../../api/generated/types.js';

/**
 * At most this many nodes are listed in status.nodes[]: enough to act on, small at any fleet size (5,000 nodes'
 * status must stay far below etcd's 1.5 MiB object limit, and every status write re-sends the list).
 */
export const MAX_LISTED_NODES = 20;

/** Longest node message kept in the cluster's status (prepare-vg's can be 4 KiB); the Node's record keeps it whole. */
export const MAX_NODE_MESSAGE = 256;

const ORDER: Readonly<Record<string, number>> = { Failed: 0, Pending: 1, Preparing: 2 };

export function clip(text: string, max = MAX_NODE_MESSAGE): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * The nodes that need attention (Failed, then Pending, then Preparing; by name within each), at most `max`,
 * each cut to what a reader acts on (no volume groups, hashes or boot IDs: those are on the Node), with how many
 * more there are. Ready nodes are only counted.
 */
export function nodesNeedingAttention(nodes: readonly NodeStatus[], max = MAX_LISTED_NODES): { listed: NodeStatus[]; notListed: number } {
  const attention = nodes.filter((n) => n.phase !== 'Ready');
  attention.sort((a, b) => (ORDER[a.phase] ?? 3) - (ORDER[b.phase] ?? 3) || a.name.localeCompare(b.name));
  const listed = attention.slice(0, max).map((n) => ({
    name: n.name,
    phase: n.phase,
    ...(n.reason === undefined ? {} : { reason: n.reason }),
    ...(n.message === undefined ? {} : { message: clip(n.message) }),
    ...(n.attempts === undefined ? {} : { attempts: n.attempts }),
    ...(n.retryAt === undefined ? {} : { retryAt: n.retryAt }),
    ...(n.lastTransitionTime === undefined ? {} : { lastTransitionTime: n.lastTransitionTime }),
  }));
  return { listed, notListed: attention.length - listed.length };
}
