// Credentials for the API server, without @kubernetes/client-node. Loading client-node costs every daemon about
// 78 MiB of RSS (its generated models and their dependencies), and the daemons need only three things of a
// kubeconfig: the server, the TLS material, and a bearer token or client certificate. A kubeconfig that needs
// more (an exec or auth-provider plugin, a proxy, basic auth) is handed to client-node, loaded only then: what a
// developer's cloud kubeconfig needs keeps working, and no pod pays for it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { OutgoingHttpHeaders } from 'node:http';
import type { RequestOptions } from 'node:https';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { CliError } from './cli-error.js';

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** A token file is read again after this long, as client-go does: the kubelet rotates projected tokens. */
const TOKEN_FILE_TTL_MS = 60_000;

/**
 * What KubeApi needs of credentials: the server, and each request's TLS options and headers. client-node's
 * KubeConfig has the same two methods, so a test may pass one.
 */
export interface KubeAccess {
  getCurrentCluster(): { readonly server: string; readonly proxyUrl?: string } | null;
  applyToHTTPSOptions(opts: RequestOptions): Promise<void>;
}

/** The parts of a kubeconfig StaticAccess applies (anything more goes to client-node: see fromKubeconfig). */
export interface Credentials {
  readonly server: string;
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly insecureSkipTlsVerify?: boolean;
  readonly tlsServerName?: string;
  readonly token?: string;
  readonly tokenFile?: string;
}

/** Server, TLS material and a bearer token (read again from its file once a minute). */
export class StaticAccess implements KubeAccess {
  readonly credentials: Credentials;
  private token: { value: string; readAt: number } | undefined;
  constructor(credentials: Credentials) {
    this.credentials = credentials;
  }

  getCurrentCluster(): { readonly server: string } {
    return { server: this.credentials.server };
  }

  applyToHTTPSOptions(opts: RequestOptions): Promise<void> {
    const c = this.credentials;
    if (c.ca) opts.ca = c.ca;
    if (c.cert) opts.cert = c.cert;
    if (c.key) opts.key = c.key;
    if (c.insecureSkipTlsVerify) opts.rejectUnauthorized = false;
    if (c.tlsServerName) opts.servername = c.tlsServerName;
    const token = this.bearerToken();
    // KubeApi passes its headers as an object, never as a raw [name, value, ...] list.
    if (token) opts.headers = { ...(opts.headers as OutgoingHttpHeaders | undefined), authorization: `Bearer ${token}` };
    return Promise.resolve();
  }

  private bearerToken(): string | undefined {
    const { token, tokenFile } = this.credentials;
    if (token) return token;
    if (!tokenFile) return undefined;
    const now = Date.now();
    if (!this.token || now - this.token.readAt >= TOKEN_FILE_TTL_MS) this.token = { value: readFileSync(tokenFile, 'utf8').trim(), readAt: now };
    return this.token.value;
  }
}

/** A kubeconfig only client-node can apply (exec or auth-provider plugins, a proxy, basic auth): loaded on first use. */
class ClientNodeAccess implements KubeAccess {
  private loaded: Promise<KubeAccess> | undefined;
  private readonly server: string;
  private readonly proxyUrl: string | undefined;
  private readonly path: string | undefined;
  /** `path`: the kubeconfig file, or undefined for $KUBECONFIG (client-node merges its files as kubectl does). */
  constructor(server: string, proxyUrl: string | undefined, path: string | undefined) {
    this.server = server;
    this.proxyUrl = proxyUrl;
    this.path = path;
  }

  getCurrentCluster(): { readonly server: string; readonly proxyUrl?: string } {
    return { server: this.server, ...(this.proxyUrl ? { proxyUrl: this.proxyUrl } : {}) };
  }

  async applyToHTTPSOptions(opts: RequestOptions): Promise<void> {
    this.loaded ??= import('@kubernetes/client-node').then(({ KubeConfig }) => {
      const kc = new KubeConfig();
      if (this.path === undefined) kc.loadFromDefault();
      else kc.loadFromFile(this.path);
      return kc;
    });
    await (await this.loaded).applyToHTTPSOptions(opts);
  }
}

/**
 * Loads credentials explicitly: --kubeconfig, else $KUBECONFIG, else the pod's ServiceAccount. It never falls back
 * to http://localhost:8080, which hides misconfiguration.
 */
export function loadKubeConfig(path?: string): KubeAccess {
  if (path) return fromKubeconfig([path], path);
  const env = process.env['KUBECONFIG'];
  if (env) return fromKubeconfig(env.split(':').filter(Boolean), undefined);
  const host = process.env['KUBERNETES_SERVICE_HOST'];
  if (host && existsSync(`${SERVICE_ACCOUNT_DIR}/token`)) return inCluster(host, process.env['KUBERNETES_SERVICE_PORT'] ?? '443');
  throw new CliError('no Kubernetes credentials: pass --kubeconfig, set KUBECONFIG, or run in a pod with a ServiceAccount token');
}

