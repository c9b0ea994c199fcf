import type { NodeStatus } from '../../api/generated/types.js';
import type { NodeFacts } from './plan.js';

/**
 * The prepared nodes whose Node is not Ready now, as "name (Ready=Unknown)", by name. A node keeps its prepared
 * state while it is down (its VGs are still on its disks, and preparing again when it is back is decided by its
 * boot ID), so without this a powered-off storage node would leave the cluster "Ready" while the volumes on it
 * cannot be mounted. Nodes still waiting to be prepared are not listed: NodesPrepared already names them.
 */
export function unreachableNodes(nodes: readonly NodeFacts[], statuses: readonly NodeStatus[]): string[] {
  const prepared = new Set(statuses.filter((s) => s.phase === 'Ready').map((s) => s.name));
  return nodes
    .filter((n) => prepared.has(n.name) && n.ready !== undefined && n.ready !== 'True')
    .map((n) => `${n.name} (Ready=${n.ready ?? ''})`)
    .sort();
}
