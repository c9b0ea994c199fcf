import { Agent as HttpsAgent, request } from 'node:https';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { RequestOptions } from 'node:https';
import type { KubeAccess } from './kube-config.js';
import { LineSplitter } from './lines.js';
import type { KubeObject } from './kube-object.js';

export type { KubeObject } from './kube-object.js';

export interface KubeList<T> {
  readonly metadata: { readonly resourceVersion: string; readonly continue?: string };
  readonly items: T[];
}

/** A non-2xx answer of the API server, with its Status reason ("NotFound", "Conflict", "Invalid", ...). */
export class KubeApiError extends Error {
  readonly status: number;
  readonly reason: string;
  constructor(method: string, path: string, status: number, reason: string, message: string) {
    super(`${method} ${path}: ${status} ${reason}: ${message}`);
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
  }
}

export const isNotFound = (err: unknown): boolean => err instanceof KubeApiError && err.status === 404;
export const isConflict = (err: unknown): boolean => err instanceof KubeApiError && err.status === 409;

export interface RequestObserver {
  /** Called once per request, after it completes (for metrics and write counting). */
  (verb: string, path: string, status: number): void;
}

interface ResourceInfo {
  readonly name: string;
  readonly namespaced: boolean;
}

/** A non-2xx answer as KubeApiError, with the reason and message of its Status body when it has one. */
function statusError(method: string, path: string, status: number, text: string): KubeApiError {
  let reason = 'Unknown';
  let message = text.slice(0, 500);
  try {
    const s = JSON.parse(text) as { reason?: string; message?: string };
    reason = s.reason ?? reason;
    message = s.message ?? message;
  } catch {
    // not a Status object: keep the raw text
  }
  return new KubeApiError(method, path, status, reason, message);
}

/**
 * A small JSON client over the API server's REST interface. client-node's typed models drop fields they do
 * not know (CRD `x-kubernetes-*` keys, fields newer than 1.34) when serialising, which would silently corrupt
 * server-side apply; this client sends and returns plain JSON.
 */
export class KubeApi {
  private readonly server: URL;
  private readonly discovery = new Map<string, Promise<Map<string, ResourceInfo>>>();
  private readonly kc: KubeAccess;
  /** A kubeconfig with proxy-url: client-node's proxy agent is kept as it made it (fixed at load). */
  private readonly proxied: boolean;
  private readonly observe: RequestObserver;
  /** The keep-alive connection pool, for as long as the TLS material it was made with (see agentFor). */
  private pool: { key: string; values: unknown[]; agent: HttpsAgent | HttpAgent } | undefined;

  constructor(kc: KubeAccess, observe: RequestObserver = () => undefined) {
    this.kc = kc;
    this.observe = observe;
    const cluster = kc.getCurrentCluster();
    this.proxied = Boolean(cluster?.proxyUrl);
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
  }

