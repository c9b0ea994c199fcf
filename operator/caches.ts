import { API_GROUP_VERSION } from '../api/group.js';
import type { OpenLocalCluster } from '../api/generated/types.js';
import { Informer } from '../lib/informer.js';
import type { KubeApi } from '../lib/kube-api.js';
import type { KubeObject } from '../lib/kube-object.js';
import type { Logger } from '../lib/log.js';
import { MANAGED_BY, names } from '../synth/names.js';
import { nodeOfPersistentVolume, type VolumeObject } from './nodes/volume-guard.js';
import { trimJob, trimNode, trimPersistentVolume, trimPrepareVgPod, type CachedNode } from './cache-trim.js';

/**
 * Every kind the operator renders, with its API version: the caches it needs for skip, prune and status.
 * No ClusterRole or Role: the install ships those and the operator only binds them (synth/rbac-rules.ts).
 */
export const OWNED_KINDS: Readonly<Record<string, string>> = {
  Namespace: 'v1',
  ServiceAccount: 'v1',
  ConfigMap: 'v1',
  Service: 'v1',
  ClusterRoleBinding: 'rbac.authorization.k8s.io/v1',
  RoleBinding: 'rbac.authorization.k8s.io/v1',
  CSIDriver: 'storage.k8s.io/v1',
  ValidatingAdmissionPolicy: 'admissionregistration.k8s.io/v1',
  ValidatingAdmissionPolicyBinding: 'admissionregistration.k8s.io/v1',
  StorageClass: 'storage.k8s.io/v1',
  VolumeSnapshotClass: 'snapshot.storage.k8s.io/v1',
  NodeLocalStorageInitConfig: API_GROUP_VERSION,
  Deployment: 'apps/v1',
  DaemonSet: 'apps/v1',
  Job: 'batch/v1',
};

/**
 * Owned kinds cached trimmed. Only Jobs: there is one per node and the node pass creates them; the applier compares
 * every other owned kind with its rendering, so those are kept whole.
 */
const OWNED_TRIMS: Readonly<Record<string, ((o: KubeObject) => KubeObject) | undefined>> = { Job: trimJob };

export type ChangeHandler = (kind: string, obj: KubeObject) => void;

/**
 * Watch-backed caches of everything the operator reads: clusters, nodes, its own objects (by the managed-by
 * label) and the prepare-VG pods. Reconciles read only from here; the API server sees writes and watches.
 */
export class Caches {
  readonly clusters: Informer<OpenLocalCluster>;
  readonly nodes: Informer<CachedNode>;
  readonly prepareVgPods: Informer<PrepareVgPod>;
  /** Every PersistentVolume (a field selector cannot select by CSI driver); only open-local's raise events. */
  readonly persistentVolumes: Informer<VolumeObject>;
  /** LocalVolumes; undefined when the API server does not serve the kind. */
  localVolumes: Informer<VolumeObject> | undefined;
  /** Per-name watches of same-name objects open-local did not create (not in the owned caches), by objectKey. */
  private readonly foreign = new Map<string, Informer<KubeObject>>();
  private notify: ChangeHandler = () => undefined;
  private readonly owned = new Map<string, Informer<KubeObject>>();
  /** Kinds the API server does not serve (e.g. VolumeSnapshotClass without the snapshot CRDs). */
  readonly unserved = new Set<string>();
  private readonly api: KubeApi;
  private readonly log: Logger;

  constructor(api: KubeApi, log: Logger) {
    this.api = api;
    this.log = log;
    this.clusters = new Informer(api, { apiVersion: API_GROUP_VERSION, kind: 'OpenLocalCluster' }, log);
    this.nodes = new Informer(api, { apiVersion: 'v1', kind: 'Node', transform: trimNode }, log);
    this.prepareVgPods = new Informer(api, { apiVersion: 'v1', kind: 'Pod', labelSelector: `app.kubernetes.io/component=${names.prepareVg}`, transform: trimPrepareVgPod }, log);
    this.persistentVolumes = new Informer(api, { apiVersion: 'v1', kind: 'PersistentVolume', transform: trimPersistentVolume }, log);
  }

