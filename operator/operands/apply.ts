import type { Caches } from '../caches.js';
import { KubeApiError, type KubeApi } from '../../lib/kube-api.js';
import type { KubeObject } from '../../lib/kube-object.js';
import type { Logger } from '../../lib/log.js';
import { APPLIED_HASH_ANNOTATION, CREATE_ONLY_KINDS, FIELD_MANAGER, objectKey } from './desired.js';
import { adoptionMessage, asAdopted, ownershipOf } from './ownership.js';

/** After this long an apply the cache never showed is sent again at the next reconcile. */
const IN_FLIGHT_TTL_MS = 60_000;

export interface ApplyOutcome {
  readonly applied: string[];
  readonly errors: string[];
  /** Same-name objects open-local did not create, left untouched until handed over: the condition's message. */
  readonly adoptionRequired: string[];
  /** Applies the API server refused as invalid (immutable fields): not retried until something changes. */
  readonly invalid: string[];
  /** A request failed for a reason that may pass (403 until a new RoleBinding reaches the authorizer, 5xx). */
  retry: boolean;
}

/** An apply refused as invalid, remembered with what it was judged on. */
interface Refusal {
  readonly desiredHash: string;
  readonly liveVersion: string;
  readonly message: string;
}

/**
 * Server-side applies each desired object whose live copy (from the caches) lacks the same content hash;
 * objects already as desired cost nothing. Create-only kinds (Namespace) are created when missing and
 * never changed. Every failure is collected as "Kind/name: reason"; the rest still applies.
 *
 * `force` only ever takes over fields of objects open-local owns: a same-name object someone else created is
 * never applied (it is reported for the user to hand over), and an apply the API server refuses as invalid
 * (an immutable StorageClass parameter) is remembered and retried only once the desired or live object changes.
 */
export class OperandApplier {
  private readonly refusals = new Map<string, Refusal>();
  /**
   * The content hash we last applied to each object, with the resourceVersion the cache showed before: until the
   * cache shows any newer version (our write's echo, or someone else's change), a reconcile that runs in between
   * (another watch event, a requeue) sees the object from before and must not apply the same content again.
   */
  private readonly inFlight = new Map<string, { readonly hash: string; readonly liveBefore: string | undefined; readonly at: number }>();
  private readonly api: KubeApi;
  private readonly caches: Caches;

  constructor(api: KubeApi, caches: Caches) {
    this.api = api;
    this.caches = caches;
  }

  async apply(desired: readonly KubeObject[], log: Logger): Promise<ApplyOutcome> {
    const out: ApplyOutcome = { applied: [], errors: [], adoptionRequired: [], invalid: [], retry: false };
    for (const obj of desired) {
      const kind = obj.kind ?? '';
      const name = obj.metadata?.name ?? '';
      const namespace = obj.metadata?.namespace;
      const id = `${kind}/${namespace ? `${namespace}/` : ''}${name}`;
      if (this.caches.unserved.has(kind)) {
        out.errors.push(`${id}: the cluster does not serve ${kind} (${obj.apiVersion ?? ''})${kind === 'VolumeSnapshotClass' ? '; install the snapshot CRDs or set spec.csi.snapshots.enabled=false' : ''}`);
        continue;
      }
      try {
        if (CREATE_ONLY_KINDS.has(kind)) {
          if (!this.caches.ownedCache(kind)?.get(name, namespace) && (await this.api.get(obj.apiVersion ?? '', kind, name)) === undefined) {
            await this.api.createIfAbsent(obj);
            out.applied.push(id);
          }
          continue;
        }
        // The owned caches select by the managed-by label: an object someone else created is only in a
        // per-name watch (started the first time it is found), so steady state needs neither GETs nor polling.
        const live = this.caches.ownedCache(kind)?.get(name, namespace) ?? (await this.caches.foreignObject(obj));
        const ownership = live ? ownershipOf(live) : 'open-local';
        if (live && ownership === 'foreign') {
          out.adoptionRequired.push(adoptionMessage(id, live));
          continue;
        }
        const hash = obj.metadata?.annotations?.[APPLIED_HASH_ANNOTATION] ?? '';
        const key = objectKey(obj);
        const sent = this.inFlight.get(key);
        if (sent && (sent.liveBefore !== live?.metadata?.resourceVersion || performance.now() - sent.at > IN_FLIGHT_TTL_MS)) this.inFlight.delete(key);
        if (live?.metadata?.annotations?.[APPLIED_HASH_ANNOTATION] === hash || this.inFlight.get(key)?.hash === hash) continue;
        const refusal = this.refusals.get(key);
        if (refusal && refusal.desiredHash === hash && refusal.liveVersion === (live?.metadata?.resourceVersion ?? '')) {
          out.invalid.push(refusal.message);
          continue;
        }
        this.refusals.delete(key);
        try {
          await this.api.apply(ownership === 'handedOver' ? asAdopted(obj) : obj, FIELD_MANAGER, { force: true });
          this.inFlight.set(key, { hash, liveBefore: live?.metadata?.resourceVersion, at: performance.now() });
        } catch (err) {
          if (!(err instanceof KubeApiError && err.status === 422)) throw err;
          const message = `${id}: the API server refuses the change (${err.message.replace(/^\S+ \S+: /, '')}); delete the object to let open-local re-create it, or revert the spec change`;
          this.refusals.set(key, { desiredHash: hash, liveVersion: live?.metadata?.resourceVersion ?? '', message });
          out.invalid.push(message);
          log.warn({ object: id, err }, 'apply refused as invalid; not retried until the desired or live object changes');
          continue;
        }
        out.applied.push(id);
      } catch (err) {
        const reason = err instanceof KubeApiError ? `${err.reason}: ${err.message}` : err instanceof Error ? err.message : String(err);
        out.errors.push(`${id}: ${reason}`);
        out.retry = true;
        log.warn({ object: id, err }, 'apply failed');
      }
    }
    if (out.applied.length > 0) log.info({ count: out.applied.length, objects: out.applied }, 'applied');
    return out;
  }
}

/**
 * Deletes what this cluster applied before but the current render no longer has (by owner UID, so another
 * cluster's objects, adopted ones (no owner reference) or ones the user created are never touched). Jobs are the
 * node logic's; namespaces stay.
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
