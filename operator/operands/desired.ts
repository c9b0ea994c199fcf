import { API_GROUP_VERSION } from '../../api/group.js';
import type { OpenLocalCluster } from '../../api/generated/types.js';
import type { KubeObject } from '../../lib/kube-object.js';
import { contentHash } from '../../lib/storage-config.js';
import type { KubeObject as RenderedObject } from '../../synth/render.js';
import type { ResolvedSpec } from '../../synth/resolved-spec.js';
import { operatorOperandBinding } from '../../synth/stack/rbac.js';

export const FIELD_MANAGER = 'open-local-operator';
/** Hash of what the operator last applied to an object: equal hash = nothing to send (zero writes when steady). */
export const APPLIED_HASH_ANNOTATION = 'csi.aliyun.com/applied-hash';

/** Objects that are created once and never owned, updated or pruned: deleting the CR must not delete them. */
export const CREATE_ONLY_KINDS = new Set(['Namespace']);

/**
 * The objects to apply for a cluster: the rendered stack, each owned by the cluster (garbage collection removes
 * them with it; cluster-scoped owners may own namespaced objects) and stamped with the hash of its content.
 */
export function withOwnership(rendered: readonly RenderedObject[], cluster: OpenLocalCluster): KubeObject[] {
  const uid = cluster.metadata?.uid;
  const name = cluster.metadata?.name;
  if (!uid || !name) throw new Error('cluster has no uid/name: it must come from the API server');
  return rendered.map((o) => {
    const obj = structuredClone(o) as KubeObject;
    if (CREATE_ONLY_KINDS.has(obj.kind ?? '')) return obj;
    const meta = obj.metadata ?? {};
    meta.ownerReferences = [{ apiVersion: API_GROUP_VERSION, kind: 'OpenLocalCluster', name, uid, controller: true, blockOwnerDeletion: true }];
    meta.annotations = { ...meta.annotations, [APPLIED_HASH_ANNOTATION]: contentHash(obj) };
    obj.metadata = meta;
    return obj;
  });
}

/** A stable identity for matching desired and live objects. */
export function objectKey(o: KubeObject): string {
  return `${o.apiVersion ?? ''}/${o.kind ?? ''}/${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}

/**
 * The rendered stack plus, when the operator runs as its ServiceAccount, the RoleBinding that grants it write
 * rights in the operand namespace: placed right after the Namespace, before anything it lets the operator create.
 */
export function withOperatorBinding(rendered: readonly RenderedObject[], spec: ResolvedSpec, operatorNamespace: string | undefined): RenderedObject[] {
  if (operatorNamespace === undefined) return [...rendered];
  const at = rendered.findIndex((o) => o.kind === 'Namespace') + 1;
  return [...rendered.slice(0, at), operatorOperandBinding(spec.namespace, spec.name, operatorNamespace), ...rendered.slice(at)];
}
