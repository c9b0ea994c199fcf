import type { KubeConfig } from '@kubernetes/client-node';
import { API_GROUP_VERSION } from '../api/group.js';
import type { OpenLocalCluster } from '../api/generated/types.js';
import { Informer } from '../lib/informer.js';
import type { KubeApi } from '../lib/kube-api.js';
import type { KubeObject } from '../lib/kube-object.js';
import type { Logger } from '../lib/log.js';
import { MANAGED_BY, names } from '../synth/names.js';

/** Every kind the operator renders, with its API version: the caches it needs for skip, prune and status. */
export const OWNED_KINDS: Readonly<Record<string, string>> = {
  Namespace: 'v1',
  ServiceAccount: 'v1',
  ConfigMap: 'v1',
  Service: 'v1',
  ClusterRole: 'rbac.authorization.k8s.io/v1',
  ClusterRoleBinding: 'rbac.authorization.k8s.io/v1',
  Role: 'rbac.authorization.k8s.io/v1',
  RoleBinding: 'rbac.authorization.k8s.io/v1',
  CSIDriver: 'storage.k8s.io/v1',
  StorageClass: 'storage.k8s.io/v1',
  VolumeSnapshotClass: 'snapshot.storage.k8s.io/v1',
  NodeLocalStorageInitConfig: API_GROUP_VERSION,
  Deployment: 'apps/v1',
  DaemonSet: 'apps/v1',
  Job: 'batch/v1',
};

export type ChangeHandler = (kind: string, obj: KubeObject) => void;

/**
 * Watch-backed caches of everything the operator reads: clusters, nodes, its own objects (by the managed-by
 * label) and the prepare-VG pods. Reconciles read only from here; the API server sees writes and watches.
 */
export class Caches {
  readonly clusters: Informer<OpenLocalCluster>;
  readonly nodes: Informer<KubeObject & { metadata: { labels?: Record<string, string> }; spec?: { unschedulable?: boolean }; status?: { nodeInfo?: { bootID?: string }; conditions?: { type: string; status: string }[] } }>;
  readonly prepareVgPods: Informer<PrepareVgPod>;
  private readonly owned = new Map<string, Informer<KubeObject>>();
  /** Kinds the API server does not serve (e.g. VolumeSnapshotClass without the snapshot CRDs). */
  readonly unserved = new Set<string>();
  private readonly kc: KubeConfig;
  private readonly api: KubeApi;
  private readonly log: Logger;

  constructor(kc: KubeConfig, api: KubeApi, log: Logger) {
    this.kc = kc;
    this.api = api;
    this.log = log;
    this.clusters = new Informer(kc, api, { apiVersion: API_GROUP_VERSION, kind: 'OpenLocalCluster' }, log);
    this.nodes = new Informer(kc, api, { apiVersion: 'v1', kind: 'Node' }, log);
    this.prepareVgPods = new Informer(kc, api, { apiVersion: 'v1', kind: 'Pod', labelSelector: `app.kubernetes.io/component=${names.prepareVg}` }, log);
  }

  /** Starts every cache; `onChange` is called only after all have synced (then once per change). */
  async start(onChange: ChangeHandler): Promise<void> {
    let synced = false;
    const notify: ChangeHandler = (kind, obj) => {
      if (synced) onChange(kind, obj);
    };
    const all: Pick<Informer<KubeObject>, 'start' | 'synced'>[] = [this.clusters, this.nodes, this.prepareVgPods];
    this.clusters.onEvent((_e, obj) => { notify('OpenLocalCluster', obj); });
    this.nodes.onEvent((_e, obj) => { notify('Node', obj); });
    this.prepareVgPods.onEvent((_e, obj) => { notify('Pod', obj); });
    for (const [kind, apiVersion] of Object.entries(OWNED_KINDS)) {
      try {
        await this.api.collectionPath(apiVersion, kind, 'default');
      } catch (err) {
        this.unserved.add(kind);
        this.log.warn({ kind, err }, 'kind not served by the API server; objects of this kind cannot be applied');
        continue;
      }
      const informer = new Informer<KubeObject>(this.kc, this.api, { apiVersion, kind, labelSelector: `app.kubernetes.io/managed-by=${MANAGED_BY}` }, this.log);
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
    return this.clusters.hasSynced && this.nodes.hasSynced && [...this.owned.values()].every((i) => i.hasSynced);
  }

  ownedCache(kind: string): Informer<KubeObject> | undefined {
    return this.owned.get(kind);
  }

  ownedKinds(): string[] {
    return [...this.owned.keys()];
  }

  async stop(): Promise<void> {
    await Promise.all([this.clusters, this.nodes, this.prepareVgPods, ...this.owned.values()].map((i) => i.stop()));
  }
}

export interface PodStatus {
  phase?: string;
  conditions?: { type: string; status: string; message?: string }[];
  containerStatuses?: { name: string; state?: { waiting?: { reason?: string }; terminated?: { exitCode?: number; message?: string; reason?: string } } }[];
}

/** A prepare-vg pod as the operator reads it: the node it runs on and how far it is. */
export type PrepareVgPod = KubeObject & { spec?: { nodeName?: string }; status?: PodStatus };
