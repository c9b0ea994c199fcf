// `open-local dev up`: a cluster on this machine made of the test environment's real parts, brought up in the
// order a real one comes up: the cluster network, the control plane in it (the scheduler with the extender entry
// synth renders for the example, verbatim), CoreDNS, the nodes' image disk, N UML kubelet nodes with two storage
// disks each, OLM installing the operator through a Subscription, then the example OpenLocalCluster pointed at the
// guests' disks. Every part started is pushed on a stack; stop() pops and stops them all, so Ctrl-C at any step
// removes what was made and nothing else. The pure parts are in dev/plan.ts.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { KubeApi, type KubeObject } from '../../lib/kube-api.js';
import { loadKubeConfig } from '../../lib/kube-config.js';
import { OPERATOR_NAME } from '../../olm-bundle/project.js';
import { resolveSpec } from '../../synth/resolved-spec.js';
import { schedulerExtenderEntry } from '../../synth/stack/extender.js';
import { startClusterDns } from './cluster-dns.js';
import { clusterImageDisk } from './cluster-images.js';
import { createClusterNetwork } from './cluster-network.js';
import { DEFAULT_CONTROLLERS, startControlPlane, type ControlPlane } from './control-plane.js';
import { conditionChanges, devNodeNames, notReadyExplanation, pointAtGuestDisks, table, type Condition } from './dev/plan.js';
import { nodeLogTails, startKubeletNode, type KubeletNode } from './kubelet-node.js';
import { sleep } from './net.js';
import type { UmlDisk } from './uml.js';
import { snapshotCrdFiles } from './peers.js';
import { OPERATORS_V1ALPHA1, startCatalog, startOlm, subscribe, type Catalog } from './olm.js';

export const OPERATOR_NAMESPACE = 'open-local-system';
const CLUSTER_API = 'csi.aliyun.com/v1alpha1';

export type Report = (step: string, node?: string) => void;

export interface DevClusterOptions {
  readonly nodes: number;
  /** The OpenLocalCluster to apply (its devices are pointed at the guests' disks). */
  readonly exampleFile: string;
  /** Where to write the admin kubeconfig. */
  readonly kubeconfigPath: string;
  readonly report: Report;
  /** Each node's storage disks (/dev/ubdb, ...), by node name. @default two sparse 2 GiB disks in the node's temp dir */
  readonly storageDisks?: (node: string) => readonly UmlDisk[];
}

export interface DevCluster {
  readonly kubeconfigPath: string;
  readonly api: KubeApi;
  readonly controlPlane: ControlPlane;
  /** The nodes running now (startNode and stopNode change it). */
  readonly nodes: readonly KubeletNode[];
  readonly netnsName: string;
  /** The applied OpenLocalCluster's name. */
  readonly clusterName: string;
  /** The catalog OLM installed the operator from (serve() a newer bundle beside it and OLM upgrades). */
  readonly catalog: Catalog;
  /** Temp dirs of every part (gone after stop()). */
  readonly dirs: readonly string[];
  /** Boots node `dev-node-<index>` (again, after stopNode: the same disks when storageDisks names files) and waits for Ready. */
  startNode(index: number): Promise<KubeletNode>;
  /** Halts a node's guest (its Node object stays, going NotReady as a powered-off machine's does). */
  stopNode(name: string): Promise<void>;
}

type Pod = KubeObject & { spec?: { nodeName?: string }; status?: { phase?: string; containerStatuses?: { ready: boolean; restartCount: number; state?: { waiting?: { reason?: string } } }[] } };
type Csv = KubeObject & { status?: { phase?: string; reason?: string; message?: string } };
type Node = KubeObject & { status?: { conditions?: Condition[]; addresses?: { type: string; address: string }[] } };
type OpenLocalCluster = KubeObject & { status?: { phase?: string; conditions?: Condition[]; nodeCounts?: { ready?: number; total?: number } } };

/** What dev up has started, newest last; stop() stops them newest first. */
export class Teardown {
  private readonly parts: { name: string; stop: () => Promise<void> }[] = [];
  private stopping: Promise<void> | undefined;
  add(name: string, stop: () => Promise<void>): void {
    this.parts.push({ name, stop });
  }
  stop(report: (line: string) => void = () => undefined): Promise<void> {
    return (this.stopping ??= (async () => {
      for (const part of this.parts.splice(0).reverse()) {
        report(`stopping ${part.name}`);
        await part.stop().catch((err: unknown) => { report(`stopping ${part.name} failed: ${err instanceof Error ? err.message : String(err)}`); });
      }
    })());
  }
}

