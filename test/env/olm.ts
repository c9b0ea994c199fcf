// OLM (operator-lifecycle-manager) out of cluster against a test control plane, and a catalog of olm-bundle/ served
// by opm, so that the operator is installed exactly as an OperatorHub user installs it: a CatalogSource, an
// OperatorGroup, a Subscription, and OLM does the rest (InstallPlan, CRDs, ServiceAccount, RBAC, Deployment).
//
// - OLM's CRDs (from the pinned release, scripts/build-peers.sh olm) are created as raw JSON: client-node's typed
//   models drop `x-kubernetes-int-or-string`, and the CatalogSource CRD is then refused.
// - `olm` and `catalog` run as processes with the admin kubeconfig. Both serve /healthz on a port OLM v0.42.0 fixes
//   in code (:8080 plain, :8443 with --tls-cert/--tls-key; there is no flag for it), so `olm` gets TLS (the control
//   plane's serving certificate) and `catalog` none: one on each. Both ports must be free before they start; in a
//   cluster network (dev-cluster.ts) OLM and opm run inside its namespace, so each cluster has its own ports and
//   several clusters can run on one machine.
// - The catalog is file-based: `opm init` + `opm render` of each bundle folder + a channel entry per bundle from its
//   CSV (test/env/olm/fbc.ts), checked by `opm validate`, served by `opm serve` on a free loopback port, and found
//   through a CatalogSource's `spec.address` (no registry pod, no image, no cluster DNS).
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { KubeApi, type KubeObject } from '../../lib/kube-api.js';
import { loadKubeConfig } from '../../lib/kube-config.js';
import { CHANNEL, PACKAGE_NAME } from '../../olm-bundle/project.js';
import type { ControlPlane } from './control-plane.js';
import { netnsCommand, type TestNetns } from './netns.js';
import { freePorts, httpGet, waitFor } from './net.js';
import { channelBlob, fbcYaml } from './olm/fbc.js';
import { olmCrdFiles, peerPath } from './peers.js';
import { registerTempDir, startProcess, tailFile, unregisterTempDir, type ManagedProcess } from './processes.js';

const run = promisify(execFile);

export const OPERATORS_V1ALPHA1 = 'operators.coreos.com/v1alpha1';
export const OPERATORS_V1 = 'operators.coreos.com/v1';

/** The health ports OLM v0.42.0 binds on every address (pkg/lib/server: getAddress), with no flag to move them. */
export const OLM_HEALTH_PORT = { plain: 8080, tls: 8443 } as const;

/** Images OLM only uses for catalogs and bundles it unpacks in pods; a grpc catalog with `spec.address` needs none. */
const UNUSED_IMAGE = 'olm-unused.invalid/none:0';

export interface Olm {
  /** OLM's own namespace (`--namespace`): its global catalog namespace. */
  readonly namespace: string;
  /** Temp dir for logs and OLM's TMPDIR; removed by stop(). */
  readonly dir: string;
  readonly processes: readonly ManagedProcess[];
  /** The namespace OLM runs in (its catalogs' opm too), if not the host's. */
  readonly netns: TestNetns | undefined;
  /** Stops olm and catalog (SIGTERM, then SIGKILL) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

export interface OlmOptions {
  /** @default 'olm' */
  readonly namespace?: string;
  /** How long each operator may take to answer /healthz. @default 60000 */
  readonly startTimeoutMs?: number;
  /** Run in this network namespace (where the apiserver listens, as a control-plane node's processes do). */
  readonly netns?: TestNetns;
}

/** Runs `check` against the host port where `port` of `netns` (or of the host) answers. */
async function onPort<T>(netns: TestNetns | undefined, port: number, check: (hostPort: number) => Promise<T>): Promise<T> {
  if (!netns) return check(port);
  const exposed = await netns.exposeTcp(port, { hostPort: 0 });
  try {
    return await check(exposed.port);
  } finally {
    await exposed.stop();
  }
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function failed(what: string, err: unknown, proc?: ManagedProcess): Error {
  const tail = proc ? `\n--- ${proc.logPath} (tail) ---\n${tailFile(proc.logPath, 40)}` : '';
  return new Error(`${what}: ${errorText(err)}${tail}`, { cause: err });
}

/** Fails, naming the port, if something already listens on `port` on any address (as OLM will bind it). */
async function assertPortFree(port: number, who: string): Promise<void> {
  const srv = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, '::', resolve);
    });
  } catch (err) {
    throw new Error(
      `port ${port} is in use: ${who} serves /healthz there (OLM v0.42.0 has no flag to move it). ` +
        `Stop what listens on it (ss -ltnp 'sport = :${port}'). (${errorText(err)})`,
      { cause: err },
    );
  } finally {
    await new Promise<void>((resolve) => srv.close(() => { resolve(); }));
  }
}

