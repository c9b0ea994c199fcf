import { ListWatch, Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { KubeApiError, type KubeApi, type KubeObject } from './kube-api.js';
import type { Logger } from './log.js';

export interface InformerOptions {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Backoff before restarting a failed watch. @default 1 s doubling to 30 s */
  readonly backoff?: (attempt: number) => number;
}

export type InformerEvent = 'add' | 'update' | 'delete';

/**
 * A watch-backed cache of one kind that survives API-server restarts. client-node 1.4's ListWatch stops for good
 * on any error other than 410 Gone; this wrapper restarts it with backoff. Watches end every 5 minutes on the
 * server side (timeoutSeconds), which bounds a silent half-open connection.
 */
export class Informer<T extends KubeObject> {
  private lw: ListWatch<KubernetesObject> | undefined;
  private readonly handlers: ((event: InformerEvent, obj: T) => void)[] = [];
  private stopped = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private syncedResolve!: () => void;
  /** Resolves after the first successful list. */
  readonly synced: Promise<void> = new Promise((resolve) => (this.syncedResolve = resolve));
  private isSynced = false;

  private readonly kc: KubeConfig;
  private readonly api: KubeApi;
  private readonly options: InformerOptions;
  private readonly log: Logger;

  constructor(kc: KubeConfig, api: KubeApi, options: InformerOptions, log: Logger) {
    this.kc = kc;
    this.api = api;
    this.options = options;
    this.log = log;
  }

  onEvent(handler: (event: InformerEvent, obj: T) => void): void {
    this.handlers.push(handler);
  }

  get hasSynced(): boolean {
    return this.isSynced;
  }

  // client-node types metadata timestamps as Date; the objects are the API server's plain JSON (strings).
  list(namespace?: string): readonly T[] {
    return (this.lw?.list(namespace) ?? []) as unknown as readonly T[];
  }

  get(name: string, namespace?: string): T | undefined {
    return this.lw?.get(name, namespace) as unknown as T | undefined;
  }

  async start(): Promise<void> {
    const { apiVersion, kind, namespace, labelSelector, fieldSelector } = this.options;
    const collection = await this.api.collectionPath(apiVersion, kind, namespace);
    const listFn = async (): Promise<KubernetesListObject<KubernetesObject>> => {
      const list = await this.api.list(apiVersion, kind, { namespace, labelSelector, fieldSelector });
      const items = list.items as unknown as KubernetesObject[];
      return { apiVersion, kind: `${kind}List`, metadata: { resourceVersion: list.metadata.resourceVersion }, items };
    };
    const lw = new ListWatch<KubernetesObject>(`${collection}?timeoutSeconds=300&allowWatchBookmarks=true`, new Watch(this.kc), listFn, false, labelSelector, fieldSelector);
    for (const event of ['add', 'update', 'delete'] as const) {
      lw.on(event, (obj) => {
        this.attempt = 0;
        for (const h of this.handlers) h(event, obj as unknown as T);
      });
    }
    lw.on('connect', () => {
      this.attempt = 0;
      if (!this.isSynced) {
        this.isSynced = true;
        this.syncedResolve();
      }
    });
    lw.on('error', (err: unknown) => {
      if (this.stopped) return;
      const delay = (this.options.backoff ?? defaultBackoff)(this.attempt++);
      // A CRD that was just established answers 429 for a moment: expected, not worth a warning.
      const transient = err instanceof KubeApiError && err.status === 429;
      this.log[transient ? 'debug' : 'warn']({ err, kind, delayMs: delay }, 'watch failed; restarting');
      this.timer = setTimeout(() => {
        lw.start().catch(() => undefined);
      }, delay);
    });
    this.lw = lw;
    await lw.start().catch((err: unknown) => {
      this.log.warn({ err, kind }, 'initial list failed; retrying');
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.lw?.stop();
  }
}

export const defaultBackoff = (attempt: number): number => Math.min(30_000, 1000 * 2 ** attempt);
