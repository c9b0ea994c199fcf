// Where the real peer binaries live (etcd, kube-apiserver, ..., csi-sanity, operator-sdk, the CSI sidecars, kubelet,
// kwok, kube-proxy, kubectl, CoreDNS, OLM's olm and catalog, opm) and our stand-ins for two CSI sidecars (test/env/standins).
// Versions come from scripts/peers/versions.env, the same file scripts/build-peers.sh sources.
// Lookup order: $KUBEBUILDER_ASSETS/<name> (envtest's convention), then the build-peers cache.
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const VERSIONS_FILE = new URL('../../scripts/peers/versions.env', import.meta.url);

/** Parses `KEY=value` lines (comments and blank lines ignored), as bash would source them. */
export function parseEnvFile(text: string): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m?.[1] || m[2] === undefined) throw new Error(`versions.env: cannot parse line '${line}'`);
    out.set(m[1], m[2].replace(/^["']|["']$/g, ''));
  }
  return out;
}

type VersionKey = 'kubernetes' | 'etcd' | 'csiSanity' | 'operatorSdk' | 'csiProvisioner' | 'csiResizer' | 'csiSnapshotter' | 'kwok' | 'coredns' | 'corednsPlugins' | 'olm' | 'opm';

function loadVersions(): Readonly<Record<VersionKey, string>> {
  const env = parseEnvFile(readFileSync(VERSIONS_FILE, 'utf8'));
  const get = (key: string): string => {
    const v = env.get(key);
    if (!v) throw new Error(`scripts/peers/versions.env has no ${key}`);
    return v;
  };
  return {
    kubernetes: get('KUBERNETES_VERSION'),
    etcd: get('ETCD_VERSION'),
    csiSanity: get('CSI_SANITY_VERSION'),
    operatorSdk: get('OPERATOR_SDK_VERSION'),
    csiProvisioner: get('CSI_PROVISIONER_VERSION'),
    csiResizer: get('CSI_RESIZER_VERSION'),
    csiSnapshotter: get('CSI_SNAPSHOTTER_VERSION'),
    kwok: get('KWOK_VERSION'),
    coredns: get('COREDNS_VERSION'),
    corednsPlugins: get('COREDNS_PLUGINS'),
    olm: get('OLM_VERSION'),
    opm: get('OPM_VERSION'),
  };
}

/** Pinned peer versions (single source of truth: scripts/peers/versions.env). */
export const PEER_VERSIONS = loadVersions();
export const KUBERNETES_VERSION = PEER_VERSIONS.kubernetes;
export const ETCD_VERSION = PEER_VERSIONS.etcd;
export const CSI_SANITY_VERSION = PEER_VERSIONS.csiSanity;
export const OPERATOR_SDK_VERSION = PEER_VERSIONS.operatorSdk;
export const CSI_PROVISIONER_VERSION = PEER_VERSIONS.csiProvisioner;
export const CSI_RESIZER_VERSION = PEER_VERSIONS.csiResizer;
/** external-snapshotter: csi-snapshotter, snapshot-controller and the snapshot CRDs. */
export const CSI_SNAPSHOTTER_VERSION = PEER_VERSIONS.csiSnapshotter;
/** kwok: fake Nodes and Pods driven by Stages (test/env/kwok.ts). */
export const KWOK_VERSION = PEER_VERSIONS.kwok;
/** CoreDNS, the cluster DNS of the UML kubelet nodes (test/env/cluster-dns.ts). */
export const COREDNS_VERSION = PEER_VERSIONS.coredns;
/** build-peers.sh names CoreDNS's cache entry after its plugin list: `echo "$COREDNS_PLUGINS" | sha256sum`. */
export const COREDNS_PLUGINS_KEY = createHash('sha256').update(`${PEER_VERSIONS.corednsPlugins}\n`).digest('hex').slice(0, 12);
/** OLM: the olm and catalog operators and OLM's CRDs (test/env/olm.ts). */
export const OLM_VERSION = PEER_VERSIONS.olm;
/** opm: renders and serves the file-based catalog of olm-bundle/ (test/env/olm.ts). */
export const OPM_VERSION = PEER_VERSIONS.opm;

export const PEER_NAMES = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kube-proxy',
  'kubectl',
  'csi-sanity',
  'operator-sdk',
  'csi-provisioner',
  'csi-resizer',
  'csi-snapshotter',
  'snapshot-controller',
  'kubelet',
  'kwok',
  'coredns',
  'olm',
  'catalog',
  'opm',
  'standin-registrar',
  'standin-livenessprobe',
] as const;
export type PeerName = (typeof PEER_NAMES)[number];

