// What the volume scenarios read to check where space went and what a volume is: the extender's `/cache` (what the
// scheduler is told), each node's NodeLocalStorage (what the agent found in LVM), the node's own LVM (read through
// its node plugin pod, as a storage engineer would with `kubectl exec`), and the PVs of a namespace's claims. The extender is
// reached through the apiserver's pod proxy, on a Ready pod behind its Service: the apiserver's service proxy needs
// v1 Endpoints, which the dev cluster does not make (it runs the EndpointSlice controller only, as kube-proxy needs).
import type { KubeObject } from '../../lib/kube-api.js';
import { names, selectorLabels } from '../../synth/names.js';
import { STACK_NAMESPACE, type E2eCluster } from './cluster.js';
import { inNodePlugin, waitFor } from './support.js';

export const VG = 'open-local-pool-0';
export const MI = 2 ** 20;

export interface CacheVg { readonly name: string; readonly capacity: number; readonly used: number }
interface CacheNode { readonly name: string; readonly volumeGroups: CacheVg[] }

/** The extender's view of `node`'s VG, from `/cache` of a Ready extender pod (any replica: each rebuilds from informers). */
export async function extenderVg(c: E2eCluster, node: string): Promise<CacheVg> {
  type Pod = KubeObject & { status?: { conditions?: { type: string; status: string }[] } };
  const selector = Object.entries(selectorLabels(names.extender)).map(([k, v]) => `${k}=${v}`).join(',');
  const pods = (await c.api.list<Pod>('v1', 'Pod', { namespace: STACK_NAMESPACE, labelSelector: selector })).items;
  const ready = pods.find((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'));
  if (!ready) throw new Error(`no Ready ${names.extender} pod`);
  const port = (await c.kubectl(['get', 'service', names.extender, '-n', STACK_NAMESPACE, '-o', 'jsonpath={.spec.ports[?(@.name=="http")].port}'])).trim();
  const path = `/api/v1/namespaces/${STACK_NAMESPACE}/pods/${ready.metadata!.name!}:${port}/proxy/cache?nodeName=${node}`;
  const view = JSON.parse(await c.kubectl(['get', '--raw', path])) as CacheNode;
  const vg = view.volumeGroups.find((v) => v.name === VG);
  if (!vg) throw new Error(`the extender's /cache has no VG ${VG} on ${node}: ${JSON.stringify(view)}`);
  return vg;
}

export interface NlsVg {
  readonly allocatable: number;
  /** Free bytes in the VG as the agent last read them from LVM. */
  readonly available: number;
  /** LV name → size in bytes. */
  readonly lvs: ReadonlyMap<string, number>;
}

/** `node`'s VG as its NodeLocalStorage status shows it. */
export async function nodeLocalStorageVg(c: E2eCluster, node: string): Promise<NlsVg> {
  type Lv = { name: string; vgname?: string; total: number | string };
  type Nls = { status?: { nodeStorageInfo?: { volumeGroups?: { name: string; allocatable: number | string; available: number | string; logicalVolumes?: Lv[] }[] } } };
  const nls = JSON.parse(await c.kubectl(['get', 'nodelocalstorage', node, '-o', 'json'])) as Nls;
  const vg = nls.status?.nodeStorageInfo?.volumeGroups?.find((v) => v.name === VG);
  if (!vg) throw new Error(`NodeLocalStorage ${node} shows no VG ${VG}`);
  return { allocatable: Number(vg.allocatable), available: Number(vg.available), lvs: new Map((vg.logicalVolumes ?? []).map((lv) => [lv.name, Number(lv.total)])) };
}

export const sum = (xs: Iterable<number>): number => [...xs].reduce((a, b) => a + b, 0);

export type Pv = KubeObject & {
  spec: {
    capacity: { storage: string };
    claimRef?: { namespace: string; name: string };
    csi?: { volumeHandle: string; volumeAttributes?: Record<string, string> };
    nodeAffinity?: { required?: { nodeSelectorTerms?: { matchExpressions?: { key: string; operator: string; values?: string[] }[] }[] } };
  };
};

/** The PVs bound to claims of `namespace`. */
export async function pvsOf(c: E2eCluster, namespace: string): Promise<Pv[]> {
  const pvs = (await c.api.list<Pv>('v1', 'PersistentVolume')).items;
  return pvs.filter((pv) => pv.spec.claimRef?.namespace === namespace);
}

/** The nodes a PV's node affinity allows (`kubernetes.io/hostname In [...]`, or the driver's topology key). */
export function pvNodes(pv: Pv): string[] {
  return (pv.spec.nodeAffinity?.required?.nodeSelectorTerms ?? []).flatMap((t) => (t.matchExpressions ?? []).filter((e) => e.operator === 'In').flatMap((e) => e.values ?? []));
}

/** The node a local PV is pinned to. */
export function volumeNode(pv: Pv): string | undefined {
  return pvNodes(pv)[0];
}

/** The PV bound to a claim, once the claim is Bound. */
export async function boundVolume(c: E2eCluster, namespace: string, claimName: string): Promise<Pv> {
  const pvName = await waitFor(`PVC ${namespace}/${claimName} Bound`, async () => {
    const pvc = JSON.parse(await c.kubectl(['get', 'pvc', '-n', namespace, claimName, '-o', 'json'])) as { spec?: { volumeName?: string }; status?: { phase?: string } };
    return pvc.status?.phase === 'Bound' && pvc.spec?.volumeName ? pvc.spec.volumeName : undefined;
  }, 60_000);
  return JSON.parse(await c.kubectl(['get', 'pv', pvName, '-o', 'json'])) as Pv;
}

/** The LVs of the e2e VG on a node as its LVM reports them, by name (sizes in bytes). */
export async function logicalVolumes(c: E2eCluster, node: string): Promise<Map<string, number>> {
  const out = await inNodePlugin(c, node, `lvs --noheadings --units b --nosuffix -o lv_name,lv_size ${VG}`);
  return new Map(out.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f.length === 2).map(([n, s]) => [n!, Number(s)]));
}

/** Waits until no PV is bound to a claim of `namespace` any more (reclaim Delete: the driver removed each LV). */
export async function volumesOfNamespaceGone(c: E2eCluster, namespace: string, timeoutMs = 300_000): Promise<void> {
  await waitFor(`the PVs of namespace ${namespace} deleted`, async () => ((await pvsOf(c, namespace)).length === 0 ? true : undefined), timeoutMs, 2000);
}

/** The storage nodes (dev-node-N, Ready), sorted. */
export async function storageNodes(c: E2eCluster): Promise<string[]> {
  const out = await c.kubectl(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}']);
  return out.trim().split('\n').map((l) => l.split(' ')).filter(([n, ready]) => /^dev-node-\d+$/.test(n ?? '') && ready === 'True').map(([n]) => n!).sort();
}

/**
 * Deletes the namespace's PVCs and waits until their PVs are gone and the extender counts on each node what it
 * counted before (`usedBefore`, by node): the LVs are removed, the space is free again.
 */
export async function waitVolumesReleased(c: E2eCluster, namespace: string, usedBefore: ReadonlyMap<string, number>): Promise<void> {
  const pvs = await pvsOf(c, namespace);
  await c.kubectl(['delete', 'pvc', '--all', '-n', namespace, '--ignore-not-found', '--wait=false']);
  await volumesOfNamespaceGone(c, namespace, 600_000);
  const lvNames = pvs.map((pv) => pv.spec.csi?.volumeHandle ?? pv.metadata?.name ?? '');
  for (const [node, used] of usedBefore) {
    await waitFor(`${node}: the LVs of ${namespace} gone from its NodeLocalStorage and ${VG} used back to ${used / MI}Mi in /cache`, async () => {
      const nls = await nodeLocalStorageVg(c, node);
      const cache = await extenderVg(c, node);
      return lvNames.every((lv) => !nls.lvs.has(lv)) && cache.used === used ? true : undefined;
    }, 300_000, 2000);
  }
}
