// The configuration files of a UML kubelet node (test/env/kubelet-node.ts), as pure functions of its parameters:
// containerd's config.toml, the CNI network, the KubeletConfiguration and the kubelet's kubeconfig. Every path in
// them is a path inside the guest, whose root is the host's filesystem (hostfs) with guest-private tmpfs mounts on
// /run, /var/lib and /var/log (see node.sh), so nothing the node writes lands on the host.

/** The sandbox image: a static pause binary imported under the tag the kubelet and containerd expect. */
export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10';
/** containerd's socket inside the guest (on the guest's /run tmpfs). */
export const CONTAINERD_SOCKET = '/run/containerd/containerd.sock';
/** Where the CNI network config lives in the guest (a tmpfs, unlike the host's /etc/cni/net.d). */
export const CNI_CONF_DIR = '/run/cni/net.d';
/** Debian's containernetworking-plugins install here. */
export const CNI_BIN_DIR = '/usr/lib/cni';
/** containerd's state: the node's copy-on-write disk over the prepared image disk is mounted here. */
export const CONTAINERD_ROOT = '/var/lib/containerd';

/**
 * containerd 1.6 config (version 2 schema): cgroupfs (there is no systemd in the guest), overlayfs snapshots on
 * the ext4 image disk, CNI from Debian's plugin folder, and the locally imported pause image as the sandbox.
 * Every path containerd writes is on a guest-private mount: /run (tmpfs) or its root (the ext4 disk).
 */
export function containerdConfig(): string {
  return `# containerd config of a UML kubelet node, written by test/env/kubelet-node/config.ts
version = 2
root = "${CONTAINERD_ROOT}"
state = "/run/containerd"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "${CONTAINERD_SOCKET}"

# Its default, /opt/containerd, would be created on the host (the guest's root is the host's filesystem).
[plugins."io.containerd.internal.v1.opt"]
  path = "${CONTAINERD_ROOT}/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE}"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${CNI_BIN_DIR}"
    conf_dir = "${CNI_CONF_DIR}"
`;
}

/** Checks a CIDR of the form a.b.c.d/n (IPv4 only: the nodes' networks are IPv4). */
function checkCidr(what: string, cidr: string): void {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) {
    throw new Error(`${what} '${cidr}' is not an IPv4 CIDR such as 10.88.0.0/16`);
  }
}

/**
 * The pod network of one node: a bridge with host-local addresses from `podCidr` and no masquerading. Pod IPs stay
 * pod IPs between nodes: in a cluster network (clusterNodeNetwork) the namespace routes each node's pod CIDR to it.
 */
export function cniConflist(podCidr: string): string {
  checkCidr('pod CIDR', podCidr);
  return JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: 'open-local-test',
      plugins: [
        {
          type: 'bridge',
          bridge: 'cni0',
          isGateway: true,
          ipMasq: false,
          // A pod that reaches a Service backed by itself comes back through the same bridge port.
          hairpinMode: true,
          ipam: { type: 'host-local', ranges: [[{ subnet: podCidr }]], routes: [{ dst: '0.0.0.0/0' }] },
        },
        { type: 'loopback' },
      ],
    },
    null,
    2,
  ) + '\n';
}

export interface KubeletConfigInput {
  /** The guest's address: the kubelet serves on it and reports it as the Node's InternalIP. */
  readonly nodeIp: string;
  /** CA that signs the clients the kubelet accepts (the test control plane's CA). */
  readonly clientCaPath: string;
  /** Static pod manifests folder inside the guest. */
  readonly staticPodPath: string;
  /** The cluster DNS Service IP pods resolve names with (cluster-dns.ts); none: pods get no resolv.conf entries. */
  readonly clusterDns?: string;
}

/**
 * KubeletConfiguration like a real node's: webhook authentication and authorization against the apiserver, x509
 * clients of the cluster CA, no anonymous access. Adapted to the guest: cgroupfs driver, swap allowed (UML has
 * none, but the check reads /proc/swaps), no host resolv.conf, a shorter pod resync.
 */
export function kubeletConfig(input: KubeletConfigInput): string {
  return JSON.stringify(
    {
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      address: input.nodeIp,
      authentication: {
        anonymous: { enabled: false },
        webhook: { enabled: true },
        x509: { clientCAFile: input.clientCaPath },
      },
      authorization: { mode: 'Webhook' },
      cgroupDriver: 'cgroupfs',
      containerRuntimeEndpoint: `unix://${CONTAINERD_SOCKET}`,
      failSwapOn: false,
      // The guest has no upstream resolver; with clusterDns, pods get the cluster DNS and its search domains.
      resolvConf: '',
      ...(input.clusterDns === undefined ? {} : { clusterDNS: [input.clusterDns], clusterDomain: CLUSTER_DOMAIN }),
      staticPodPath: input.staticPodPath,
      // A pod's volumes are looked at again (online filesystem expansion among them) when the pod is synced: every
      // minute by default. On nodes that run a handful of pods a 10 s resync costs nothing and lets a test see an
      // expansion in seconds rather than in up to a minute and a half.
      syncFrequency: '10s',
    },
    null,
    2,
  ) + '\n';
}

