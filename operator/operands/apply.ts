import type { Caches } from '../caches.js';
import { KubeApiError, type KubeApi } from '../../lib/kube-api.js';
import type { KubeObject } from '../../lib/kube-object.js';
import type { Logger } from '../../lib/log.js';
import { APPLIED_HASH_ANNOTATION, CREATE_ONLY_KINDS, FIELD_MANAGER, objectKey } from './desired.js';

export interface ApplyOutcome {
  readonly applied: string[];
  readonly errors: string[];
}

/**
 * Server-side applies each desired object whose live copy (from the caches) lacks the same content hash;
 * objects already as desired cost nothing. Create-only kinds (Namespace) are created when missing and
 * never changed. Every failure is collected as "Kind/name: reason"; the rest still applies.
 */
export async function applyDesired(api: KubeApi, caches: Caches, desired: readonly KubeObject[], log: Logger): Promise<ApplyOutcome> {
  const applied: string[] = [];
  const errors: string[] = [];
  for (const obj of desired) {
    const kind = obj.kind ?? '';
    const name = obj.metadata?.name ?? '';
    const id = `${kind}/${obj.metadata?.namespace ? `${obj.metadata.namespace}/` : ''}${name}`;
    if (caches.unserved.has(kind)) {
      errors.push(`${id}: the cluster does not serve ${kind} (${obj.apiVersion ?? ''})${kind === 'VolumeSnapshotClass' ? '; install the snapshot CRDs or set spec.csi.snapshots.enabled=false' : ''}`);
      continue;
    }
    const live = caches.ownedCache(kind)?.get(name, obj.metadata?.namespace);
    try {
      if (CREATE_ONLY_KINDS.has(kind)) {
        if (!live && (await api.get(obj.apiVersion ?? '', kind, name)) === undefined) {
          await api.createIfAbsent(obj);
          applied.push(id);
        }
        continue;
      }
      if (live?.metadata?.annotations?.[APPLIED_HASH_ANNOTATION] === obj.metadata?.annotations?.[APPLIED_HASH_ANNOTATION]) continue;
      await api.apply(obj, FIELD_MANAGER, { force: true });
      applied.push(id);
    } catch (err) {
      const reason = err instanceof KubeApiError ? `${err.reason}: ${err.message}` : err instanceof Error ? err.message : String(err);
      errors.push(`${id}: ${reason}`);
      log.warn({ object: id, err }, 'apply failed');
    }
  }
  if (applied.length > 0) log.info({ count: applied.length, objects: applied }, 'applied');
  return { applied, errors };
}

/**
 * Deletes what this cluster applied before but the current render no longer has (by owner UID, so another
 * cluster's objects or ones the user created are never touched). Jobs are the node logic's; namespaces stay.
 */
export async function pruneStale(api: KubeApi, caches: Caches, desired: readonly KubeObject[], ownerUid: string, log: Logger): Promise<string[]> {
  const keep = new Set(desired.map(objectKey));
  const errors: string[] = [];
  for (const kind of caches.ownedKinds()) {
    if (kind === 'Job' || CREATE_ONLY_KINDS.has(kind)) continue;
    for (const live of caches.ownedCache(kind)?.list() ?? []) {
      if (!live.metadata?.ownerReferences?.some((r) => r.uid === ownerUid)) continue;
      if (keep.has(objectKey(live)) || live.metadata.deletionTimestamp) continue;
      try {
        await api.delete(live);
        log.info({ kind, name: live.metadata.name, namespace: live.metadata.namespace }, 'pruned object no longer rendered');
      } catch (err) {
        errors.push(`${kind}/${live.metadata.name ?? ''}: prune failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  return errors;
}