async function poll<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>, intervalMs = 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Brings the cluster up to the applied OpenLocalCluster (not waiting for Ready: waitReady). */
export async function startDevCluster(opts: DevClusterOptions, teardown: Teardown): Promise<DevCluster> {
  const { report } = opts;
  const example = pointAtGuestDisks(parse(readFileSync(opts.exampleFile, 'utf8')));
  const spec = resolveSpec(example);
  if (spec.extender.enabled && spec.extender.tls.enabled) {
    throw new Error(`${opts.exampleFile}: extender TLS needs its CA on the scheduler's host at a fixed path (/etc/kubernetes/pki); dev up runs the plain-HTTP extender: set spec.extender.tls.enabled: false`);
  }
  const dirs: string[] = [];

  report('cluster network');
  const network = await createClusterNetwork();
  teardown.add('cluster network', () => network.destroy());

  report('control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler with the extender)');
  const cp = await startControlPlane({
    network: { netns: network.netns, address: network.gatewayIp },
    // What a real cluster runs besides the defaults: node lifecycle (taints, NotReady), EndpointSlices for
    // kube-proxy, and the PV/PVC protection and attach/detach a storage stack meets.
    withControllerManager: {
      controllers: [...DEFAULT_CONTROLLERS, 'node-lifecycle-controller', 'endpointslice-controller', 'endpointslice-mirroring-controller',
        'persistentvolume-protection-controller', 'persistentvolumeclaim-protection-controller', 'persistentvolume-expander-controller',
        'persistentvolume-attach-detach-controller', 'pod-garbage-collector-controller', 'resourcequota-controller'],
    },
    withScheduler: spec.extender.enabled ? { extenders: [schedulerExtenderEntry(spec)] } : true,
    kubeconfigPath: opts.kubeconfigPath,
    startTimeoutMs: 180_000,
  });
  teardown.add('control plane', () => cp.stop());
  dirs.push(cp.dir);
  const api = new KubeApi(loadKubeConfig(cp.kubeconfigPath));

  // A cluster that takes snapshots has external-snapshotter's CRDs as an add-on (the operator refuses to apply a
  // VolumeSnapshotClass without them); the snapshot-controller itself is the example's choice.
  if (spec.csi.snapshots.enabled) {
    report('snapshot CRDs (external-snapshotter add-on)');
    for (const file of snapshotCrdFiles()) await api.createIfAbsent(parse(readFileSync(file, 'utf8')) as KubeObject);
  }

  report('CoreDNS');
  const dns = await startClusterDns({ controlPlane: cp, network, startTimeoutMs: 120_000 });
  teardown.add('CoreDNS', () => dns.stop());

  report('image disk (project image, CSI sidecars)');
  const images = await clusterImageDisk((line) => { report(line); });

  const nodes: KubeletNode[] = [];
  const startNode = async (index: number): Promise<KubeletNode> => {
    const name = devNodeNames(index + 1)[index]!;
    if (nodes.some((n) => n.name === name)) throw new Error(`node ${name} is running already`);
    report('booting node', name);
    const node = await startKubeletNode({
      controlPlane: cp, name, index, imageDisk: images, network, clusterDns: dns.serviceIp, startTimeoutMs: 300_000,
      onGuestEnded: (why) => { report(`NODE GUEST ENDED: ${why}`, name); },
      ...(opts.storageDisks ? { storageDisks: opts.storageDisks(name) } : {}),
    });
    teardown.add(`node ${name}`, () => node.stop());
    nodes.push(node);
    dirs.push(node.dir);
    await poll(`Node ${name} Ready`, 300_000, async () => ((await api.get<Node>('v1', 'Node', name))?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined)).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${nodeLogTails(node)}`);
    });
    report('node Ready', name);
    return node;
  };
  const stopNode = async (name: string): Promise<void> => {
    const i = nodes.findIndex((n) => n.name === name);
    if (i < 0) throw new Error(`node ${name} is not running (running: ${nodes.map((n) => n.name).join(', ') || 'none'})`);
    report('stopping node', name);
    const [node] = nodes.splice(i, 1);
    await node!.stop();
  };
  const names = devNodeNames(opts.nodes);
  const started = await Promise.allSettled(names.map((_, index) => startNode(index)));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;

  report('OLM (olm and catalog operators)');
  const olm = await startOlm(cp, { startTimeoutMs: 120_000, netns: network.netns });
  teardown.add('OLM', () => olm.stop());
  dirs.push(olm.dir);
  report('catalog of olm-bundle/ (opm serve)');
  const catalog = await startCatalog(cp, olm, [new URL('../../olm-bundle', import.meta.url).pathname], { startTimeoutMs: 120_000 });
  teardown.add('catalog', () => catalog.stop());
  dirs.push(catalog.dir);
  await catalog.waitReady(120_000);

  report(`OperatorGroup + Subscription in ${OPERATOR_NAMESPACE}`);
  const sub = await subscribe(api, catalog, OPERATOR_NAMESPACE);
  const csvName = await poll('the Subscription to name its CSV', 180_000, async () =>
    (await api.get<KubeObject & { status?: { currentCSV?: string } }>(OPERATORS_V1ALPHA1, 'Subscription', sub.name, sub.namespace))?.status?.currentCSV);
  report(`waiting for CSV ${csvName} Succeeded and the operator pod Running`);
  let lastPhase = '';
  await poll(`CSV ${csvName} Succeeded`, 300_000, async () => {
    const csv = await api.get<Csv>(OPERATORS_V1ALPHA1, 'ClusterServiceVersion', csvName, OPERATOR_NAMESPACE);
    const phase = `${csv?.status?.phase ?? 'none'} ${csv?.status?.reason ?? ''}`.trim();
    if (phase !== lastPhase) report(`CSV ${phase}`);
    lastPhase = phase;
    return csv?.status?.phase === 'Succeeded' ? true : undefined;
  });
  const operator = await poll('the operator pod Running on a node', 120_000, async () =>
    (await operatorPods(api)).find((p) => p.status?.phase === 'Running' && names.includes(p.spec?.nodeName ?? '')));
  report('operator Running', operator.spec?.nodeName);

  report(`applying OpenLocalCluster ${spec.name} from ${opts.exampleFile} (its devices pointed at the guests' /dev/ubd* disks)`);
  await poll('the OpenLocalCluster CRD served', 60_000, async () => (await api.collectionPath(CLUSTER_API, 'OpenLocalCluster')) || undefined);
  const applied = await api.createIfAbsent<KubeObject>(example);
  return { kubeconfigPath: cp.kubeconfigPath, api, controlPlane: cp, nodes, netnsName: network.netns.name, clusterName: applied?.metadata?.name ?? spec.name, catalog, dirs, startNode, stopNode };
}

export function operatorPods(api: KubeApi): Promise<Pod[]> {
  return api.list<Pod>('v1', 'Pod', { namespace: OPERATOR_NAMESPACE }).then((l) => l.items.filter((p) => p.metadata?.name?.startsWith(`${OPERATOR_NAME}-`)));
}

/** Waits for Ready=True, reporting every condition change; returns undefined once Ready, or why it is not. */
export async function waitReady(dev: DevCluster, timeoutMs: number, report: Report): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  let before: Condition[] = [];
  for (;;) {
    const c = await dev.api.get<OpenLocalCluster>(CLUSTER_API, 'OpenLocalCluster', dev.clusterName).catch(() => undefined);
    const conditions = c?.status?.conditions ?? [];
    for (const line of conditionChanges(before, conditions)) report(line);
    before = conditions;
    if (conditions.some((x) => x.type === 'Ready' && x.status === 'True')) return undefined;
    if (Date.now() > deadline) return notReadyExplanation(conditions);
    await sleep(2000);
  }
}

/** `kubectl get openlocalcluster`, nodes and pods -A, as kubectl prints them. */
export async function statusReport(api: KubeApi): Promise<string> {
  const clusters = (await api.list<OpenLocalCluster>(CLUSTER_API, 'OpenLocalCluster')).items;
  const ready = (cs?: Condition[]) => cs?.find((x) => x.type === 'Ready');
  const nodes = (await api.list<Node>('v1', 'Node')).items;
  const pods = (await api.list<Pod>('v1', 'Pod')).items;
  return [
    table([['NAME', 'PHASE', 'READY', 'NODES-READY', 'NODES', 'REASON'], ...clusters.map((c) => [
      c.metadata?.name ?? '', c.status?.phase ?? '', ready(c.status?.conditions)?.status ?? '', String(c.status?.nodeCounts?.ready ?? ''), String(c.status?.nodeCounts?.total ?? ''), ready(c.status?.conditions)?.reason ?? '',
    ])]),
    '',
    table([['NAME', 'STATUS', 'INTERNAL-IP'], ...nodes.map((n) => [
      n.metadata?.name ?? '', ready(n.status?.conditions)?.status === 'True' ? 'Ready' : 'NotReady', n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '',
    ])]),
    '',
    table([['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'NODE'], ...pods.map((p) => {
      const cs = p.status?.containerStatuses ?? [];
      return [p.metadata?.namespace ?? '', p.metadata?.name ?? '', `${cs.filter((s) => s.ready).length}/${cs.length}`, cs.find((s) => s.state?.waiting?.reason)?.state?.waiting?.reason ?? p.status?.phase ?? '', String(cs.reduce((n, s) => n + s.restartCount, 0)), p.spec?.nodeName ?? ''];
    })]),
  ].join('\n');
}
