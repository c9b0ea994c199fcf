import { defaultBackoff, Informer } from '../lib/informer.js';
import { KubeApiError, type KubeApi, type KubeObject } from '../lib/kube-api.js';
import type { Logger } from '../lib/log.js';
import { trimForCache } from './trim.js';
import type { ClusterState, StateEvent } from './state/cluster-state.js';

interface Source {
  readonly resource: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly fieldSelector?: string;
  /** Clusters without snapshot support have no VolumeSnapshot kind: the extender runs without it. */
  readonly optional?: boolean;
  readonly feed: (state: ClusterState, event: StateEvent, obj: never) => void;
}

/** A kind the API server does not serve: discovery lacks it, or its whole group/version is missing (404). */
const isUnserved = (err: unknown): boolean => (err instanceof KubeApiError && err.status === 404) || (err instanceof Error && err.message.includes('does not serve'));

const SOURCES: readonly Source[] = [
  { resource: 'nodelocalstorages', apiVersion: 'csi.aliyun.com/v1alpha1', kind: 'NodeLocalStorage', feed: (s, e, o) => { s.onNodeLocalStorage(e, o); } },
  { resource: 'localvolumes', apiVersion: 'csi.aliyun.com/v1alpha1', kind: 'LocalVolume', feed: (s, e, o) => { s.onLocalVolume(e, o); } },
  { resource: 'persistentvolumes', apiVersion: 'v1', kind: 'PersistentVolume', feed: (s, e, o) => { s.onPersistentVolume(e, o); } },
  { resource: 'persistentvolumeclaims', apiVersion: 'v1', kind: 'PersistentVolumeClaim', feed: (s, e, o) => { s.onPersistentVolumeClaim(e, o); } },
  { resource: 'storageclasses', apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', feed: (s, e, o) => { s.onStorageClass(e, o); } },
  // Only pods placed on a node can hold inline volumes; unscheduled ones (the bulk during a rollout) are skipped.
  { resource: 'pods', apiVersion: 'v1', kind: 'Pod', fieldSelector: 'spec.nodeName!=', feed: (s, e, o) => { s.onPod(e, o); } },
  { resource: 'volumesnapshots', apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshot', optional: true, feed: (s, e, o) => { s.onVolumeSnapshot(e, o); } },
];

export interface StateFeedOptions {
  /** Told when each resource's cache has (not yet) synced (the extender's metric). */
  readonly onSynced?: (resource: string, synced: boolean) => void;
  /**
   * Kinds a caller reads whole from `objects()`, with a handler called after the state saw each event (CSI
   * CreateVolume waits on LocalVolume events). Their objects are not trimmed.
   */
  readonly observe?: Readonly<Partial<Record<string, (event: StateEvent, obj: KubeObject) => void>>>;
}

/**
 * Feeds the cluster state from one informer per resource: the input of the extender and of CSI CreateVolume, so
 * both place volumes from the same view. Ready once every informer has listed; a resource the API server does not
 * serve is left out only if it is optional.
 */
export class StateFeed {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private readonly skipped = new Set<string>();
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  private readonly api: KubeApi;
  private readonly state: ClusterState;
  private readonly log: Logger;
  private readonly options: StateFeedOptions;

  constructor(api: KubeApi, state: ClusterState, log: Logger, options: StateFeedOptions = {}) {
    this.api = api;
    this.state = state;
    this.log = log;
    this.options = options;
  }

  /** Starts every informer; returns at once (each keeps retrying until it lists). */
  start(): void {
    for (const source of SOURCES) {
      this.options.onSynced?.(source.resource, false);
      void this.startSource(source, 0);
    }
  }

  /** undefined once every cache has synced, else the resources still listing. */
  notReady(): string | undefined {
    const missing = SOURCES.filter((s) => !this.skipped.has(s.resource) && !this.informers.get(s.resource)?.hasSynced).map((s) => s.resource);
    return missing.length === 0 ? undefined : `waiting for the caches of ${missing.join(', ')}`;
  }

  /** The cached objects of an observed kind (whole, as the API server sent them). */
  objects(kind: string): readonly KubeObject[] {
    const source = SOURCES.find((s) => s.kind === kind);
    return (source && this.informers.get(source.resource)?.list()) ?? [];
  }

  /** One cached object of an observed cluster-scoped kind. */
  object(kind: string, name: string): KubeObject | undefined {
    const source = SOURCES.find((s) => s.kind === kind);
    return source && this.informers.get(source.resource)?.get(name);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }

  private retry(source: Source, attempt: number, err: unknown): void {
    const delay = defaultBackoff(attempt);
    this.log.warn({ err, resource: source.resource, delayMs: delay }, 'cannot start informer; retrying');
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.startSource(source, attempt + 1);
    }, delay);
    this.timers.add(timer);
  }

  private isStopped(): boolean {
    return this.stopped;
  }

  private async startSource(source: Source, attempt: number): Promise<void> {
    if (this.stopped) return;
    // The informer retries a failed LIST forever and never reports it, so an optional kind is looked up first: a
    // cluster without the snapshot CRDs must not keep the caches from ever being ready.
    if (source.optional) {
      try {
        await this.api.collectionPath(source.apiVersion, source.kind);
      } catch (err) {
        if (isUnserved(err)) {
          this.skipped.add(source.resource);
          this.log.warn({ resource: source.resource }, 'the API server does not serve this optional resource; snapshot restores are not pinned to their source node until restart');
          return;
        }
        this.retry(source, attempt, err);
        return;
      }
    }
    const observer = this.options.observe?.[source.kind];
    // An observed kind (CSI CreateVolume reads LocalVolumes whole) is cached as sent; the rest only as read.
    const transform = observer ? undefined : (obj: KubeObject) => trimForCache(source.kind, obj);
    const informer = new Informer<KubeObject>(this.api, { apiVersion: source.apiVersion, kind: source.kind, fieldSelector: source.fieldSelector, transform }, this.log);
    informer.onEvent((event, obj) => {
      source.feed(this.state, event, obj as never);
      observer?.(event, obj);
    });
    await informer.start();
    // stop() may have run while the informer was starting.
    if (this.isStopped()) {
      await informer.stop();
      return;
    }
    this.informers.set(source.resource, informer);
    void informer.synced.then(() => {
      this.options.onSynced?.(source.resource, true);
      this.log.info({ resource: source.resource, objects: informer.list().length }, 'cache synced');
    });
  }
}