/** Creates OLM's CRDs (raw JSON, every `x-kubernetes-*` key kept) and waits until each is Established. */
async function createOlmCrds(api: KubeApi, files: readonly string[], timeoutMs: number): Promise<void> {
  const names: string[] = [];
  for (const file of files) {
    const crd = parse(readFileSync(file, 'utf8')) as KubeObject;
    names.push(crd.metadata?.name ?? file);
    await api.createIfAbsent(crd).catch((err: unknown) => {
      throw failed(`OLM CRD ${file} refused`, err);
    });
  }
  type Crd = KubeObject & { status?: { conditions?: { type: string; status: string }[] } };
  for (const name of names) {
    await waitFor(`CRD ${name} Established`, async () => {
      const crd = await api.get<Crd>('apiextensions.k8s.io/v1', 'CustomResourceDefinition', name);
      return crd?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') === true;
    }, { timeoutMs, intervalMs: 100 });
  }
}

/** Environment of OLM's processes. */
function olmEnv(kubeconfig: string, dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: kubeconfig, TMPDIR: dir, HOME: dir };
  // With CI set, OLM wraps its clients in a developer check that panics on any object created without its
  // olm.managed label (pkg/controller/operators/validatingroundtripper), which the objects of a normal install lack.
  delete env['CI'];
  return env;
}