/** The build-peers.sh argument that builds each peer. */
const BUILD_ARG: Readonly<Record<PeerName, string>> = {
  etcd: 'etcd',
  'kube-apiserver': 'kube',
  'kube-controller-manager': 'kube',
  'kube-scheduler': 'kube',
  'kube-proxy': 'kube',
  kubectl: 'kube',
  'csi-sanity': 'csi-sanity',
  'operator-sdk': 'operator-sdk',
  'csi-provisioner': 'csi-sidecars',
  'csi-resizer': 'csi-sidecars',
  'csi-snapshotter': 'csi-sidecars',
  'snapshot-controller': 'csi-sidecars',
  kubelet: 'kubelet',
  kwok: 'kwok',
  coredns: 'coredns',
  olm: 'olm',
  catalog: 'olm',
  opm: 'olm',
  'standin-registrar': 'standins',
  'standin-livenessprobe': 'standins',
};

const STANDINS_DIR = fileURLToPath(new URL('standins/', import.meta.url));

/** The files of test/env/standins that build-peers.sh hashes: go.mod, go.sum and the Go sources, by relative path. */
function standinsFiles(dir = STANDINS_DIR, rel = ''): string[] {
  return readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const path = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) return standinsFiles(dir, path);
    return e.name.endsWith('.go') || e.name === 'go.mod' || e.name === 'go.sum' ? [path] : [];
  });
}

/**
 * The stand-ins' cache key, as build-peers.sh's standins_key: sha256 over each file's path and contents in byte
 * order of the paths, first 12 hex digits. An edit to a stand-in names a new cache entry (and a new image disk).
 */
export function standinsKey(): string {
  const hash = createHash('sha256');
  for (const path of standinsFiles().sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) {
    hash.update(`${path}\n`).update(readFileSync(join(STANDINS_DIR, path)));
  }
  return hash.digest('hex').slice(0, 12);
}

/** The cache scripts/build-peers.sh fills (outside the checkout). */
export function peersDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['OPEN_LOCAL_PEERS_DIR']) return env['OPEN_LOCAL_PEERS_DIR'];
  const cache = env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache');
  return join(cache, 'open-local-operator', 'peers');
}

