import { KubeApiError, type KubeApi, type KubeObject } from './kube-api.js';
import type { Logger } from './log.js';

export interface InformerOptions<T extends KubeObject = KubeObject> {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Backoff before retrying a failed list or watch. @default 1 s doubling to 30 s */
  readonly backoff?: (attempt: number) => number;
  /**
   * Reduces each object to what its readers use before it is cached (and before handlers see it): a real Node is
   * ~18 KB of JSON, most of it images and heartbeat conditions. It must keep metadata.name, namespace and
   * resourceVersion (the cache's keys and change test). @default the object as listed
   */
  readonly transform?: (obj: T) => T;
  /** Objects per LIST page: a fleet-wide LIST is never one huge response held whole. @default 500 */
  readonly pageSize?: number;
}

/**
 * Objects per LIST page. client-go's reflector takes 500, but here a page is read whole as text, parsed, then each
 * object reduced (transform): 500 kubelet-written Nodes are 8 MiB of text and several times that parsed, and V8 keeps
 * the heap it grew for them. At 1,000 kwok Nodes the operator's RSS before any work was 150 MiB with 500 a page and
 * 121 MiB with 100 (`npm run bench:operator`); 5,000 Nodes are 50 requests instead of 10.
 */
const DEFAULT_PAGE_SIZE = 100;

export type InformerEvent = 'add' | 'update' | 'delete';

/** The API server ends every watch after this long; a fresh one resumes from the last resourceVersion. */
const WATCH_TIMEOUT_SECONDS = 300;
/** A watch the server failed to end (half-open connection) is abandoned this long after its timeout. */
const WATCH_GRACE_MS = 30_000;
/** A quiet watch that lasted this long ended normally (server timeout), not by a failure worth backing off. */
const HEALTHY_WATCH_MS = 10_000;

/**
 * A watch-backed cache of one kind: LIST, store it, then WATCH from the list's resourceVersion; re-LIST after
 * 410 Gone. Synced means the first LIST is stored, never less.
 *
 * This is our own list+watch rather than client-node 1.4's ListWatch, which fires 'connect' before it lists (so
 * "synced" used to come while the cache was empty, and a failed first LIST left it empty but synced), stops for
 * good on any error but 410, and bounds no watch on the client side. Owning the loop keeps the rules in one
 * place: every LIST (the first and each re-LIST) is diffed against what the cache held and raises add/update/
 * delete, so callers need no separate resync path; bookmarks move the resourceVersion silently; any other
 * failure, a 429 or 5xx on the first LIST included, retries with backoff. The cache holds each object once (a
 * re-LIST replaces the map; the old one is released).
 */
export class Informer<T extends KubeObject> {
  private store: Store<T> = new Map();
  private resourceVersion = '';
  private readonly handlers: ((event: InformerEvent, obj: T) => void)[] = [];
  private stopped = false;
  /** Aborts a LIST in flight when stop() is called, so shutdown never waits for a slow API server. */
  private readonly stopping = new AbortController();
  private attempt = 0;
  private abortWatch: (() => void) | undefined;
  private wakeSleep: (() => void) | undefined;
  private releaseStart: (() => void) | undefined;
  private isSynced = false;
  private syncedResolve!: () => void;
  /** Resolves once the first LIST is stored in the cache (and its add events raised). */
  readonly synced: Promise<void> = new Promise((resolve) => (this.syncedResolve = resolve));

  private readonly api: KubeApi;
  private readonly options: InformerOptions<T>;
  private readonly log: Logger;

  constructor(api: KubeApi, options: InformerOptions<T>, log: Logger) {
    this.api = api;
    this.options = options;
    this.log = log;
  }

  /** Handlers see every change, including the objects of each LIST as adds (or updates/deletes on a re-LIST). */
  onEvent(handler: (event: InformerEvent, obj: T) => void): void {
    this.handlers.push(handler);
  }

  get hasSynced(): boolean {
    return this.isSynced;
  }

