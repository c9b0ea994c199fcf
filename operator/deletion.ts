import type { OpenLocalCluster } from '../api/generated/types.js';
import type { KubeApi } from '../lib/kube-api.js';
import type { Logger } from '../lib/log.js';
import { STORAGE_READY_LABEL } from '../synth/names.js';
import type { Caches } from './caches.js';
import { CREATE_ONLY_KINDS } from './operands/desired.js';
import { NODE_STATE_ANNOTATION } from './nodes/record.js';
import { isOperatorOperandBinding } from '../synth/stack/rbac.js';

/**
 * Removes what the cluster created: node marks and records first (node plugins stop being scheduled), then every owned
 * object. Explicit deletes, so removal does not depend on a garbage collector. Namespaces stay (they may hold
 * other things), and no disk is touched: volume groups, LVs and data survive (cleanup.policy Keep).
 */
export async function removeStack(api: KubeApi, caches: Caches, cluster: OpenLocalCluster, log: Logger): Promise<void> {
  for (const node of caches.nodes.list()) {
    if (node.metadata.labels?.[STORAGE_READY_LABEL] === undefined && node.metadata.annotations?.[NODE_STATE_ANNOTATION] === undefined) continue;
    await api.mergePatch({ apiVersion: 'v1', kind: 'Node', metadata: { name: node.metadata.name } }, { metadata: { labels: { [STORAGE_READY_LABEL]: null }, annotations: { [NODE_STATE_ANNOTATION]: null } } });
  }
  const uid = cluster.metadata?.uid;
  const owned = caches.ownedKinds().filter((k) => !CREATE_ONLY_KINDS.has(k)).flatMap((k) => caches.ownedCache(k)?.list() ?? []);
  // Adopted objects carry no owner reference: they were handed over, not created, and stay.
  const ours = owned.filter((o) => o.metadata?.ownerReferences?.some((r) => r.uid === uid));
  // The operator's own RoleBinding in the operand namespace goes last: it is what lets it delete the rest there.
  for (const obj of [...ours.filter((o) => !isOperatorOperandBinding(o)), ...ours.filter(isOperatorOperandBinding)]) await api.delete(obj, 'Background');
  log.info({ cleanupPolicy: cluster.spec.cleanup?.policy ?? 'Keep' }, 'operands removed; data on disks kept');
}
