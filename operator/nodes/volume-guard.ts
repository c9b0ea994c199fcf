import { CSI_DRIVER_NAME } from '../../api/group.js';
import type { KubeObject } from '../../lib/kube-object.js';
import type { NodeAction } from './plan.js';

/** A PersistentVolume as far as the guard reads it. */
export type VolumeObject = KubeObject & {
  spec?: {
    csi?: { driver?: string; volumeAttributes?: Record<string, string> };
    nodeAffinity?: { required?: { nodeSelectorTerms?: { matchExpressions?: { key: string; operator: string; values?: string[] }[] }[] } };
    /** LocalVolume */
    nodeName?: string;
  };
};

const HOSTNAME = 'kubernetes.io/hostname';
/** The node Open-Local's CSI controller records in every volume's context. */
const SELECTED_NODE = 'volume.kubernetes.io/selected-node';

/** The node a PersistentVolume of open-local's driver lives on (undefined: not open-local's, or no node). */
export function nodeOfPersistentVolume(pv: VolumeObject): string | undefined {
  if (pv.spec?.csi?.driver !== CSI_DRIVER_NAME) return undefined;
  for (const term of pv.spec.nodeAffinity?.required?.nodeSelectorTerms ?? []) {
    const e = term.matchExpressions?.find((x) => x.key === HOSTNAME && x.operator === 'In' && x.values?.length === 1);
    if (e?.values?.[0]) return e.values[0];
  }
  return pv.spec.csi.volumeAttributes?.[SELECTED_NODE];
}

/**
 * The volumes on each node: open-local PersistentVolumes and LocalVolumes (a PV and its LocalVolume share the
 * volume ID, so each volume is named once), sorted for stable messages.
 */
export function volumesByNode(pvs: readonly VolumeObject[], localVolumes: readonly VolumeObject[]): Map<string, string[]> {
  const byNode = new Map<string, Set<string>>();
  const add = (node: string | undefined, name: string | undefined) => {
    if (!node || !name) return;
    const set = byNode.get(node) ?? new Set<string>();
    set.add(name);
    byNode.set(node, set);
  };
  for (const pv of pvs) add(nodeOfPersistentVolume(pv), pv.metadata?.name);
  for (const lv of localVolumes) add(lv.spec?.nodeName, lv.metadata?.name);
  return new Map([...byNode].sort(([a], [b]) => a.localeCompare(b)).map(([n, s]) => [n, [...s].sort()]));
}

export interface HeldNode {
  readonly node: string;
  readonly volumes: readonly string[];
}

/**
 * Drops the planner's 'unmarkReady' for nodes that still hold volumes: unmarking removes the node plugins, and
 * a volume whose node plugin is gone can be neither mounted, unmounted nor deleted. The held nodes are reported.
 */
export function guardUnmarks(actions: readonly NodeAction[], volumes: ReadonlyMap<string, readonly string[]>): { actions: NodeAction[]; held: HeldNode[] } {
  const held: HeldNode[] = [];
  const kept = actions.filter((a) => {
    if (a.type !== 'unmarkReady') return true;
    const v = volumes.get(a.node);
    if (!v || v.length === 0) return true;
    held.push({ node: a.node, volumes: v });
    return false;
  });
  return { actions: kept, held };
}

/** "pv-1, pv-2 and 3 more": a bounded list for conditions and events. */
export function boundedList(items: readonly string[], max = 5): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

/** What a held node or a blocked deletion tells the user. */
export function describeHeld(held: readonly HeldNode[]): string {
  return boundedList(held.map((h) => `${h.node} (${boundedList(h.volumes, 3)})`), 3);
}
