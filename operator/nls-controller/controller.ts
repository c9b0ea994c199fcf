import { API_GROUP_VERSION } from '../../api/group.js';
import type { NodeLocalStorage, NodeLocalStorageInitConfig } from '../../api/generated/types.js';
import { Informer } from '../../lib/informer.js';
import type { KubeApi } from '../../lib/kube-api.js';
import type { KubeObject } from '../../lib/kube-object.js';
import type { Logger } from '../../lib/log.js';
import { WorkQueue } from '../../lib/work-queue.js';
import { decideNls } from './desired.js';

export const NLS_FIELD_MANAGER = 'open-local-controller';

export interface NlsControllerOptions {
  /** Name of the NodeLocalStorageInitConfig to follow. */
  readonly initConfig: string;
  /** Revert NodeLocalStorage spec edits to what the init config says (Open-Local's UpdateNLS). */
  readonly updateNls: boolean;
}

type Node = KubeObject & { metadata: { name: string; labels?: Record<string, string> } };

/**
 * Open-Local's NLS controller: one NodeLocalStorage per node, its spec from the init config. Event-driven
 * (nodes, NodeLocalStorages, the init config); each node is reconciled on its own key.
 */
export class NlsController {
  readonly queue: WorkQueue;
  readonly nodes: Informer<Node>;
  readonly nlss: Informer<NodeLocalStorage>;
  readonly nlscs: Informer<NodeLocalStorageInitConfig>;
  private readonly api: KubeApi;
  private readonly options: NlsControllerOptions;
  private readonly log: Logger;

  constructor(api: KubeApi, options: NlsControllerOptions, log: Logger) {
    this.api = api;
    this.options = options;
    this.log = log;
    this.nodes = new Informer<Node>(api, { apiVersion: 'v1', kind: 'Node', transform: (n) => ({ apiVersion: n.apiVersion, kind: n.kind, metadata: { name: n.metadata.name, uid: n.metadata.uid, resourceVersion: n.metadata.resourceVersion, labels: n.metadata.labels, deletionTimestamp: n.metadata.deletionTimestamp } }) }, log);
    this.nlss = new Informer(api, { apiVersion: API_GROUP_VERSION, kind: 'NodeLocalStorage' }, log);
    this.nlscs = new Informer(api, { apiVersion: API_GROUP_VERSION, kind: 'NodeLocalStorageInitConfig', fieldSelector: `metadata.name=${options.initConfig}` }, log);
    this.queue = new WorkQueue((node) => this.reconcile(node), log);
  }

  /**
   * Starts the caches and reconciles only once all three hold their first LIST, so no node is judged on half a
   * view (an empty Node cache would delete every NodeLocalStorage). Changes before that need no handler: every
   * node and NodeLocalStorage then in the caches is queued once.
   */
  async start(): Promise<void> {
    await Promise.all([this.nodes.start(), this.nlss.start(), this.nlscs.start()]);
    await Promise.all([this.nodes.synced, this.nlss.synced, this.nlscs.synced]);
    this.nodes.onEvent((_e, n) => { this.queue.add(n.metadata.name); });
    this.nlss.onEvent((_e, n) => { this.queue.add(n.metadata?.name ?? ''); });
    this.nlscs.onEvent(() => {
      for (const n of this.nodes.list()) this.queue.add(n.metadata.name);
    });
    for (const name of new Set([...this.nodes.list().map((n) => n.metadata.name), ...this.nlss.list().map((n) => n.metadata?.name ?? '')])) this.queue.add(name);
  }

  get synced(): boolean {
    return this.nodes.hasSynced && this.nlss.hasSynced && this.nlscs.hasSynced;
  }

  async stop(): Promise<void> {
    this.queue.stop();
    await Promise.all([this.nodes.stop(), this.nlss.stop(), this.nlscs.stop()]);
  }

  async reconcile(nodeName: string): Promise<void> {
    const node = this.nodes.get(nodeName);
    const action = decideNls(
      node && !node.metadata.deletionTimestamp ? { name: nodeName, labels: node.metadata.labels ?? {} } : undefined,
      nodeName,
      this.nlss.get(nodeName),
      this.nlscs.get(this.options.initConfig),
      this.options.updateNls,
    );
    if (!action) return;
    const meta = { name: nodeName };
    if (action.type === 'delete') {
      await this.api.delete({ apiVersion: API_GROUP_VERSION, kind: 'NodeLocalStorage', metadata: meta });
    } else if (action.type === 'create') {
      await this.api.createIfAbsent({ apiVersion: API_GROUP_VERSION, kind: 'NodeLocalStorage', metadata: meta, spec: action.spec });
    } else {
      // Replace the spec whole (fields someone else added go too, as with Open-Local's Update); the
      // resourceVersion test makes a concurrent change fail with a conflict and retry, never get lost.
      const path = await this.api.objectPath({ apiVersion: API_GROUP_VERSION, kind: 'NodeLocalStorage', metadata: meta });
      await this.api.request('PATCH', path, {
        contentType: 'application/json-patch+json',
        body: [
          { op: 'test', path: '/metadata/resourceVersion', value: this.nlss.get(nodeName)?.metadata?.resourceVersion },
          { op: 'replace', path: '/spec', value: action.spec },
        ],
        query: { fieldManager: NLS_FIELD_MANAGER },
      });
    }
    this.log.info({ node: nodeName, action: action.type }, 'NodeLocalStorage reconciled');
  }
}
