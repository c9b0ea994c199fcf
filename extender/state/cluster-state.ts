import type { LocalVolume, NodeLocalStorage } from '../../api/generated/types.js';
import { VOLUME_NAME_PREFIX } from '../../csi-driver/volume-context.js';
import { usedPerVg, type StorageView } from '../allocator/allocate.js';
import { claimOfPvc, type ClaimSources } from '../allocator/claims.js';
import type { PersistentVolume, PersistentVolumeClaim, Pod, StorageClass, VolumeSnapshot } from '../allocator/kube-types.js';
import { nodeStorageFromNls } from '../allocator/node-storage.js';
import type { Claim, NodeStorage, NodeUsage } from '../allocator/types.js';
import { inlineUsesOfPod, useOfLocalVolume, useOfPv } from '../allocator/volume-use.js';
import { PromisedIndex } from './promised-index.js';
import { UsageIndex } from './usage-index.js';

export type StateEvent = 'add' | 'update' | 'delete';

/**
 * external-provisioner names a PV `<prefix>-<PVC UID>` (synth runs it with --volume-name-prefix=local, Open-Local's
 * `local-<uid>`), and CreateVolume names the LocalVolume after it: how a promised PVC's volume is recognised once
 * it exists.
 */
export const volumeNameOf = (pvc: PersistentVolumeClaim): string => `${VOLUME_NAME_PREFIX}-${pvc.metadata?.uid ?? ''}`;

/**
 * What filter and prioritize read of one node, found with one lookup: its storage, its usage without promised
 * claims, and the bytes used per volume group lined up with `storage.vgs`. At 5,000 nodes a request's cost was
 * mostly hash lookups (the node's storage, usage and promises, then each VG's bytes by name); a view is built once
 * and kept until an event changes the node.
 */
export interface NodeView {
  readonly storage: NodeStorage | undefined;
  readonly usage: NodeUsage;
  /** Bytes used per VG, same index as `storage.vgs`. */
  readonly vgUsed: readonly number[];
  /** PVCs are promised to the node: `usage(node)` has them, `usage` here does not. */
  readonly promised: boolean;
  /** Set once an event changed the node: a caller holding the view must ask for a new one. */
  stale: boolean;
}

