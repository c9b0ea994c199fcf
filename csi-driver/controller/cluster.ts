/**
 * The controller's view of the cluster and its only writes: the extender's informer-fed state (nodes' storage,
 * PVs, PVCs, StorageClasses, pods' inline volumes, LocalVolumes) for placement, the LocalVolumes whole for answers,
 * and LocalVolume create / resize / delete through the API server.
 */
import type { LocalVolume } from '../../api/generated/types.js';
import type { PersistentVolume, PersistentVolumeClaim } from '../../extender/allocator/kube-types.js';
import type { NodeStorage, NodeUsage } from '../../extender/allocator/types.js';
import { StateFeed } from '../../extender/informers.js';
import { ClusterState } from '../../extender/state/cluster-state.js';
import { isNotFound, type KubeApi } from '../../lib/kube-api.js';
import type { Logger } from '../../lib/log.js';
import type { ClusterView } from './placement.js';
import { LocalVolumeWaiters, type Decide } from './waiters.js';

export class ControllerCluster implements ClusterView {
  private readonly state = new ClusterState();
  private readonly feed: StateFeed;
  private readonly waiters = new LocalVolumeWaiters();
  private readonly api: KubeApi;
  private markSynced: () => void = () => undefined;
  /** Resolves once every cache has listed. */
  readonly synced = new Promise<void>((resolve) => { this.markSynced = resolve; });

  constructor(api: KubeApi, log: Logger) {
    this.api = api;
    this.feed = new StateFeed(api, this.state, log, {
      onSynced: (_, synced) => { if (synced && this.feed.notReady() === undefined) this.markSynced(); },
      observe: { LocalVolume: (event, obj) => { this.waiters.notify(obj.metadata?.name ?? '', event === 'delete' ? undefined : (obj as LocalVolume)); } },
    });
  }

  start(): void {
    this.feed.start();
  }

  stop(): Promise<void> {
    return this.feed.stop();
  }

  /** Why the controller cannot answer from its caches yet, or undefined once every informer has listed. */
  notReady(): string | undefined {
    return this.feed.notReady();
  }

  storage(node: string): NodeStorage | undefined {
    return this.state.storage(node);
  }

  usage(node: string): NodeUsage {
    return this.state.usage(node);
  }

  nodes(): Iterable<string> {
    return this.state.nodes();
  }

  pvc(namespace: string, name: string): PersistentVolumeClaim | undefined {
    return this.state.pvc(namespace, name);
  }

  pv(name: string): PersistentVolume | undefined {
    return this.state.pv(name);
  }

  pvs(): Iterable<PersistentVolume> {
    return this.state.persistentVolumes();
  }

  localVolume(name: string): LocalVolume | undefined {
    return this.feed.object('LocalVolume', name) as LocalVolume | undefined;
  }

  localVolumes(): readonly LocalVolume[] {
    return this.feed.objects('LocalVolume') as readonly LocalVolume[];
  }

  /** Creates a LocalVolume; if one of that name appeared meanwhile, answers that one (the caller compares). */
  async create(lv: LocalVolume): Promise<LocalVolume> {
    const created = await this.api.createIfAbsent(lv);
    if (created) return created;
    const existing = await this.api.get<LocalVolume>(lv.apiVersion ?? '', 'LocalVolume', lv.metadata?.name ?? '');
    if (!existing) throw new Error(`LocalVolume ${lv.metadata?.name ?? ''} existed at create and was gone at read: retry`);
    return existing;
  }

  async resize(lv: LocalVolume, bytes: number): Promise<LocalVolume> {
    return this.api.mergePatch<LocalVolume>(lv, { spec: { size: String(bytes) } });
  }

  /** Asks for deletion (the node removes the finalizer once the LV is gone); a missing object counts as deleted. */
  async delete(lv: LocalVolume): Promise<void> {
    try {
      await this.api.delete(lv);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  wait<T>(name: string, decide: Decide<T>, timeoutMs: number, timeoutMessage: () => string): Promise<T> {
    return this.waiters.wait(name, this.localVolume(name), decide, timeoutMs, timeoutMessage);
  }

  /**
   * Resolves once the informer has delivered `name` (so the allocator's state, fed first, counts it for the next
   * placement), or after `timeoutMs`.
   */
  async seen(name: string, timeoutMs: number): Promise<void> {
    await this.waiters.wait(name, this.localVolume(name), (lv) => (lv ? true : undefined), timeoutMs, () => `LocalVolume ${name} not seen by the informer`).catch(() => undefined);
  }
}
