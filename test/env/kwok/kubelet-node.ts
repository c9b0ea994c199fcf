// Nodes shaped like the ones a kubelet registers, for kwok to run: the same fields and about the same size
// (~16 KiB of JSON as served, most of it the image list), so the operator's caches, LISTs and watches carry what they would
// carry in a real fleet. kwok's node-initialize stage (node-initialize.yaml) then adds the conditions.
import { createHash } from 'node:crypto';
import { CSI_NODE_ID_ANNOTATION } from '../../../operator/status/registration.js';

export interface KubeletNodeOptions {
  /** Labels beyond the kubelet's own (hostname, os, arch, instance type, zone). */
  readonly labels?: Readonly<Record<string, string>>;
  /** InternalIP of the node. @default derived from `index` in 10.1.0.0/16 */
  readonly internalIP?: string;
  /** Images in status.images (a busy node lists up to the kubelet's nodeStatusMaxImages, 50). @default 50 */
  readonly images?: number;
  /**
   * CSI drivers the kubelet has registered, as its node-ID annotation lists them (kwok runs no plugin pods: a node
   * that must count as serving open-local's driver says so from the start). @default none
   */
  readonly csiDrivers?: readonly string[];
}

export interface KubeletNode {
  readonly apiVersion: 'v1';
  readonly kind: 'Node';
  readonly metadata: { name: string; labels: Record<string, string>; annotations: Record<string, string> };
  readonly spec: { podCIDR: string; podCIDRs: string[]; providerID: string };
  readonly status: {
    capacity: Record<string, string>;
    allocatable: Record<string, string>;
    addresses: { type: string; address: string }[];
    daemonEndpoints: { kubeletEndpoint: { Port: number } };
    nodeInfo: Record<string, string>;
    images: { names: string[]; sizeBytes: number }[];
  };
}

const hex = (seed: string, length = 64): string => createHash('sha256').update(seed).digest('hex').slice(0, length);
/** A UUID-shaped string derived from `seed` (boot IDs and system UUIDs are UUIDs). */
const uuid = (seed: string): string => {
  const h = hex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

/** Repositories a node of a typical fleet has pulled: system pods, storage, monitoring, a few applications. */
const REPOSITORIES = [
  'registry.k8s.io/kube-proxy', 'registry.k8s.io/pause', 'registry.k8s.io/coredns/coredns', 'registry.k8s.io/etcd',
  'registry.k8s.io/sig-storage/csi-node-driver-registrar', 'registry.k8s.io/sig-storage/livenessprobe',
  'registry.k8s.io/sig-storage/csi-provisioner', 'registry.k8s.io/sig-storage/csi-resizer',
  'registry.k8s.io/sig-storage/csi-snapshotter', 'registry.k8s.io/ingress-nginx/controller',
  'registry.k8s.io/metrics-server/metrics-server', 'quay.io/prometheus/node-exporter', 'quay.io/prometheus/prometheus',
  'quay.io/prometheus-operator/prometheus-config-reloader', 'docker.io/grafana/grafana', 'docker.io/grafana/promtail',
  'docker.io/calico/node', 'docker.io/calico/cni', 'docker.io/calico/kube-controllers', 'quay.io/cilium/cilium',
  'quay.io/jetstack/cert-manager-controller', 'quay.io/jetstack/cert-manager-webhook', 'docker.io/library/nginx',
  'docker.io/library/redis', 'docker.io/library/postgres', 'docker.io/library/mysql', 'docker.io/bitnami/kafka',
  'docker.io/bitnami/zookeeper', 'docker.io/library/busybox', 'docker.io/library/alpine', 'ghcr.io/fluxcd/source-controller',
  'ghcr.io/fluxcd/kustomize-controller', 'docker.io/elastic/filebeat', 'docker.io/fluent/fluent-bit',
  'docker.io/openebs/node-disk-manager', 'docker.io/thebeginning/open-local', 'quay.io/argoproj/argocd',
  'docker.io/istio/proxyv2', 'docker.io/istio/pilot', 'docker.io/jaegertracing/jaeger-agent',
];

/** The InternalIP of the node at `index`: 10.1.x.y, never .0 or .255. */
export function nodeIP(index: number): string {
  return `10.1.${Math.floor(index / 254) % 256}.${(index % 254) + 1}`;
}

/**
 * The Node object a kubelet would register for node `name` (the `index`-th of a fleet): labels and annotations
 * the kubelet and the attach-detach controller set, capacity and allocatable with system reservations taken off,
 * addresses, the kubelet endpoint, nodeInfo (with a boot ID) and an image list. Deterministic: the same input
 * gives the same object.
 */
export function kubeletNode(name: string, index: number, opts: KubeletNodeOptions = {}): KubeletNode {
  const ip = opts.internalIP ?? nodeIP(index);
  const imageCount = opts.images ?? 50;
  const zone = `zone-${String.fromCharCode(97 + (index % 3))}`;
  const images = Array.from({ length: imageCount }, (_, i) => {
    const repo = REPOSITORIES[i % REPOSITORIES.length] ?? 'docker.io/library/busybox';
    const tag = `v1.${(i * 7) % 30}.${i % 10}`;
    // Each image was also pulled by a second tag (a distro variant): the kubelet lists every name.
    const names = [`${repo}@sha256:${hex(`${repo}:${tag}`)}`, `${repo}:${tag}`, `${repo}:${tag}-debian-12-r${i}`];
    return { names, sizeBytes: 4_000_000 + ((i * 7_919_011) % 600_000_000) };
  });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'node.kubernetes.io/instance-type': 'ecs.g7.4xlarge',
        'topology.kubernetes.io/region': 'region-1',
        'topology.kubernetes.io/zone': zone,
        type: 'kwok',
        ...opts.labels,
      },
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
        'kwok.x-k8s.io/node': 'fake',
        'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///run/containerd/containerd.sock',
        ...(opts.csiDrivers?.length ? { [CSI_NODE_ID_ANNOTATION]: JSON.stringify(Object.fromEntries(opts.csiDrivers.map((d) => [d, name]))) } : {}),
      },
    },
    spec: { podCIDR: `10.244.${index % 256}.0/24`, podCIDRs: [`10.244.${index % 256}.0/24`], providerID: `kwok://${name}` },
    status: {
      capacity: { cpu: '16', 'ephemeral-storage': '514937088Ki', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: '65293940Ki', pods: '110' },
      allocatable: { cpu: '15890m', 'ephemeral-storage': '474567828662', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: '64191572Ki', pods: '110' },
      addresses: [{ type: 'InternalIP', address: ip }, { type: 'Hostname', address: name }],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: 'amd64',
        bootID: uuid(`boot:${name}`),
        containerRuntimeVersion: 'containerd://1.7.27',
        kernelVersion: '6.1.0-37-amd64',
        kubeProxyVersion: '',
        kubeletVersion: 'v1.34.4',
        machineID: hex(`machine:${name}`, 32),
        operatingSystem: 'linux',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        systemUUID: uuid(`system:${name}`),
      },
      images,
    },
  };
}