/** The pod's ServiceAccount: its token file (rotated by the kubelet) and the cluster CA. */
export function inCluster(host: string, port: string, dir = SERVICE_ACCOUNT_DIR): StaticAccess {
  return new StaticAccess({
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ca: readFileSync(`${dir}/ca.crt`),
    tokenFile: `${dir}/token`,
  });
}

interface KubeconfigFile {
  readonly 'current-context'?: string;
  readonly clusters?: readonly { readonly name: string; readonly cluster?: Record<string, unknown> }[];
  readonly users?: readonly { readonly name: string; readonly user?: Record<string, unknown> }[];
  readonly contexts?: readonly { readonly name: string; readonly context?: { readonly cluster?: string; readonly user?: string } }[];
}

/** Files as kubectl merges $KUBECONFIG: the first file to name a cluster, user, context or current-context wins. */
function fromKubeconfig(files: readonly string[], path: string | undefined): KubeAccess {
  const what = path ?? process.env['KUBECONFIG'] ?? '';
  const merged = { current: undefined as string | undefined, clusters: new Map<string, Record<string, unknown>>(), users: new Map<string, Record<string, unknown>>(), contexts: new Map<string, { cluster?: string; user?: string }>() };
  for (const file of files) {
    if (!existsSync(file) && files.length > 1) continue;
    const text = readText(file);
    let doc: KubeconfigFile;
    try {
      doc = (parse(text) ?? {}) as KubeconfigFile;
    } catch (err) {
      throw new CliError(`kubeconfig ${file} is not YAML: ${(err as Error).message}`);
    }
    const base = dirname(resolve(file));
    merged.current ??= doc['current-context'] || undefined;
    for (const c of doc.clusters ?? []) if (!merged.clusters.has(c.name)) merged.clusters.set(c.name, withAbsolutePaths(c.cluster ?? {}, base));
    for (const u of doc.users ?? []) if (!merged.users.has(u.name)) merged.users.set(u.name, withAbsolutePaths(u.user ?? {}, base));
    for (const c of doc.contexts ?? []) if (!merged.contexts.has(c.name)) merged.contexts.set(c.name, c.context ?? {});
  }
  const context = merged.current === undefined ? undefined : merged.contexts.get(merged.current);
  const cluster = context?.cluster === undefined ? undefined : merged.clusters.get(context.cluster);
  const server = cluster?.['server'];
  if (!context || !cluster || typeof server !== 'string' || !server) throw new CliError(`kubeconfig ${what} has no current cluster`);
  const user = (context.user === undefined ? undefined : merged.users.get(context.user)) ?? {};
  const proxyUrl = typeof cluster['proxy-url'] === 'string' ? cluster['proxy-url'] : undefined;
  if (proxyUrl || user['exec'] || user['auth-provider'] || user['username'] || user['password']) {
    return new ClientNodeAccess(server, proxyUrl, path);
  }
  const str = (o: Record<string, unknown>, k: string): string | undefined => (typeof o[k] === 'string' && o[k] !== '' ? o[k] : undefined);
  const material = (o: Record<string, unknown>, dataKey: string, fileKey: string): Buffer | undefined => {
    const data = str(o, dataKey);
    if (data) return Buffer.from(data, 'base64');
    const file = str(o, fileKey);
    return file ? readFileBuffer(file) : undefined;
  };
  return new StaticAccess({
    server,
    ca: material(cluster, 'certificate-authority-data', 'certificate-authority'),
    cert: material(user, 'client-certificate-data', 'client-certificate'),
    key: material(user, 'client-key-data', 'client-key'),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
    tlsServerName: str(cluster, 'tls-server-name'),
    token: str(user, 'token'),
    tokenFile: str(user, 'tokenFile'),
  });
}

/** A kubeconfig's file references are relative to the kubeconfig's own folder. */
function withAbsolutePaths(entry: Record<string, unknown>, base: string): Record<string, unknown> {
  const out = { ...entry };
  for (const key of ['certificate-authority', 'client-certificate', 'client-key', 'tokenFile']) {
    const v = out[key];
    if (typeof v === 'string' && v !== '') out[key] = resolve(base, v);
  }
  return out;
}

function readText(file: string): string {
  try {
    if (!statSync(file).isFile()) throw new Error('not a file');
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read kubeconfig ${file}: ${(err as Error).message}`);
  }
}

function readFileBuffer(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new CliError(`cannot read ${file}, named in the kubeconfig: ${(err as Error).message}`);
  }
}