  /** `signal` aborts the request (e.g. `AbortSignal.timeout(ms)` to bound it tighter than the 60 s idle timeout). */
  async request<T>(method: string, path: string, options: { body?: unknown; contentType?: string; query?: Record<string, string | undefined>; signal?: AbortSignal } = {}): Promise<T> {
    const url = this.url(path, options.query);
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = payload === undefined ? {} : { 'content-type': options.contentType ?? 'application/json', 'content-length': String(Buffer.byteLength(payload)) };
    const opts = await this.options(method, url, headers, options.signal);
    opts.timeout = 60_000;
    const send = url.protocol === 'http:' ? httpRequest : request;
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = send(url, opts, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, text });
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${url.pathname} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
    this.observe(method, url.pathname, status);
    if (status < 200 || status >= 300) throw statusError(method, url.pathname, status, text);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /**
   * One watch of `path` (a collection): each event as it arrives, until the server ends it (resolves) or it fails
   * (rejects; a non-2xx answer as KubeApiError, the WATCH ERROR events are the caller's). Aborting `signal` ends it
   * and resolves. No idle timeout: a quiet watch is bounded by its timeoutSeconds and the caller's guard.
   */
  async watch(path: string, query: Record<string, string | undefined>, onEvent: (type: string, object: unknown) => void, signal: AbortSignal): Promise<void> {
    const url = this.url(path, { ...query, watch: 'true' });
    const opts = await this.options('GET', url, {}, signal);
    const send = url.protocol === 'http:' ? httpRequest : request;
    await new Promise<void>((resolve, reject) => {
      const fail = (err: unknown): void => {
        if (signal.aborted) resolve();
        else reject(err instanceof Error ? err : new Error(String(err)));
      };
      const req = send(url, opts, (res) => {
        const status = res.statusCode ?? 0;
        // Counted by its HTTP verb, as the metric and client-go's request metrics count a watch.
        this.observe('GET', url.pathname, status);
        res.setEncoding('utf8');
        if (status < 200 || status >= 300) {
          let text = '';
          res.on('data', (c: string) => (text += c));
          res.on('end', () => { reject(statusError('WATCH', url.pathname, status, text)); });
          res.on('error', fail);
          return;
        }
        // One JSON event per line: {"type": ..., "object": ...}.
        const lines = new LineSplitter((line) => {
          const event = JSON.parse(line) as { type: string; object: unknown };
          onEvent(event.type, event.object);
        });
        const undecodable = (err: unknown): Error => new Error(`WATCH ${url.pathname}: undecodable event: ${(err as Error).message}`);
        res.on('data', (chunk: string) => {
          try {
            lines.push(chunk);
          } catch (err) {
            res.destroy(undecodable(err));
          }
        });
        res.on('end', () => {
          try {
            lines.end();
            resolve();
          } catch (err) {
            reject(undecodable(err));
          }
        });
        res.on('error', fail);
        // A connection that closes before the response's end (server gone, proxy cut) fails the watch.
        res.on('close', () => { if (!res.complete) fail(new Error(`WATCH ${url.pathname}: connection closed mid-watch`)); });
      });
      req.on('error', fail);
      req.end();
    });
  }

  private url(path: string, query: Record<string, string | undefined> = {}): URL {
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    return url;
  }

