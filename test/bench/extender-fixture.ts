// The cluster the extender benchmarks measure (extender.ts through a real API server, extender-inprocess.ts in one
// process), in one place so both measure the same state: N nodes × 2 VGs of 500Gi, 4 bound 20Gi PVs per node, and
// a pod with 3 unbound 100Gi PVCs, sent as kube-scheduler sends it.
import { readFileSync } from 'node:fs';
import type { NodeLocalStorage } from '../../api/generated/types.js';
import { lvmPv, nls, podWithClaims, pvc, storageClass } from '../unit/extender/objects.js';

export const NS = 'bench';
export const PVS_PER_NODE = 4;
const SC = 'open-local-lvm';
const CLAIMS = ['claim-a', 'claim-b', 'claim-c'];

export const nodeName = (i: number): string => `node-${String(i).padStart(5, '0')}`;

/** The StorageClass and the pod's three unbound claims. */
export function sharedObjects(): [ReturnType<typeof storageClass>, ...ReturnType<typeof pvc>[]] {
  return [storageClass(SC, { volumeType: 'LVM' }), ...CLAIMS.map((claim) => pvc(NS, claim, SC, '100Gi'))];
}

/** Node i's NodeLocalStorage (with its status). */
export const nodeStorage = (i: number): NodeLocalStorage => nls(nodeName(i), { vgs: { 'pool-0': 500, 'pool-1': 500 } });

/** Volume v (0..PVS_PER_NODE-1) of node i: a bound PV on pool-0 or pool-1 and its claim. */
export function nodeVolume(i: number, v: number): { pv: ReturnType<typeof lvmPv>; pvc: ReturnType<typeof pvc> } {
  const name = `pv-${nodeName(i)}-${v}`;
  return { pv: lvmPv(name, nodeName(i), `pool-${v % 2}`, '20Gi', { namespace: NS, name }), pvc: pvc(NS, name, SC, '20Gi', { volumeName: name }) };
}

/** A filter or prioritize body for a new pod (its own UID) with the three claims, nodeCacheCapable. */
export function podBody(uid: string, nodeNames: readonly string[]): string {
  const pod = podWithClaims(NS, 'bench-pod', CLAIMS);
  return JSON.stringify({ Pod: { ...pod, metadata: { ...pod.metadata, uid } }, Nodes: null, NodeNames: nodeNames });
}

/** The 1-, 5- and 15-minute load averages: the machine is shared, and latency figures mean little without them. */
export const loadAverage = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

export const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

/** Runs `fn` over `items` with at most `width` calls in flight. */
export async function inParallel<T>(items: readonly T[], width: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++] as T);
  }));
}
