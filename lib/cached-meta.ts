import type { ObjectMeta } from './kube-object.js';

/** What of an object's metadata a cache keeps besides its keys. */
export interface CachedMetaOptions {
  /** Keep the labels (selectors are matched against the cached object). @default false */
  readonly labels?: boolean;
  /** The annotations its readers use; all others go. @default none */
  readonly annotations?: readonly string[];
  /** Keep the owner references (whose object it is) and the creation time. @default false */
  readonly ownership?: boolean;
}

/**
 * The metadata an informer cache keeps of an object: the informer's keys and change test (name, namespace, uid,
 * resourceVersion), a pending deletion, and what `options` names. Managed fields, owner references and unread
 * annotations are most of a real object's metadata; at 5,000 nodes they would be most of a process's heap.
 */
export function cachedMeta(m: ObjectMeta | undefined, options: CachedMetaOptions = {}): ObjectMeta {
  const kept: Record<string, string> = {};
  for (const key of options.annotations ?? []) {
    const value = m?.annotations?.[key];
    if (value !== undefined) kept[key] = value;
  }
  return {
    name: m?.name,
    ...(m?.namespace === undefined ? {} : { namespace: m.namespace }),
    uid: m?.uid,
    resourceVersion: m?.resourceVersion,
    ...(m?.deletionTimestamp === undefined ? {} : { deletionTimestamp: m.deletionTimestamp }),
    ...(options.ownership === true && m?.creationTimestamp !== undefined ? { creationTimestamp: m.creationTimestamp } : {}),
    ...(options.ownership === true && m?.ownerReferences !== undefined ? { ownerReferences: m.ownerReferences } : {}),
    ...(options.labels === true && m?.labels ? { labels: m.labels } : {}),
    ...(Object.keys(kept).length > 0 ? { annotations: kept } : {}),
  };
}