  /** A request's options: the credentials' TLS material and headers, and the pooled agent. */
  private async options(method: string, url: URL, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<RequestOptions> {
    const opts: RequestOptions = { method, headers: { accept: 'application/json', ...headers }, signal };
    await this.kc.applyToHTTPSOptions(opts);
    opts.agent = this.agentFor(opts, url.protocol);
    return opts;
  }

  /**
   * Every request's connection comes from one keep-alive pool, replaced only when the TLS material changes (no
   * new connection, TLS handshake and secure context per request: thousands of them when an operator prepares a
   * thousand nodes). The credentials' headers still come per request (a token file can rotate). A proxy agent
   * (client-node's, for a kubeconfig with proxy-url) is kept as it was made.
   */
  private agentFor(opts: RequestOptions, protocol: string): RequestOptions['agent'] {
    if (this.proxied) return opts.agent;
    const tls = { ca: opts.ca, cert: opts.cert, key: opts.key, pfx: opts.pfx, passphrase: opts.passphrase, rejectUnauthorized: opts.rejectUnauthorized, servername: opts.servername };
    const values = [protocol, ...Object.values(tls)];
    // The same Buffers each time with our credentials: compared by identity first, by content only when they differ.
    if (this.pool?.values.every((v, i) => v === values[i])) return this.pool.agent;
    const key = JSON.stringify(values.map((v) => (Buffer.isBuffer(v) ? v.toString('base64') : v)));
    if (this.pool?.key !== key) {
      this.pool?.agent.destroy();
      // Idle connections close after 30 s, before the API server might close them under a request.
      const common = { keepAlive: true, timeout: 30_000 };
      this.pool = { key, values, agent: protocol === 'http:' ? new HttpAgent(common) : new HttpsAgent({ ...common, ...tls }) };
    } else {
      this.pool.values = values;
    }
    return this.pool.agent;
  }

  /**
   * The collection path of a kind (`/apis/apps/v1/namespaces/ns/deployments`), found by (cached) discovery.
   * Without a namespace, a namespaced kind's path spans all namespaces (for list and watch).
   */
  async collectionPath(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    let resources = this.discovery.get(apiVersion);
    if (!resources) {
      const path = apiVersion === 'v1' ? '/api/v1' : `/apis/${apiVersion}`;
      resources = this.request<{ resources: { kind: string; name: string; namespaced: boolean }[] }>('GET', path).then(
        (r) => new Map(r.resources.filter((x) => !x.name.includes('/')).map((x) => [x.kind, { name: x.name, namespaced: x.namespaced }])),
      );
      resources.catch(() => this.discovery.delete(apiVersion));
      this.discovery.set(apiVersion, resources);
    }
    const info = (await resources).get(kind);
    if (!info) {
      this.discovery.delete(apiVersion);
      throw new Error(`the API server does not serve ${kind} in ${apiVersion}`);
    }
    const prefix = apiVersion === 'v1' ? '/api/v1' : `/apis/${apiVersion}`;
    return info.namespaced && namespace ? `${prefix}/namespaces/${namespace}/${info.name}` : `${prefix}/${info.name}`;
  }

  async objectPath(obj: KubeObject): Promise<string> {
    const name = obj.metadata?.name;
    if (!obj.apiVersion || !obj.kind || !name) throw new Error('object needs apiVersion, kind and metadata.name');
    return `${await this.collectionPath(obj.apiVersion, obj.kind, obj.metadata?.namespace)}/${encodeURIComponent(name)}`;
  }

  /** Server-side apply under `fieldManager`; `force` takes over fields another manager set. */
  async apply<T extends KubeObject>(obj: T, fieldManager: string, options: { force?: boolean; dryRun?: boolean; subresource?: 'status' } = {}): Promise<T> {
    const path = (await this.objectPath(obj)) + (options.subresource ? `/${options.subresource}` : '');
    return this.request<T>('PATCH', path, {
      body: obj,
      contentType: 'application/apply-patch+yaml',
      query: {
        fieldManager,
        fieldValidation: 'Strict',
        force: options.force ? 'true' : undefined,
        dryRun: options.dryRun ? 'All' : undefined,
      },
    });
  }

  /** One LIST; with `limit`, one page of it (`metadata.continue` names the next). */
  async list<T extends KubeObject>(apiVersion: string, kind: string, options: { namespace?: string; labelSelector?: string; fieldSelector?: string; limit?: number; continue?: string; signal?: AbortSignal } = {}): Promise<KubeList<T>> {
    const path = await this.collectionPath(apiVersion, kind, options.namespace);
    const query = { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector, limit: options.limit === undefined ? undefined : String(options.limit), continue: options.continue };
    const list = await this.request<KubeList<T>>('GET', path, { query, signal: options.signal });
    // The API server omits apiVersion/kind on list items; restore them so every object is self-describing.
    return { metadata: list.metadata, items: list.items.map((i) => ({ ...i, apiVersion, kind })) };
  }

  async get<T extends KubeObject>(apiVersion: string, kind: string, name: string, namespace?: string): Promise<T | undefined> {
    try {
      return await this.request<T>('GET', `${await this.collectionPath(apiVersion, kind, namespace)}/${encodeURIComponent(name)}`);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Deletes an object; a missing one counts as deleted. */
  async delete(obj: KubeObject, propagationPolicy: 'Background' | 'Foreground' | 'Orphan' = 'Background'): Promise<void> {
    try {
      await this.request('DELETE', await this.objectPath(obj), { body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async mergePatch<T extends KubeObject>(obj: KubeObject, patch: unknown, subresource?: 'status'): Promise<T> {
    const path = (await this.objectPath(obj)) + (subresource ? `/${subresource}` : '');
    return this.request<T>('PATCH', path, { body: patch, contentType: 'application/merge-patch+json' });
  }

  /** Creates an object; resolves undefined if it already exists. */
  async createIfAbsent<T extends KubeObject>(obj: T): Promise<T | undefined> {
    const path = await this.collectionPath(obj.apiVersion ?? '', obj.kind ?? '', obj.metadata?.namespace);
    try {
      return await this.request<T>('POST', path, { body: obj, query: { fieldValidation: 'Strict' } });
    } catch (err) {
      if (isConflict(err)) return undefined;
      throw err;
    }
  }
}