  list(namespace?: string): readonly T[] {
    if (namespace !== undefined) return [...(this.store.get(namespace)?.values() ?? [])];
    return [...this.store.values()].flatMap((m) => [...m.values()]);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.store.get(namespace ?? '')?.get(name);
  }

  /** Starts listing and watching; resolves after the first LIST attempt (stored, or failed and being retried). */
  async start(): Promise<void> {
    const attempted = new Promise<void>((resolve) => (this.releaseStart = resolve));
    void this.run();
    await attempted;
  }

  /**
   * Stops at once: aborts the LIST or watch in flight and raises no event after this. A request stuck before it
   * could be aborted (discovery on a hung server) ends with its own timeout, and its result is dropped.
   */
  stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    this.abortWatch?.();
    this.wakeSleep?.();
    this.releaseStart?.();
    return Promise.resolve();
  }

  private async run(): Promise<void> {
    const { apiVersion, kind, namespace } = this.options;
    while (!this.stopped) {
      try {
        if (!this.resourceVersion) {
          try {
            await this.relist();
          } finally {
            this.releaseStart?.();
          }
        }
        const path = await this.api.collectionPath(apiVersion, kind, namespace);
        const startedAt = Date.now();
        const outcome = await this.watch(path);
        if (outcome === 'gone') {
          this.log.debug({ kind }, 'watch expired (410 Gone); re-listing');
          this.resourceVersion = '';
          continue;
        }
        // A watch that delivered something or ran for a while is renewed at once; one that ended quickly with
        // nothing is retried with backoff, so a server that closes watches at once cannot drive a hot loop.
        if (outcome === 'events' || Date.now() - startedAt >= HEALTHY_WATCH_MS) this.attempt = 0;
        else await this.sleep((this.options.backoff ?? defaultBackoff)(this.attempt++));
      } catch (err) {
        if (this.stopping.signal.aborted) break;
        if (err instanceof KubeApiError && err.status === 410) {
          this.resourceVersion = '';
          continue;
        }
        const delay = (this.options.backoff ?? defaultBackoff)(this.attempt++);
        // A CRD that was just established answers 429 for a moment: expected, not worth a warning.
        const transient = err instanceof KubeApiError && err.status === 429;
        this.log[transient ? 'debug' : 'warn']({ err, kind, synced: this.isSynced, delayMs: delay }, this.resourceVersion ? 'watch failed; retrying' : 'list failed; retrying');
        await this.sleep(delay);
      }
    }
  }

  /** Replaces the cache with a fresh LIST and raises what changed against what it held. */
  private async relist(): Promise<void> {
    const { apiVersion, kind, namespace, labelSelector, fieldSelector, transform } = this.options;
    // Paged (limit/continue), each page reduced before the next is fetched. An expired continue token answers
    // 410, which run() meets with a fresh LIST.
    const items: T[] = [];
    let resourceVersion: string;
    let next: string | undefined;
    do {
      const page = await this.api.list<T>(apiVersion, kind, { namespace, labelSelector, fieldSelector, limit: this.options.pageSize ?? DEFAULT_PAGE_SIZE, continue: next, signal: this.stopping.signal });
      for (const obj of page.items) items.push(transform ? transform(obj) : obj);
      resourceVersion = page.metadata.resourceVersion;
      next = page.metadata.continue || undefined;
    } while (next !== undefined && !this.stopped);
    if (this.stopped) return;
    const { store, changes } = storeFromList(this.store, items);
    this.store = store;
    this.resourceVersion = resourceVersion;
    this.attempt = 0;
    if (!this.isSynced) {
      this.isSynced = true;
      this.syncedResolve();
    }
    for (const [event, obj] of changes) this.emit(event, obj);
  }

  /**
   * One watch from the cache's resourceVersion until it ends. Resolves 'gone' when the resourceVersion is too old
   * (re-list), 'events' when anything arrived, 'quiet' otherwise; rejects on any other failure.
   */
  private watch(path: string): Promise<'gone' | 'events' | 'quiet'> {
    const { labelSelector, fieldSelector } = this.options;
    return new Promise((resolve, reject) => {
      const controller = new AbortController();
      let delivered = false;
      let serverError: KubeApiError | undefined;
      let gone = false;
      let settled = false;
      const settle = (outcome: 'gone' | 'events' | 'quiet' | Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(guard);
        this.abortWatch = undefined;
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      const abort = () => { controller.abort(); };
      // stop() must not wait for a watch whose response has not even started (a hung server).
      this.abortWatch = () => {
        abort();
        settle('quiet');
      };
      const guard = setTimeout(() => {
        abort();
        settle('quiet');
      }, WATCH_TIMEOUT_SECONDS * 1000 + WATCH_GRACE_MS);
      const onEvent = (type: string, object: unknown): void => {
        if (settled) return;
        const obj = object as T & { code?: number; reason?: string; message?: string };
        if (type === 'ERROR') {
          if (obj.code === 410) gone = true;
          else serverError = new KubeApiError('WATCH', path, obj.code ?? 0, obj.reason ?? 'Unknown', obj.message ?? 'watch error event');
          abort();
          return;
        }
        delivered = true;
        this.resourceVersion = obj.metadata?.resourceVersion ?? this.resourceVersion;
        if (type === 'BOOKMARK') return;
        this.apply(type === 'DELETED' ? 'delete' : 'set', this.options.transform ? this.options.transform(obj) : obj);
      };
      const onDone = (err: unknown): void => {
        if (this.stopped || gone) settle(gone ? 'gone' : 'quiet');
        else if (serverError) settle(serverError);
        else if (err) settle(err instanceof Error ? err : new Error(`WATCH ${path} failed`));
        else settle(delivered ? 'events' : 'quiet');
      };
      const query = { resourceVersion: this.resourceVersion, allowWatchBookmarks: 'true', timeoutSeconds: String(WATCH_TIMEOUT_SECONDS), labelSelector, fieldSelector };
      this.api.watch(path, query, onEvent, controller.signal).then(() => { onDone(undefined); }, onDone);
    });
  }

  /** Applies one watch event to the cache and raises it. */
  private apply(op: 'set' | 'delete', obj: T): void {
    const ns = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    const names = this.store.get(ns);
    const before = names?.get(name);
    if (op === 'delete') {
      if (!before) return;
      names?.delete(name);
      if (names?.size === 0) this.store.delete(ns);
      this.emit('delete', obj);
      return;
    }
    if (before && before.metadata?.resourceVersion === obj.metadata?.resourceVersion) return;
    if (names) names.set(name, obj);
    else this.store.set(ns, new Map([[name, obj]]));
    this.emit(before ? 'update' : 'add', obj);
  }

  private emit(event: InformerEvent, obj: T): void {
    for (const h of this.handlers) {
      try {
        h(event, obj);
      } catch (err) {
        this.log.error({ err, kind: this.options.kind, event }, 'informer event handler failed');
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeSleep = undefined;
        resolve();
      }, ms);
      this.wakeSleep = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** namespace ('' for cluster-scoped) → name → object */
export type Store<T> = Map<string, Map<string, T>>;

/**
 * The cache a LIST makes, and what changed against the cache before it: objects new to it are adds, ones with
 * another resourceVersion updates, ones it no longer holds deletes (with their last known state).
 */
export function storeFromList<T extends KubeObject>(previous: Store<T>, items: readonly T[]): { store: Store<T>; changes: [InformerEvent, T][] } {
  const store: Store<T> = new Map();
  const changes: [InformerEvent, T][] = [];
  for (const obj of items) {
    const ns = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    let names = store.get(ns);
    if (!names) store.set(ns, (names = new Map<string, T>()));
    names.set(name, obj);
    const before = previous.get(ns)?.get(name);
    if (!before) changes.push(['add', obj]);
    else if (before.metadata?.resourceVersion !== obj.metadata?.resourceVersion) changes.push(['update', obj]);
  }
  for (const [ns, names] of previous) {
    for (const [name, obj] of names) if (!store.get(ns)?.has(name)) changes.push(['delete', obj]);
  }
  return { store, changes };
}

export const defaultBackoff = (attempt: number): number => Math.min(30_000, 1000 * 2 ** attempt);
