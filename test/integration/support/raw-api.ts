// Direct HTTPS calls to the test API server, for what the typed client cannot express in one call:
// server-side apply with dryRun and strict field validation, and acting with a bare bearer token.
import { request } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ControlPlane } from '../../env/control-plane.js';

export interface ApiResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly text: string;
}

export interface RawApi {
  call(method: string, path: string, body?: unknown, contentType?: string): Promise<ApiResponse>;
  /** Server-side apply of one object (field manager open-local-operator), optionally as a dry run. */
  apply(obj: KubeObjectLike, opts?: { dryRun?: boolean; force?: boolean }): Promise<ApiResponse>;
  /** POST (create) one object with strict field validation, optionally as a dry run. */
  create(obj: KubeObjectLike, opts?: { dryRun?: boolean }): Promise<ApiResponse>;
  /** The collection path of an object's kind, found through discovery. */
  collectionPath(obj: KubeObjectLike): Promise<string>;
}

export interface KubeObjectLike {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
}

export function tokenOf(kc: KubeConfig): string {
  const token = kc.getCurrentUser()?.token;
  if (!token) throw new Error('kubeconfig has no bearer token');
  return token;
}

/** A raw client for `cp`, authenticated as the admin or with the given bearer token. */
export function rawApi(cp: ControlPlane, token = tokenOf(cp.adminKubeConfig())): RawApi {
  const discovery = new Map<string, Promise<{ kind: string; name: string; namespaced: boolean }[]>>();

  const call = (method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<ApiResponse> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        new URL(path, cp.server),
        {
          method,
          ca: cp.caCert,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            ...(payload === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }),
          },
          timeout: 30_000,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => {
            let parsed: Record<string, unknown>;
            try {
              parsed = JSON.parse(text) as Record<string, unknown>;
            } catch {
              parsed = {};
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, text });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });

  const resources = (groupVersion: string) => {
    let cached = discovery.get(groupVersion);
    if (!cached) {
      const path = groupVersion === 'v1' ? '/api/v1' : `/apis/${groupVersion}`;
      cached = call('GET', path).then((r) => {
        if (r.status !== 200) throw new Error(`discovery of ${groupVersion} failed: ${r.status} ${r.text}`);
        return (r.body.resources as { kind: string; name: string; namespaced: boolean }[]).filter((x) => !x.name.includes('/'));
      });
      discovery.set(groupVersion, cached);
    }
    return cached;
  };

  const collectionPath = async (obj: KubeObjectLike): Promise<string> => {
    const res = (await resources(obj.apiVersion)).find((r) => r.kind === obj.kind);
    if (!res) throw new Error(`the API server does not serve ${obj.kind} in ${obj.apiVersion}`);
    const prefix = obj.apiVersion === 'v1' ? '/api/v1' : `/apis/${obj.apiVersion}`;
    if (!res.namespaced) return `${prefix}/${res.name}`;
    if (!obj.metadata.namespace) throw new Error(`${obj.kind} ${obj.metadata.name} needs a namespace`);
    return `${prefix}/namespaces/${obj.metadata.namespace}/${res.name}`;
  };

  return {
    call,
    collectionPath,
    async apply(obj, opts = {}) {
      const query = new URLSearchParams({ fieldManager: 'open-local-operator', fieldValidation: 'Strict' });
      if (opts.dryRun) query.set('dryRun', 'All');
      if (opts.force) query.set('force', 'true');
      const path = `${await collectionPath(obj)}/${obj.metadata.name}?${query.toString()}`;
      return call('PATCH', path, obj, 'application/apply-patch+yaml');
    },
    async create(obj, opts = {}) {
      const query = new URLSearchParams({ fieldValidation: 'Strict' });
      if (opts.dryRun) query.set('dryRun', 'All');
      return call('POST', `${await collectionPath(obj)}?${query.toString()}`, obj);
    },
  };
}

/** Polls until every CRD of `names` reports Established=True. */
export async function waitEstablished(api: RawApi, names: readonly string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const name of names) {
    for (;;) {
      const r = await api.call('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
      const conditions = ((r.body.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions) ?? [];
      if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} not Established after ${timeoutMs} ms: ${r.text}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }
}

/** Applies CRDs (server-side) and waits until every one is Established; fails naming the CRD the server refused. */
export async function installCrds(api: RawApi, crds: readonly KubeObjectLike[]): Promise<void> {
  for (const crd of crds) {
    const r = await api.apply(crd);
    if (r.status !== 200 && r.status !== 201) throw new Error(`CRD ${crd.metadata.name} refused: ${r.text}`);
  }
  await waitEstablished(api, crds.map((c) => c.metadata.name));
}