/** Starts OLM's olm and catalog operators against `cp`, after creating OLM's CRDs and namespace. */
export async function startOlm(cp: ControlPlane, opts: OlmOptions = {}): Promise<Olm> {
  const bin = { olm: peerPath('olm'), catalog: peerPath('catalog') };
  const crds = olmCrdFiles();
  const namespace = opts.namespace ?? 'olm';
  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  const api = new KubeApi(loadKubeConfig(cp.kubeconfigPath));

  const dir = await mkdtemp(join(tmpdir(), 'open-local-olm-'));
  registerTempDir(dir);
  const procs: ManagedProcess[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      for (const p of [...procs].reverse()) await p.stop(10_000);
      await rm(dir, { recursive: true, force: true });
      unregisterTempDir(dir);
    })());

  try {
    await mkdir(join(dir, 'logs'));
    if (!opts.netns) {
      await assertPortFree(OLM_HEALTH_PORT.tls, 'olm');
      await assertPortFree(OLM_HEALTH_PORT.plain, 'catalog');
    }
    await createOlmCrds(api, crds, timeoutMs);
    await api.createIfAbsent({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    const env = olmEnv(cp.kubeconfigPath, dir);
    const olm = startProcess({
      name: 'olm',
      ...netnsCommand(opts.netns, bin.olm, [
        `--namespace=${namespace}`, '--writeStatusName=', '--writePackageServerStatusName=',
        `--tls-cert=${cp.pki.servingCertPath}`, `--tls-key=${cp.pki.servingKeyPath}`,
      ]),
      logPath: join(dir, 'logs', 'olm.log'),
      env,
    });
    procs.push(olm);
    const catalog = startProcess({
      name: 'catalog',
      ...netnsCommand(opts.netns, bin.catalog, [
        `--namespace=${namespace}`, '--writeStatusName=',
        `--configmapServerImage=${UNUSED_IMAGE}`, `--opmImage=${UNUSED_IMAGE}`, `--util-image=${UNUSED_IMAGE}`,
      ]),
      logPath: join(dir, 'logs', 'catalog.log'),
      env,
    });
    procs.push(catalog);
    const healthy = (proc: ManagedProcess, port: number, url: (port: number) => string, ca?: string) =>
      onPort(opts.netns, port, (hostPort) =>
        waitFor(`${proc.name} ${url(port)}`, async () => (await httpGet(url(hostPort), { ca, timeoutMs: 2000 })).status === 200, {
          timeoutMs,
          intervalMs: 200,
          abort: () => {
            const info = proc.exitInfo();
            return info && `exited early (code ${info.code ?? 'none'}, signal ${info.signal ?? 'none'})`;
          },
        }),
      ).catch((err: unknown) => {
        throw failed(`${proc.name} did not start`, err, proc);
      });
    await healthy(olm, OLM_HEALTH_PORT.tls, (p) => `https://127.0.0.1:${p}/healthz`, cp.caCert);
    await healthy(catalog, OLM_HEALTH_PORT.plain, (p) => `http://127.0.0.1:${p}/healthz`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { namespace, dir, processes: procs, netns: opts.netns, stop };
}

// --- the catalog ---------------------------------------------------------------------------------------------------

export type CatalogSource = KubeObject & {
  spec?: { address?: string; [field: string]: unknown };
  status?: { connectionState?: { address?: string; lastObservedState?: string } };
};

export interface Catalog {
  /** The CatalogSource, in OLM's namespace (a global catalog, as OperatorHub's). */
  readonly name: string;
  readonly namespace: string;
  /** Temp dir of the rendered catalogs and opm's cache and logs; removed by stop(). */
  readonly dir: string;
  /** host:port opm serves on now. */
  address(): string;
  /** The opm process serving now. */
  server(): ManagedProcess;
  /**
   * Serves a catalog of `bundleDirs` instead: a new opm on a new port, the CatalogSource's address moved to it (OLM
   * reconnects and re-resolves), the old opm stopped.
   */
  serve(bundleDirs: readonly string[]): Promise<void>;
  /** Waits until OLM reports the CatalogSource READY at the current address; returns it. */
  waitReady(timeoutMs?: number): Promise<CatalogSource>;
  /** Stops opm and removes the temp dir (the CatalogSource stays, with the cluster). Idempotent. */
  stop(): Promise<void>;
}

/** The ClusterServiceVersion in a bundle folder's manifests/. */
export function bundleCsv(bundleDir: string): KubeObject & { spec?: { replaces?: string } } {
  const manifests = join(bundleDir, 'manifests');
  const files = readdirSync(manifests).filter((f) => f.endsWith('.clusterserviceversion.yaml'));
  if (files.length !== 1 || !files[0]) throw new Error(`${manifests}: expected one *.clusterserviceversion.yaml, found ${files.length}`);
  return parse(readFileSync(join(manifests, files[0]), 'utf8')) as KubeObject;
}

async function opm(args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await run(peerPath('opm'), [...args], { env, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
    return stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`opm ${args.join(' ')} failed: ${e.stderr ?? e.message}`, { cause: err });
  }
}

/**
 * Writes the file-based catalog of `bundleDirs` into `out` (out/<package>/catalog.yaml) and checks it with
 * `opm validate`. Each bundle must render to exactly one olm.bundle named as its CSV.
 */
export async function renderCatalog(bundleDirs: readonly string[], out: string, env: NodeJS.ProcessEnv): Promise<void> {
  const pkg = await opm(['init', PACKAGE_NAME, `--default-channel=${CHANNEL}`, '-o', 'yaml'], env);
  const csvs = bundleDirs.map(bundleCsv);
  const rendered: string[] = [];
  for (const [i, bundleDir] of bundleDirs.entries()) {
    const text = await opm(['render', bundleDir, '-o', 'yaml'], env);
    const bundles = parseAllDocuments(text).map((d) => d.toJS() as { schema?: string; name?: string }).filter((b) => b.schema === 'olm.bundle');
    const want = csvs[i]?.metadata?.name;
    if (bundles.length !== 1 || bundles[0]?.name !== want) {
      throw new Error(`opm render ${bundleDir}: expected one olm.bundle named ${want ?? '?'}, got ${bundles.map((b) => b.name).join(', ') || 'none'}`);
    }
    rendered.push(text);
  }
  const dir = join(out, PACKAGE_NAME);
  await mkdir(dir, { recursive: true });
  const docs = [pkg, ...rendered, fbcYaml([channelBlob(PACKAGE_NAME, CHANNEL, csvs)])];
  await writeFile(join(dir, 'catalog.yaml'), docs.map((t) => `${t.startsWith('---') ? '' : '---\n'}${t.endsWith('\n') ? t : `${t}\n`}`).join(''));
  await opm(['validate', out], env);
}

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`. */
function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port }, () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => {
      resolve(false);
    });
  });
}

/**
 * Renders a catalog of `bundleDirs`, serves it with opm on a free loopback port and creates CatalogSource `name`
 * (sourceType grpc, spec.address) in OLM's namespace.
 */
export async function startCatalog(cp: ControlPlane, olm: Olm, bundleDirs: readonly string[], opts: { name?: string; startTimeoutMs?: number } = {}): Promise<Catalog> {
  const name = opts.name ?? 'open-local-catalog';
  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  const api = new KubeApi(loadKubeConfig(cp.kubeconfigPath));
  const dir = await mkdtemp(join(tmpdir(), 'open-local-catalog-'));
  registerTempDir(dir);
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: dir, HOME: dir };
  let generation = 0;
  let current: { proc: ManagedProcess; port: number; dir: string } | undefined;
  let stopping: Promise<void> | undefined;

  /** A new opm serving a new rendering of `dirs`; the caller retires the previous one. */
  const launch = async (dirs: readonly string[]): Promise<{ proc: ManagedProcess; port: number; dir: string }> => {
    const gen = join(dir, String(generation++));
    await mkdir(join(gen, 'cache'), { recursive: true });
    await renderCatalog(dirs, join(gen, 'configs'), env);
    const [port = 0] = await freePorts(1);
    // In OLM's namespace when it has one: the catalog operator dials spec.address from there.
    const proc = startProcess({
      name: 'opm',
      ...netnsCommand(olm.netns, peerPath('opm'), [
        'serve', join(gen, 'configs'), `--port=${port}`, `--cache-dir=${join(gen, 'cache')}`, '--cache-enforce-integrity=false',
        // No profiling endpoint (its default, localhost:6060, would collide between servers); the termination log
        // in the temp dir, not /dev/termination-log.
        '--pprof-addr=', `--termination-log=${join(gen, 'termination-log')}`,
      ]),
      logPath: join(gen, 'opm.log'),
      env,
    });
    await onPort(olm.netns, port, (hostPort) => waitFor(`opm serve on port ${port}`, () => tcpOpen(hostPort), {
      timeoutMs,
      intervalMs: 100,
      abort: () => {
        const info = proc.exitInfo();
        return info && `exited early (code ${info.code ?? 'none'}, signal ${info.signal ?? 'none'})`;
      },
    })).catch(async (err: unknown) => {
      await proc.stop();
      throw failed('opm serve did not start', err, proc);
    });
    return { proc, port, dir: gen };
  };

  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await current?.proc.stop(10_000);
      await rm(dir, { recursive: true, force: true });
      unregisterTempDir(dir);
    })());

  const source = (address: string): CatalogSource => ({
    apiVersion: OPERATORS_V1ALPHA1,
    kind: 'CatalogSource',
    metadata: { name, namespace: olm.namespace },
    spec: { sourceType: 'grpc', address, displayName: 'Open-Local Operator (test catalog)', publisher: 'open-local-operator tests' },
  });
  const address = (): string => `127.0.0.1:${current?.port ?? 0}`;

  try {
    current = await launch(bundleDirs);
    await api.request('POST', await api.collectionPath(OPERATORS_V1ALPHA1, 'CatalogSource', olm.namespace), { body: source(address()) });
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    name,
    namespace: olm.namespace,
    dir,
    address,
    server: () => {
      if (!current) throw new Error('the catalog is stopped');
      return current.proc;
    },
    async serve(dirs) {
      const old = current;
      current = await launch(dirs);
      await api.mergePatch(source(address()), { spec: { address: address() } });
      if (old) {
        await old.proc.stop(10_000);
        await rm(old.dir, { recursive: true, force: true });
      }
    },
    async waitReady(ms = 60_000) {
      let last: CatalogSource | undefined;
      await waitFor(`CatalogSource ${olm.namespace}/${name} READY at ${address()}`, async () => {
        last = await api.get<CatalogSource>(OPERATORS_V1ALPHA1, 'CatalogSource', name, olm.namespace);
        const state = last?.status?.connectionState;
        return state?.lastObservedState === 'READY' && state.address === address();
      }, { timeoutMs: ms, intervalMs: 250 }).catch((err: unknown) => {
        throw new Error(`${errorText(err)} (last status: ${JSON.stringify(last?.status ?? null)})`, { cause: err });
      });
      return last as CatalogSource;
    },
    stop,
  };
}

// --- subscribing -------------------------------------------------------------------------------------------------

export interface Subscribed {
  readonly namespace: string;
  /** The Subscription's name (the package's). */
  readonly name: string;
}

/**
 * What an OperatorHub user does: a namespace for the operator, an AllNamespaces OperatorGroup in it (no target
 * namespaces, no selector), and a Subscription to the package's default channel in `catalog`, approved
 * automatically.
 */
export async function subscribe(api: KubeApi, catalog: Catalog, namespace: string): Promise<Subscribed> {
  await api.createIfAbsent({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  await api.request('POST', await api.collectionPath(OPERATORS_V1, 'OperatorGroup', namespace), {
    body: { apiVersion: OPERATORS_V1, kind: 'OperatorGroup', metadata: { name: 'global-operators', namespace }, spec: {} },
  });
  await api.request('POST', await api.collectionPath(OPERATORS_V1ALPHA1, 'Subscription', namespace), {
    body: {
      apiVersion: OPERATORS_V1ALPHA1,
      kind: 'Subscription',
      metadata: { name: PACKAGE_NAME, namespace },
      spec: { name: PACKAGE_NAME, channel: CHANNEL, source: catalog.name, sourceNamespace: catalog.namespace, installPlanApproval: 'Automatic' },
    },
  });
  return { namespace, name: PACKAGE_NAME };
}
