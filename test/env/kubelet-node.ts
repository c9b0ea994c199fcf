// A real Kubernetes node for integration tests: a User-Mode Linux guest (real LVM possible, see uml.ts) that runs
// containerd, runc, the CNI bridge and the real kubelet (the peer built by `scripts/build-peers.sh kubelet`), and
// joins the test control plane as `system:node:<name>` with a client certificate from the test PKI. The kubelet
// authenticates and authorizes its own clients with webhooks against the apiserver, as a real node does.
//
// Networking, one of two ways:
// - alone (no `network`): the node has its own network namespace and /24 (nodeNetwork(index)); the apiserver is
//   forwarded to the namespace's side of the tap, so start the control plane with extraSANs:
//   [nodeNetwork(i).hostIp]. The apiserver cannot reach the kubelet: no `kubectl logs/exec`, no Services.
// - in a cluster network (`network`, cluster-network.ts; the control plane started with it): the node's tap is on
//   the cluster's bridge, its pods get its own pod CIDR routed to it, the apiserver reaches its kubelet, and
//   kube-proxy (iptables mode, Debian's iptables-legacy) runs beside the kubelet so Service IPs route from pods and the
//   node; with `clusterDns` pods resolve cluster names (cluster-dns.ts).
//
// Disks: /dev/ubda is containerd's state, a copy-on-write view of the shared image disk (test-images.ts), then the
// storage disks (two sparse 2 GiB disks by default: /dev/ubdb, /dev/ubdc). stop() ends the guest and removes the
// namespace, the tap and the node's temp dir; the process-exit hooks of processes.ts do the same for a crashed run.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterNetwork } from './cluster-network.js';
import type { ControlPlane } from './control-plane.js';
import type { ImageDisk } from './image-disk.js';
import {
  certKubeconfig,
  checkNodeName,
  clusterNodeNetwork,
  cniConflist,
  containerdConfig,
  kubeletConfig,
  kubeProxyConfig,
  nodeNetwork,
  type NodeNetwork,
} from './kubelet-node/config.js';
import { waitFor } from './net.js';
import { createNetns, type TestNetns } from './netns.js';
import { peerPath } from './peers.js';
import { issueClientCert } from './pki.js';
import { registerTempDir, tailFile, tailText, unregisterTempDir } from './processes.js';
import { runInUml, type UmlDisk, type UmlResult } from './uml.js';

const NODE_SCRIPT = new URL('kubelet-node/node.sh', import.meta.url);

export { nodeNetwork } from './kubelet-node/config.js';

export interface KubeletNodeOptions {
  readonly controlPlane: ControlPlane;
  /** Node name (a DNS label). */
  readonly name: string;
  /** Picks the node's network (nodeNetwork(index)); distinct per live node. */
  readonly index: number;
  /** The containerd image disk (testImageDisk()), used read-only as the backing file of the node's disk. */
  readonly imageDisk: ImageDisk;
  /** Disks after containerd's: /dev/ubdb, /dev/ubdc, ... @default two sparse 2G disks, with serials (<node>-b, <node>-c) as real disks have */
  readonly storageDisks?: readonly UmlDisk[];
  /** Guest memory. @default '1G' */
  readonly memory?: string;
  /** The node's pod network when alone (a bridge; not routed). @default '10.88.0.0/16'; in a network: its own /24 */
  readonly podCidr?: string;
  /** The cluster network to join (tap on its bridge, pod CIDR routed, kube-proxy); absent: a namespace of its own. */
  readonly network?: ClusterNetwork;
  /** The cluster DNS Service IP for the kubelet's clusterDNS (ClusterDns.serviceIp). */
  readonly clusterDns?: string;
  /** How long the containerd and the kubelet processes may take to start. @default 180000 */
  readonly startTimeoutMs?: number;
  /**
   * Called once if the guest ends without stop() (its kernel died, or the node script failed): what it printed
   * last, so a node that vanished mid-test is named with its cause at once.
   */
  readonly onGuestEnded?: (report: string) => void;
}