const key = (obj: { metadata?: { namespace?: string; name?: string } }): string => `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
const NO_CLAIMS: readonly Claim[] = [];

/**
 * The extender's whole view of the cluster, fed only by informer events (`on*`) and indexed as they arrive, so a
 * request costs O(nodes asked), never O(objects). Holds no I/O: the informers live in `informers.ts`.
 */
export class ClusterState implements StorageView, ClaimSources {
  private readonly storages = new Map<string, NodeStorage>();
  private readonly pvcs = new Map<string, PersistentVolumeClaim>();
  private readonly pvs = new Map<string, PersistentVolume>();
  private readonly classes = new Map<string, StorageClass>();
  private readonly snapshots = new Map<string, VolumeSnapshot>();
  private readonly podsWithInline = new Set<string>();
  readonly usageIndex = new UsageIndex((node) => { this.dropView(node); });
  private readonly promised = new PromisedIndex((node) => { this.dropView(node); });
  /** Built on demand by `view`, dropped by any event that changes the node. Only nodes with storage have one. */
  private readonly views = new Map<string, NodeView>();
  /** Bumped by every change: answers computed at one generation stay valid while it holds. */
  generation = 0;

  onNodeLocalStorage(event: StateEvent, nls: NodeLocalStorage): void {
    const name = nls.metadata?.name ?? '';
    const storage = event === 'delete' ? undefined : nodeStorageFromNls(nls);
    if (storage) this.storages.set(name, storage);
    else this.storages.delete(name);
    this.dropView(name);
    this.generation++;
  }

  onPersistentVolume(event: StateEvent, pv: PersistentVolume): void {
    const name = pv.metadata?.name ?? '';
    if (event === 'delete') this.pvs.delete(name);
    else this.pvs.set(name, pv);
    this.usageIndex.setPv(name, event === 'delete' ? undefined : useOfPv(pv));
    this.generation++;
  }

  onLocalVolume(event: StateEvent, lv: LocalVolume): void {
    this.usageIndex.setLocalVolume(lv.metadata?.name ?? '', event === 'delete' ? undefined : useOfLocalVolume(lv));
    this.generation++;
  }

  onPersistentVolumeClaim(event: StateEvent, pvc: PersistentVolumeClaim): void {
    if (event === 'delete') this.pvcs.delete(key(pvc));
    else this.pvcs.set(key(pvc), pvc);
    this.promised.set(pvc, event === 'delete');
    this.generation++;
  }

  onPod(event: StateEvent, pod: Pod): void {
    const podKey = key(pod);
    const uses = event === 'delete' ? [] : inlineUsesOfPod(pod);
    // Most pods have no inline open-local volume: skip them without touching the index.
    if (uses.length === 0 && !this.podsWithInline.has(podKey)) return;
    if (uses.length === 0) this.podsWithInline.delete(podKey);
    else this.podsWithInline.add(podKey);
    this.usageIndex.setInline(podKey, uses);
    this.generation++;
  }

  onStorageClass(event: StateEvent, sc: StorageClass): void {
    const name = sc.metadata?.name ?? '';
    if (event === 'delete') this.classes.delete(name);
    else this.classes.set(name, sc);
    this.generation++;
  }

  onVolumeSnapshot(event: StateEvent, snapshot: VolumeSnapshot): void {
    if (event === 'delete') this.snapshots.delete(key(snapshot));
    else this.snapshots.set(key(snapshot), snapshot);
    this.generation++;
  }

  storage(node: string): NodeStorage | undefined {
    return this.storages.get(node);
  }

  /** A node's storage and usage in one lookup (see NodeView). */
  view(node: string): NodeView {
    const known = this.views.get(node);
    if (known) return known;
    const storage = this.storages.get(node);
    const usage = this.usageIndex.usage(node);
    // A name no NodeLocalStorage has (requests may carry any) is not remembered, so the map stays bounded by the
    // fleet, and its view is stale from the start: nothing would tell a holder when the node gets storage.
    const view: NodeView = { storage, usage, vgUsed: storage ? usedPerVg(storage, usage) : [], promised: this.promised.on(node) !== undefined, stale: !storage };
    if (storage) this.views.set(node, view);
    return view;
  }

  private dropView(node: string): void {
    const view = this.views.get(node);
    if (!view) return;
    view.stale = true;
    this.views.delete(node);
  }

  /** Node names with open-local storage. */
  nodes(): IterableIterator<string> {
    return this.storages.keys();
  }

  usage(node: string): NodeUsage {
    const base = this.usageIndex.usage(node);
    const promised = this.promisedClaims(node);
    return promised.length === 0 ? base : { ...base, promised };
  }

  pvc(namespace: string, name: string): PersistentVolumeClaim | undefined {
    return this.pvcs.get(`${namespace}/${name}`);
  }

  pv(name: string): PersistentVolume | undefined {
    return this.pvs.get(name);
  }

  persistentVolumes(): IterableIterator<PersistentVolume> {
    return this.pvs.values();
  }

  storageClass(name: string): StorageClass | undefined {
    return this.classes.get(name);
  }

  volumeSnapshot(namespace: string, name: string): VolumeSnapshot | undefined {
    return this.snapshots.get(`${namespace}/${name}`);
  }

  /** Claims sent to this node whose volume does not exist yet. A PVC that cannot be resolved promises nothing. */
  private promisedClaims(node: string): readonly Claim[] {
    const keys = this.promised.on(node);
    if (!keys) return NO_CLAIMS;
    const claims: Claim[] = [];
    for (const k of keys) {
      const pvc = this.pvcs.get(k);
      if (!pvc || this.usageIndex.hasVolume(volumeNameOf(pvc))) continue;
      const result = claimOfPvc(pvc, this);
      if ('claim' in result && result.claim) claims.push(result.claim);
    }
    return claims;
  }
}