export interface KubeconfigInput {
  readonly server: string;
  readonly caPath: string;
  readonly user: string;
  readonly certPath: string;
  readonly keyPath: string;
}

/** A kubeconfig that authenticates with a client certificate (files referenced by path). */
export function certKubeconfig(input: KubeconfigInput): string {
  return JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'open-local-test', cluster: { server: input.server, 'certificate-authority': input.caPath } }],
      users: [{ name: input.user, user: { 'client-certificate': input.certPath, 'client-key': input.keyPath } }],
      contexts: [{ name: 'open-local-test', context: { cluster: 'open-local-test', user: input.user } }],
      'current-context': 'open-local-test',
    },
    null,
    2,
  ) + '\n';
}

/** The node-to-network plan: node `index` gets its own network namespace and /24. */
export interface NodeNetwork {
  /** The /24 prefix, e.g. '10.232.0'. */
  readonly subnet: string;
  /** The namespace's side of the tap: the apiserver is forwarded here. */
  readonly hostIp: string;
  /** The guest's eth0. */
  readonly guestIp: string;
}

export function nodeNetwork(index: number): NodeNetwork {
  if (!Number.isInteger(index) || index < 0 || index > 255) throw new Error(`node index ${index} is not in 0..255`);
  const subnet = `10.232.${index}`;
  return { subnet, hostIp: `${subnet}.1`, guestIp: `${subnet}.2` };
}

/** A Node name as the kubelet and the Node authorizer take it (a DNS-1123 subdomain, kept short). */
export function checkNodeName(name: string): void {
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) {
    throw new Error(`node name '${name}' must be a DNS label: lowercase letters, digits and '-', at most 63`);
  }
}

/** The DNS domain of the test clusters, as in a default kubeadm cluster. */
export const CLUSTER_DOMAIN = 'cluster.local';
/** All nodes' pod CIDRs together: kube-proxy's clusterCIDR (what comes from outside it is masqueraded). */
export const CLUSTER_POD_CIDR = '10.244.0.0/16';
/** The /24 of a cluster network (cluster-network.ts): the bridge holds .1, node `index` is .(10 + index). */
export const CLUSTER_SUBNET = '10.232.0';
/** How many nodes one cluster network addresses. */
export const MAX_CLUSTER_NODES = 200;

/** One node's place in a cluster network: its tap on the bridge, its address, its own pod CIDR. */
export interface ClusterNodeNetwork extends NodeNetwork {
  readonly tap: string;
  readonly podCidr: string;
}

/** Node `index` of a cluster network: guest <subnet>.(10 + index), pods in 10.244.<index>.0/24. */
export function clusterNodeNetwork(index: number): ClusterNodeNetwork {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_CLUSTER_NODES) {
    throw new Error(`node index ${index} is not in 0..${MAX_CLUSTER_NODES - 1}`);
  }
  return {
    subnet: CLUSTER_SUBNET,
    hostIp: `${CLUSTER_SUBNET}.1`,
    guestIp: `${CLUSTER_SUBNET}.${10 + index}`,
    tap: `tap${index}`,
    podCidr: `10.244.${index}.0/24`,
  };
}

export interface KubeProxyConfigInput {
  readonly nodeName: string;
  readonly nodeIp: string;
  /** Path of kube-proxy's kubeconfig inside the guest. */
  readonly kubeconfigPath: string;
}

/**
 * KubeProxyConfiguration of a node: iptables mode (Debian's iptables, its legacy backend: see node.sh),
 * health and metrics on the node's loopback, and conntrack left as the guest kernel has it (maxPerCore 0: kube-proxy
 * does not write nf_conntrack_max, which UML's small memory sized already).
 */
export function kubeProxyConfig(input: KubeProxyConfigInput): string {
  return JSON.stringify(
    {
      apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
      kind: 'KubeProxyConfiguration',
      mode: 'iptables',
      clientConnection: { kubeconfig: input.kubeconfigPath },
      hostnameOverride: input.nodeName,
      bindAddress: input.nodeIp,
      clusterCIDR: CLUSTER_POD_CIDR,
      // NodePorts on the node's own address only (kube-proxy warns that "all local IPs" is the default).
      nodePortAddresses: ['primary'],
      healthzBindAddress: '127.0.0.1:10256',
      metricsBindAddress: '127.0.0.1:10249',
      conntrack: { maxPerCore: 0 },
    },
    null,
    2,
  ) + '\n';
}
