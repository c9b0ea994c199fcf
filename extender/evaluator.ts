import { fitPrepared, prepareClaims } from './allocator/allocate.js';
import { podClaims } from './allocator/claims.js';
import type { Pod } from './allocator/kube-types.js';
import type { AllocatorOptions, NodeFit } from './allocator/types.js';
import type { ClusterState } from './state/cluster-state.js';

/** How a pod fares on (at least) each node asked about, or why its claims cannot be evaluated at all. */
export type PodVerdict = { readonly error: string } | { readonly fits: ReadonlyMap<string, NodeFit> };

/** Recent pods remembered: kube-scheduler asks prioritize right after filter, for the same pod and fewer nodes. */
const REMEMBERED_PODS = 16;

/**
 * Runs the allocator for a pod over the nodes kube-scheduler asks about. The answer for a pod is kept while the
 * cluster state is unchanged (same generation), so prioritize reuses filter's work instead of repeating it.
 */
export class Evaluator {
  private readonly state: ClusterState;
  private readonly options: AllocatorOptions;
  private readonly recent = new Map<string, { generation: number; fits: Map<string, NodeFit> }>();

  constructor(state: ClusterState, options: AllocatorOptions) {
    this.state = state;
    this.options = options;
  }

  evaluate(pod: Pod, nodeNames: readonly string[]): PodVerdict {
    const resolved = podClaims(pod, this.state);
    if ('error' in resolved) return resolved;
    const claims = prepareClaims(resolved.claims);
    const uid = pod.metadata?.uid;
    let entry = uid === undefined ? undefined : this.recent.get(uid);
    if (!entry || entry.generation !== this.state.generation) {
      entry = { generation: this.state.generation, fits: new Map() };
      if (uid !== undefined) this.remember(uid, entry);
    }
    const fits = entry.fits;
    for (const node of nodeNames) {
      if (!fits.has(node)) fits.set(node, fitPrepared(this.state.storage(node), this.state.usage(node), claims, this.options));
    }
    return { fits };
  }

  private remember(uid: string, entry: { generation: number; fits: Map<string, NodeFit> }): void {
    this.recent.delete(uid);
    this.recent.set(uid, entry);
    if (this.recent.size > REMEMBERED_PODS) {
      const oldest = this.recent.keys().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
  }
}
