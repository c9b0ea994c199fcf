import { SELECTED_NODE_ANNOTATION } from '../allocator/claims.js';
import type { PersistentVolumeClaim } from '../allocator/kube-types.js';

/**
 * PVCs the scheduler has sent to a node (`volume.kubernetes.io/selected-node`) that are not bound yet, by node.
 * Their volumes are being created; until a PV or LocalVolume exists they are promised space on that node.
 */
export class PromisedIndex {
  private readonly byNode = new Map<string, Set<string>>();
  private readonly nodeOf = new Map<string, string>();
  private readonly onNodeChanged: (node: string) => void;

  /** `onNodeChanged` hears of every node whose promised PVCs changed. */
  constructor(onNodeChanged: (node: string) => void = () => {}) {
    this.onNodeChanged = onNodeChanged;
  }

  /** Records a PVC's state (`deleted` when it is gone). */
  set(pvc: PersistentVolumeClaim, deleted = false): void {
    const key = `${pvc.metadata?.namespace ?? 'default'}/${pvc.metadata?.name ?? ''}`;
    const node = deleted || pvc.spec?.volumeName ? undefined : pvc.metadata?.annotations?.[SELECTED_NODE_ANNOTATION];
    const old = this.nodeOf.get(key);
    if (old === node) return;
    if (old !== undefined) {
      const set = this.byNode.get(old);
      set?.delete(key);
      if (set?.size === 0) this.byNode.delete(old);
      this.nodeOf.delete(key);
      this.onNodeChanged(old);
    }
    if (node !== undefined) {
      this.nodeOf.set(key, node);
      const set = this.byNode.get(node);
      if (set) set.add(key);
      else this.byNode.set(node, new Set([key]));
      this.onNodeChanged(node);
    }
  }

  /** `namespace/name` of the PVCs promised to a node. */
  on(node: string): ReadonlySet<string> | undefined {
    return this.byNode.get(node);
  }
}