/** Where build-peers.sh puts a peer for the pinned version. */
export function cachedPeerPath(name: PeerName, env: NodeJS.ProcessEnv = process.env): string {
  const dir = peersDir(env);
  switch (name) {
    case 'etcd':
      return join(dir, `etcd-${ETCD_VERSION}`, 'bin', 'etcd');
    case 'kube-apiserver':
    case 'kube-controller-manager':
    case 'kube-scheduler':
    case 'kube-proxy':
    case 'kubectl':
      return join(dir, `kubernetes-${KUBERNETES_VERSION}`, 'bin', name);
    case 'csi-sanity':
      return join(dir, `csi-sanity-${CSI_SANITY_VERSION}`, 'csi-sanity');
    case 'operator-sdk':
      return join(dir, `operator-sdk-${OPERATOR_SDK_VERSION}`, 'operator-sdk');
    case 'csi-provisioner':
      return join(dir, `csi-provisioner-${CSI_PROVISIONER_VERSION}`, name);
    case 'csi-resizer':
      return join(dir, `csi-resizer-${CSI_RESIZER_VERSION}`, name);
    case 'csi-snapshotter':
    case 'snapshot-controller':
      return join(dir, `external-snapshotter-${CSI_SNAPSHOTTER_VERSION}`, name);
    case 'kubelet':
      // Its own cache entry beside kubernetes-<v> (built later, only for the UML kubelet nodes).
      return join(dir, `kubelet-${KUBERNETES_VERSION}`, 'bin', 'kubelet');
    case 'kwok':
      return join(dir, `kwok-${KWOK_VERSION}`, 'kwok');
    case 'coredns':
      return join(dir, `coredns-${COREDNS_VERSION}-${COREDNS_PLUGINS_KEY}`, 'coredns');
    case 'olm':
    case 'catalog':
      return join(dir, `olm-${OLM_VERSION}`, name);
    case 'opm':
      return join(dir, `opm-${OPM_VERSION}`, 'opm');
    case 'standin-registrar':
      return join(dir, `standins-${standinsKey()}`, 'registrar');
    case 'standin-livenessprobe':
      return join(dir, `standins-${standinsKey()}`, 'livenessprobe');
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A peer binary is neither in KUBEBUILDER_ASSETS nor in the cache. */
export class PeerMissingError extends Error {
  override readonly name = 'PeerMissingError';
  readonly peer: PeerName;
  readonly searched: readonly string[];
  constructor(peer: PeerName, searched: readonly string[]) {
    super(
      `${peer} not found (looked in ${searched.join(', ')}). ` +
        `Build it with \`bash scripts/build-peers.sh ${BUILD_ARG[peer]}\` ` +
        `(cached outside the checkout; the first build takes a while)` +
        (peer === 'etcd' || peer === 'kube-apiserver'
          ? ', or set KUBEBUILDER_ASSETS to a folder that holds etcd and kube-apiserver.'
          : '.'),
    );
    this.peer = peer;
    this.searched = searched;
  }
}

/** Absolute path of a peer binary; throws PeerMissingError saying how to get it. */
export function peerPath(name: PeerName, env: NodeJS.ProcessEnv = process.env): string {
  const searched: string[] = [];
  const assets = env['KUBEBUILDER_ASSETS'];
  if (assets) {
    const p = join(assets, name);
    if (isExecutable(p)) return p;
    searched.push(p);
  }
  const cached = cachedPeerPath(name, env);
  if (isExecutable(cached)) return cached;
  searched.push(cached);
  throw new PeerMissingError(name, searched);
}

/**
 * The snapshot CRD manifests (VolumeSnapshot, VolumeSnapshotClass, VolumeSnapshotContent and the group-snapshot
 * kinds) of the pinned external-snapshotter release, as build-peers.sh copied them into the cache.
 */
export function snapshotCrdFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  const dir = join(peersDir(env), `external-snapshotter-${CSI_SNAPSHOTTER_VERSION}`, 'crd');
  if (!existsSync(join(dir, '.complete'))) {
    throw new Error(
      `the snapshot CRDs of external-snapshotter ${CSI_SNAPSHOTTER_VERSION} are not in ${dir}. ` +
        'Get them with `bash scripts/build-peers.sh csi-sidecars`.',
    );
  }
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(dir, f));
}

/**
 * OLM's CRD manifests (CatalogSource, ClusterServiceVersion, InstallPlan, OLMConfig, OperatorCondition,
 * OperatorGroup, Operator, Subscription) of the pinned release, as build-peers.sh copied them beside olm and catalog.
 */
export function olmCrdFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  const olmDir = join(peersDir(env), `olm-${OLM_VERSION}`);
  const dir = join(olmDir, 'crds');
  if (!existsSync(join(olmDir, '.complete')) || !existsSync(dir)) {
    throw new Error(`the CRDs of OLM ${OLM_VERSION} are not in ${dir}. Get them with \`bash scripts/build-peers.sh olm\`.`);
  }
  return readdirSync(dir)
    .filter((f) => f.endsWith('.crd.yaml'))
    .sort()
    .map((f) => join(dir, f));
}
