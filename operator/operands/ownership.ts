import type { KubeObject } from '../../lib/kube-object.js';
import { MANAGED_BY } from '../../synth/names.js';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
/**
 * Set on an object open-local took over from another installer (after the user handed it over by labelling it
 * managed-by=open-local-operator): it carries no owner reference, so neither garbage collection, prune nor
 * deletion of the OpenLocalCluster ever removes it.
 */
export const ADOPTED_ANNOTATION = 'csi.aliyun.com/adopted';

/**
 * Who an existing object of a rendered name belongs to:
 * - `open-local`: an OpenLocalCluster created it (owner reference): apply as usual;
 * - `handedOver`: someone else created it, and the user labelled it managed-by=open-local-operator to hand it
 *   over (or open-local adopted it before): apply, but never own it;
 * - `foreign`: someone else created it (e.g. a Helm install of Open-Local): never apply, never delete.
 */
export type Ownership = 'open-local' | 'handedOver' | 'foreign';

export function ownershipOf(live: KubeObject): Ownership {
  const meta = live.metadata ?? {};
  if (meta.ownerReferences?.some((r) => r.kind === 'OpenLocalCluster')) return 'open-local';
  if (meta.labels?.[MANAGED_BY_LABEL] === MANAGED_BY || meta.annotations?.[ADOPTED_ANNOTATION] === 'true') return 'handedOver';
  return 'foreign';
}

/** The desired object for one open-local adopts: no owner reference (it must outlive the cluster), marked adopted. */
export function asAdopted(desired: KubeObject): KubeObject {
  const obj = structuredClone(desired);
  const meta = obj.metadata ?? {};
  delete meta.ownerReferences;
  meta.annotations = { ...meta.annotations, [ADOPTED_ANNOTATION]: 'true' };
  obj.metadata = meta;
  return obj;
}

/** What the user reads on the condition: which object, and the two ways to resolve it. */
export function adoptionMessage(id: string, live: KubeObject): string {
  const kind = (live.kind ?? '').toLowerCase();
  const name = live.metadata?.name ?? '';
  const ns = live.metadata?.namespace ? ` -n ${live.metadata.namespace}` : '';
  const by = live.metadata?.labels?.[MANAGED_BY_LABEL];
  return (
    `${id} exists and was not created by open-local${by ? ` (managed by ${by})` : ''}; it is left as is. ` +
    `To hand it over: kubectl label --overwrite ${kind} ${name}${ns} ${MANAGED_BY_LABEL}=${MANAGED_BY} (open-local then updates it but never deletes it), or delete it`
  );
}
