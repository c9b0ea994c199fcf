import type { NodeFacts, StatusesByNode } from './plan.js';

/**
 * The prepared nodes whose Node is not Ready now, as "name (Ready=Unknown)", by name. A node keeps its prepared
 * state while it is down (its VGs are still on its disks, and preparing again when it is back is decided by its
 * boot ID), so without this a powered-off storage node would leave the cluster "Ready" while the volumes on it
 * cannot be mounted. Nodes still waiting to be prepared are not listed: NodesPrepared already names them.
 */
export function unreachableNodes(nodes: readonly NodeFacts[], statuses: StatusesByNode): string[] {
  return nodes
    .filter((n) => n.ready !== undefined && n.ready !== 'True' && statuses.get(n.name)?.phase === 'Ready')
    .map((n) => `${n.name} (Ready=${n.ready ?? ''})`)
    .sort();
}