export interface KubeletNode {
  readonly name: string;
  readonly network: NodeNetwork;
  /** Host temp dir of the node: configs, the copy-on-write disk, containerd.log and kubelet.log. */
  readonly dir: string;
  /** The namespace holding the node's tap: its own, or the cluster network's (which outlives the node). */
  readonly netns: TestNetns;
  /** The node's tap device in that namespace. */
  readonly tap: string;
  /** The node's pod CIDR. */
  readonly podCidr: string;
  readonly kubeletLog: string;
  /** kube-proxy's log (in a cluster network only). */
  readonly kubeProxyLog?: string;
  readonly containerdLog: string;
  /** The guest kernel's console (OOM kills and panics show here). */
  readonly consoleLog: string;
  /** Each time the kubelet or kube-proxy exited and was started again (node.sh), with its last log lines; absent if never. */
  readonly restartsLog: string;
  /** The kubelet's /var/log/pods, on the host: <namespace>_<pod>_<uid>/<container>/<restart>.log in CRI format. */
  readonly podLogDir: string;
  /** The guest's console and script output, once it has halted. */
  readonly exited: Promise<UmlResult | Error>;
  /** Why the guest ended without stop() (as onGuestEnded got it); undefined while it runs or after stop(). */
  guestEnded(): string | undefined;
  /** Stops the kubelet and containerd, halts the guest, deletes its namespace or tap and the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** Boots a node and resolves once its kubelet process runs (not yet Ready: wait for the Node's condition). */
export async function startKubeletNode(opts: KubeletNodeOptions): Promise<KubeletNode> {
  checkNodeName(opts.name);
  const kubelet = peerPath('kubelet');
  const cluster = opts.network;
  const network: NodeNetwork = cluster ? clusterNodeNetwork(opts.index) : nodeNetwork(opts.index);
  const podCidr = cluster ? clusterNodeNetwork(opts.index).podCidr : (opts.podCidr ?? '10.88.0.0/16');
  const kubeProxy = cluster ? peerPath('kube-proxy') : undefined;
  const cp = opts.controlPlane;
  const port = Number(new URL(cp.server).port);
  const dir = await mkdtemp(join(tmpdir(), `open-local-node-${opts.name}-`));
  registerTempDir(dir);
  let netns: TestNetns | undefined;
  let attached = false;
  const abort = new AbortController();
  let exited: Promise<UmlResult | Error> | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (exited) {
        await writeFile(join(dir, 'stop'), '');
        const timer = setTimeout(() => {
          abort.abort();
        }, 60_000);
        await exited;
        clearTimeout(timer);
      }
      if (cluster) {
        if (attached) await cluster.detachNode(opts.index);
      } else {
        await netns?.destroy();
      }
      await rm(dir, { recursive: true, force: true });
      unregisterTempDir(dir);
    })());
  try {
    let tap: string;
    if (cluster) {
      // The apiserver runs in the cluster's namespace on the bridge address: no forwarder.
      netns = cluster.netns;
      tap = (await cluster.attachNode(opts.index)).tap;
      attached = true;
    } else {
      netns = await createNetns({ subnet: network.subnet });
      await netns.forwardTcp(port, { host: '127.0.0.1', port });
      tap = netns.tap;
    }
    const server = `https://${network.hostIp}:${port}`;
    const cert = await issueClientCert(cp.pki, dir, 'kubelet', `system:node:${opts.name}`, ['system:nodes']);
    await writeFile(join(dir, 'containerd.toml'), containerdConfig());
    await writeFile(join(dir, '10-open-local-test.conflist'), cniConflist(podCidr));
    await writeFile(
      join(dir, 'kubelet-config.json'),
      kubeletConfig({
        nodeIp: network.guestIp,
        clientCaPath: cp.pki.caCertPath,
        staticPodPath: '/run/kubelet/manifests',
        ...(opts.clusterDns === undefined ? {} : { clusterDns: opts.clusterDns }),
      }),
    );
    if (kubeProxy) {
      // kube-proxy's own identity, bound to system:node-proxier by the apiserver's bootstrap RBAC.
      const proxyCert = await issueClientCert(cp.pki, dir, 'kube-proxy', 'system:kube-proxy', []);
      await writeFile(
        join(dir, 'kube-proxy.kubeconfig'),
        certKubeconfig({
          server,
          caPath: cp.pki.caCertPath,
          user: 'system:kube-proxy',
          certPath: proxyCert.certPath,
          keyPath: proxyCert.keyPath,
        }),
      );
      await writeFile(
        join(dir, 'kube-proxy-config.json'),
        kubeProxyConfig({ nodeName: opts.name, nodeIp: network.guestIp, kubeconfigPath: join(dir, 'kube-proxy.kubeconfig') }),
      );
    }
    await writeFile(
      join(dir, 'kubelet.kubeconfig'),
      certKubeconfig({
        server,
        caPath: cp.pki.caCertPath,
        user: `system:node:${opts.name}`,
        certPath: cert.certPath,
        keyPath: cert.keyPath,
      }),
    );
    const disks: UmlDisk[] = [
      { cow: join(dir, 'containerd.cow'), backing: opts.imageDisk.path },
      ...(opts.storageDisks ?? [{ size: '2G', serial: `${opts.name}-b` }, { size: '2G', serial: `${opts.name}-c` }]),
    ];
    const guest = runInUml({
      disks,
      command: { script: NODE_SCRIPT.pathname },
      env: { NODE_NAME: opts.name, NODE_IP: network.guestIp, NODE_DIR: dir, KUBELET: kubelet, ...(kubeProxy ? { KUBE_PROXY: kubeProxy } : {}) },
      // The default route goes to the namespace, which routes other nodes' pod CIDRs to them.
      tap: { netns: netns.name, device: tap, address: `${network.guestIp}/24`, gateway: network.hostIp },
      memory: opts.memory ?? '1G',
      consoleLog: join(dir, 'console.log'),
      // The node runs until stop(); this only bounds a run whose stop() never comes.
      timeoutMs: 6 * 3600_000,
      signal: abort.signal,
    });
    const ended = guest.then(
      (r) => r,
      (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
    );
    exited = ended;
    let done: UmlResult | Error | undefined;
    let endReport: string | undefined;
    // A guest that ends before its kubelet started fails the start below instead.
    let running = false;
    void ended.then((r) => {
      done = r;
      if (!running || stopping !== undefined) return;
      endReport = guestEndReport(opts.name, r, join(dir, 'kubelet.log'));
      opts.onGuestEnded?.(endReport);
    });
    await waitFor(`kubelet of node ${opts.name}`, () => Promise.resolve(existsSync(join(dir, 'started'))), {
      timeoutMs: opts.startTimeoutMs ?? 180_000,
      intervalMs: 200,
      abort: () => {
        if (done === undefined) return undefined;
        const out = done instanceof Error ? done.message : `exit ${done.exitCode}\n${done.output}`;
        return `the guest ended before the kubelet started: ${out}\n--- containerd.log ---\n${tailFile(join(dir, 'containerd.log'), 20)}`;
      },
    });
    running = true;
    return {
      name: opts.name,
      network,
      dir,
      netns,
      tap,
      podCidr,
      kubeletLog: join(dir, 'kubelet.log'),
      ...(kubeProxy ? { kubeProxyLog: join(dir, 'kube-proxy.log') } : {}),
      containerdLog: join(dir, 'containerd.log'),
      consoleLog: join(dir, 'console.log'),
      restartsLog: join(dir, 'restarts'),
      podLogDir: join(dir, 'pod-logs'),
      exited: ended,
      guestEnded: () => endReport,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** What a guest that ended on its own left behind: the node script's and the guest kernel's last lines, and the kubelet's log. */
function guestEndReport(name: string, r: UmlResult | Error, kubeletLog: string): string {
  const what = r instanceof Error
    ? `the guest of node ${name} ended without stop(): ${r.message}`
    : `the guest of node ${name} ended without stop() (node script exit ${r.exitCode})\n--- node script (tail) ---\n${tailText(r.output)}\n--- guest console (tail) ---\n${tailText(r.console)}`;
  return `${what}\n--- kubelet.log (tail) ---\n${tailFile(kubeletLog, 20)}`;
}

/**
 * Run in the node's namespace: a TLS handshake with the kubelet's port (10250) tells a hung guest from a hung or
 * stopped kubelet, which the logs cannot (a hung guest and a hung kubelet both just stop writing). The kernel
 * accepts a connection even for a process that no longer runs its accept loop; only the kubelet's own TLS server
 * finishes the handshake.
 */
const PROBE_SCRIPT = `
const [host] = process.argv.slice(-1);
const s = require('node:tls').connect({ host, port: 10250, rejectUnauthorized: false });
let connected = false;
const say = (m) => { console.log(m); s.destroy(); };
s.setTimeout(5000);
s.on('connect', () => { connected = true; });
s.on('secureConnect', () => say('the kubelet answers on 10250 (TLS handshake done)'));
s.on('timeout', () => say(connected ? 'the guest accepts on 10250 but the kubelet does not answer in 5 s (kubelet hung)' : 'no answer from the guest in 5 s (guest hung or its network down)'));
s.on('error', (e) => say(e.code === 'ECONNREFUSED' ? 'the guest answers but nothing listens on 10250 (kubelet not running)' : e.code === 'EHOSTUNREACH' ? 'the guest does not answer ARP (guest hung or its network down)' : 'probe error ' + e.code));
`;

/** What answers on a node, for a failure message (see PROBE_SCRIPT); never throws. */
export function probeNode(node: Pick<KubeletNode, 'netns' | 'network'>): Promise<string> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', node.netns.name, process.execPath, '-e', PROBE_SCRIPT, node.network.guestIp], { timeout: 15_000 }, (err, stdout, stderr) => {
      resolve(stdout.trim() || `probe failed: ${err?.message ?? ''} ${stderr.trim()}`.trim());
    });
  });
}

/** A node's own account of itself for a failure message: kubelet or kube-proxy restarts (if any), the kubelet's and the guest console's last lines. */
export function nodeLogTails(node: KubeletNode): string {
  const restarts = tailFile(node.restartsLog, 25);
  return [
    ...(restarts ? [`--- kubelet or kube-proxy restarts on ${node.name} ---`, restarts] : []),
    `--- kubelet log on ${node.name} (tail) ---`, tailFile(node.kubeletLog, 15),
    `--- guest console of ${node.name} (tail) ---`, tailFile(node.consoleLog, 15),
  ].join('\n');
}
