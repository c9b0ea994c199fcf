// Cluster DNS for a test cluster with real nodes: CoreDNS (the peer built by `scripts/build-peers.sh coredns`, its
// `kubernetes` plugin) runs as a process inside the cluster network's namespace, listening on the bridge address,
// and the `kube-system/kube-dns` Service (the Service IP every kubelet's clusterDNS names) has an EndpointSlice
// pointing there, so pods resolve `<svc>.<ns>.svc.cluster.local` through kube-proxy exactly as in a real cluster.
//
// Why a process and not a Deployment pod: the nodes' containerd images come from one shared image disk that other
// parts of the environment fill; a CoreDNS image there would rebuild that disk for every node, while the process
// needs no image and starts in about a second. Pods see the same Service, resolv.conf and names either way.
// CoreDNS authenticates as `system:coredns` with a client certificate and the read-only RBAC of CoreDNS's own
// manifests. There is no upstream resolver on this machine, so names outside the cluster domain are not forwarded.
import { CoreV1Api, DiscoveryV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterNetwork } from './cluster-network.js';
import type { ControlPlane } from './control-plane.js';
import { certKubeconfig, CLUSTER_DOMAIN } from './kubelet-node/config.js';
import { freePorts, httpGet, waitFor } from './net.js';
import { netnsCommand } from './netns.js';
import { peerPath } from './peers.js';
import { issueClientCert } from './pki.js';
import { registerTempDir, startProcess, tailFile, unregisterTempDir } from './processes.js';

/** The cluster DNS Service IP (in the control plane's service CIDR 10.0.0.0/24, as kubeadm's .10). */
export const DNS_SERVICE_IP = '10.0.0.10';
export const DNS_SERVICE = { namespace: 'kube-system', name: 'kube-dns' } as const;

export interface CorefileInput {
  /** Path of CoreDNS's kubeconfig. */
  readonly kubeconfigPath: string;
  /** Port of the `ready` plugin on the namespace's loopback. */
  readonly readyPort: number;
}

/**
 * kubeadm's default Corefile for the cluster domain, less `forward` and `loop` (no upstream resolver here) and with
 * the `kubernetes` plugin reading the apiserver through a kubeconfig (CoreDNS runs outside a pod).
 */
export function corefile(input: CorefileInput): string {
  return `.:53 {
    errors
    ready 127.0.0.1:${input.readyPort}
    kubernetes ${CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {
        kubeconfig ${input.kubeconfigPath}
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 30
    }
    cache 30
    loadbalance
}
`;
}

export interface ClusterDns {
  readonly serviceIp: string;
  readonly logPath: string;
  /** Stops CoreDNS and removes its temp dir (the Service goes with the cluster). Idempotent. */
  stop(): Promise<void>;
}

/** Starts CoreDNS in the cluster network and creates the kube-dns Service; resolves once CoreDNS is ready. */
export async function startClusterDns(opts: {
  readonly controlPlane: ControlPlane;
  readonly network: ClusterNetwork;
  /** @default 60000 */
  readonly startTimeoutMs?: number;
}): Promise<ClusterDns> {
  const coredns = peerPath('coredns');
  const { controlPlane: cp, network } = opts;
  const dir = await mkdtemp(join(tmpdir(), 'open-local-dns-'));
  registerTempDir(dir);
  let proc: ReturnType<typeof startProcess> | undefined;
  let exposed: { stop(): Promise<void> } | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await proc?.stop(5000);
      await exposed?.stop();
      await rm(dir, { recursive: true, force: true });
      unregisterTempDir(dir);
    })());
  try {
    const kc = cp.adminKubeConfig();
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createClusterRole({
      body: {
        metadata: { name: 'system:coredns' },
        rules: [
          { apiGroups: [''], resources: ['endpoints', 'services', 'pods', 'namespaces'], verbs: ['list', 'watch'] },
          { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
        ],
      },
    });
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: 'system:coredns' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:coredns' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'system:coredns' }],
      },
    });
    const port = new URL(cp.server).port;
    const cert = await issueClientCert(cp.pki, dir, 'coredns', 'system:coredns', []);
    const kubeconfigPath = join(dir, 'coredns.kubeconfig');
    await writeFile(
      kubeconfigPath,
      certKubeconfig({
        server: `https://${network.gatewayIp}:${port}`,
        caPath: cp.pki.caCertPath,
        user: 'system:coredns',
        certPath: cert.certPath,
        keyPath: cert.keyPath,
      }),
    );
    // The ready port is chosen free on the host: exposeTcp takes the same number there.
    const [readyPort = 0] = await freePorts(1);
    const confPath = join(dir, 'Corefile');
    await writeFile(confPath, corefile({ kubeconfigPath, readyPort }));
    const logPath = join(dir, 'coredns.log');
    proc = startProcess({
      name: 'coredns',
      ...netnsCommand(network.netns, coredns, ['-conf', confPath]),
      logPath,
    });
    exposed = await network.netns.exposeTcp(readyPort);

    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedService({
      namespace: DNS_SERVICE.namespace,
      body: {
        metadata: { name: DNS_SERVICE.name, labels: { 'k8s-app': 'kube-dns' } },
        spec: {
          clusterIP: DNS_SERVICE_IP,
          ports: [
            { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
            { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
          ],
        },
      },
    });
    // No selector: the endpoint is CoreDNS on the bridge address, written here as a controller would.
    await kc.makeApiClient(DiscoveryV1Api).createNamespacedEndpointSlice({
      namespace: DNS_SERVICE.namespace,
      body: {
        metadata: {
          name: `${DNS_SERVICE.name}-coredns`,
          labels: { 'kubernetes.io/service-name': DNS_SERVICE.name, 'endpointslice.kubernetes.io/managed-by': 'open-local-test' },
        },
        addressType: 'IPv4',
        endpoints: [{ addresses: [network.gatewayIp], conditions: { ready: true } }],
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        ],
      },
    });
    const started = proc;
    await waitFor('CoreDNS ready', async () => (await httpGet(`http://127.0.0.1:${readyPort}/ready`)).status === 200, {
      timeoutMs: opts.startTimeoutMs ?? 60_000,
      intervalMs: 200,
      abort: () => (started.exitInfo() ? `CoreDNS exited:\n${tailFile(logPath, 30)}` : undefined),
    });
    return { serviceIp: DNS_SERVICE_IP, logPath, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
