import { Agent as HttpsAgent, request } from 'node:https';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
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

/**
 * A small JSON client over the API server's REST interface. client-node's typed models drop fields they do
 * not know (CRD `x-kubernetes-*` keys, fields newer than 1.34) when serialising, which would silently corrupt
 * server-side apply; this client sends and returns plain JSON.
 */
export class KubeApi {
  private readonly server: URL;
  private readonly discovery = new Map<string, Promise<Map<string, ResourceInfo>>>();
  private readonly kc: KubeConfig;
  private readonly observe: RequestObserver;
  /** The keep-alive connection pool, for as long as the TLS material it was made with (see agentFor). */
  private pool: { key: string; agent: HttpsAgent | HttpAgent } | undefined;

  constructor(kc: KubeConfig, observe: RequestObserver = () => undefined) {
    this.kc = kc;
    this.observe = observe;
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
  }

  /** `signal` aborts the request (e.g. `AbortSignal.timeout(ms)` to bound it tighter than the 60 s idle timeout). */
  async request<T>(method: string, path: string, options: { body?: unknown; contentType?: string; query?: Record<string, string | undefined>; signal?: AbortSignal } = {}): Promise<T> {
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const opts: RequestOptions = {
      method,
      headers: {
        accept: 'application/json',
        ...(payload === undefined ? {} : { 'content-type': options.contentType ?? 'application/json', 'content-length': String(Buffer.byteLength(payload)) }),
      },
      timeout: 60_000,
      signal: options.signal,
    };
    await this.kc.applyToHTTPSOptions(opts);
    opts.agent = this.agentFor(opts, url.protocol);
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
    if (status < 200 || status >= 300) {
      let reason = 'Unknown';
      let message = text.slice(0, 500);
      try {
        const s = JSON.parse(text) as { reason?: string; message?: string };
        reason = s.reason ?? reason;
        message = s.message ?? message;
      } catch {
        // not a Status object: keep the raw text
      }
      throw new KubeApiError(method, url.pathname, status, reason, message);
    }
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /**
   * client-node's applyToHTTPSOptions makes a new Agent for every request: a new connection, TLS handshake and
   * secure context each time (thousands of them when an operator prepares a thousand nodes; slower, and native
   * memory the V8 heap does not show). The credentials' headers still come from it per request (a token file can
   * rotate); the connections come from one keep-alive pool, replaced only when the TLS material changes. A proxy
   * agent is kept as client-node made it.
   */
  private agentFor(opts: RequestOptions, protocol: string): RequestOptions['agent'] {
    if (this.kc.getCurrentCluster()?.proxyUrl) return opts.agent;
    const tls = { ca: opts.ca, cert: opts.cert, key: opts.key, pfx: opts.pfx, passphrase: opts.passphrase, rejectUnauthorized: opts.rejectUnauthorized, servername: opts.servername };
    const key = JSON.stringify([protocol, Object.values(tls).map((v) => (Buffer.isBuffer(v) ? v.toString('base64') : v))]);
    if (this.pool?.key !== key) {
      this.pool?.agent.destroy();
      // Idle connections close after 30 s, before the API server might close them under a request.
      const common = { keepAlive: true, timeout: 30_000 };
      this.pool = { key, agent: protocol === 'http:' ? new HttpAgent(common) : new HttpsAgent({ ...common, ...tls }) };
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