  /**
   * Starts every cache; `onChange` is called only after all have stored their first LIST, then once per change.
   * The LISTs' own add events come before that and are dropped: the first reconcile of every cluster covers them.
   */
  async start(onChange: ChangeHandler): Promise<void> {
    let synced = false;
    const notify: ChangeHandler = (kind, obj) => {
      if (synced) onChange(kind, obj);
    };
    this.notify = notify;
    const all: Pick<Informer<KubeObject>, 'start' | 'synced'>[] = [this.clusters, this.nodes, this.prepareVgPods, this.persistentVolumes];
    this.clusters.onEvent((_e, obj) => { notify('OpenLocalCluster', obj); });
    this.nodes.onEvent((_e, obj) => { notify('Node', obj); });
    this.prepareVgPods.onEvent((_e, obj) => { notify('Pod', obj); });
    this.persistentVolumes.onEvent((_e, obj) => {
      if (nodeOfPersistentVolume(obj) !== undefined) notify('PersistentVolume', obj);
    });
    try {
      await this.api.collectionPath(API_GROUP_VERSION, 'LocalVolume');
      this.localVolumes = new Informer<VolumeObject>(this.api, { apiVersion: API_GROUP_VERSION, kind: 'LocalVolume' }, this.log);
      this.localVolumes.onEvent((_e, obj) => { notify('LocalVolume', obj); });
      all.push(this.localVolumes);
    } catch (err) {
      this.log.warn({ err }, 'LocalVolume not served by the API server; only PersistentVolumes hold nodes and deletion');
    }
    for (const [kind, apiVersion] of Object.entries(OWNED_KINDS)) {
      try {
        await this.api.collectionPath(apiVersion, kind, 'default');
      } catch (err) {
        this.unserved.add(kind);
        this.log.warn({ kind, err }, 'kind not served by the API server; objects of this kind cannot be applied');
        continue;
      }
      const transform = OWNED_TRIMS[kind];
      const informer = new Informer<KubeObject>(this.api, { apiVersion, kind, labelSelector: `app.kubernetes.io/managed-by=${MANAGED_BY}`, ...(transform ? { transform } : {}) }, this.log);
      this.owned.set(kind, informer);
      informer.onEvent((_e, obj) => { notify(kind, obj); });
      all.push(informer);
    }
    await Promise.all(all.map((i) => i.start()));
    await Promise.all(all.map((i) => i.synced));
    synced = true;
    for (const c of this.clusters.list()) onChange('OpenLocalCluster', c);
  }

  get synced(): boolean {
    return this.clusters.hasSynced && this.nodes.hasSynced && this.prepareVgPods.hasSynced && this.persistentVolumes.hasSynced && (this.localVolumes?.hasSynced ?? true) && [...this.owned.values()].every((i) => i.hasSynced);
  }

  /**
   * A rendered object that is not in the owned caches (it lacks the managed-by label): undefined when absent.
   * The first time one is found, a watch on its name starts, so its hand-over (label) or deletion triggers a
   * reconcile and later reconciles read it without a request.
   */
  async foreignObject(obj: KubeObject): Promise<KubeObject | undefined> {
    const name = obj.metadata?.name ?? '';
    const namespace = obj.metadata?.namespace;
    const key = `${obj.apiVersion ?? ''}/${obj.kind ?? ''}/${namespace ?? ''}/${name}`;
    const watching = this.foreign.get(key);
    if (watching?.hasSynced) return watching.get(name, namespace);
    const live = await this.api.get(obj.apiVersion ?? '', obj.kind ?? '', name, namespace);
    if (!live || live.metadata?.labels?.['app.kubernetes.io/managed-by'] === MANAGED_BY || watching) return live;
    const informer = new Informer<KubeObject>(this.api, { apiVersion: obj.apiVersion ?? '', kind: obj.kind ?? '', namespace, fieldSelector: `metadata.name=${name}` }, this.log);
    informer.onEvent((_e, o) => { this.notify(obj.kind ?? '', o); });
    this.foreign.set(key, informer);
    await informer.start();
    return live;
  }

  ownedCache(kind: string): Informer<KubeObject> | undefined {
    return this.owned.get(kind);
  }

  ownedKinds(): string[] {
    return [...this.owned.keys()];
  }

  async stop(): Promise<void> {
    const all = [this.clusters, this.nodes, this.prepareVgPods, this.persistentVolumes, ...(this.localVolumes ? [this.localVolumes] : []), ...this.owned.values(), ...this.foreign.values()];
    await Promise.all(all.map((i) => i.stop()));
  }
}

export interface PodStatus {
  phase?: string;
  conditions?: { type: string; status: string; message?: string }[];
  containerStatuses?: { name: string; state?: { waiting?: { reason?: string }; terminated?: { exitCode?: number; message?: string; reason?: string } } }[];
}

/** A prepare-vg pod as the operator reads it: the node it runs on and how far it is. */
export type PrepareVgPod = KubeObject & { spec?: { nodeName?: string }; status?: PodStatus };
