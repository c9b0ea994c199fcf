import { fitScore, prepareClaims, type PreparedClaims } from './allocator/allocate.js';
import { podClaims } from './allocator/claims.js';
import type { Pod } from './allocator/kube-types.js';
import type { AllocatorOptions } from './allocator/types.js';
import type { ClusterState, NodeView } from './state/cluster-state.js';

/** Filter's answer: the nodes that fit, and why the others do not; or why the pod cannot be evaluated at all. */
export type FilterVerdict = { readonly error: string } | { readonly feasible: string[]; readonly failed: Record<string, string> };
/** Prioritize's answer: a score per node asked (0 where the pod does not fit). */
export type ScoreVerdict = { readonly error: string } | { readonly scores: number[] };

/** Filter's feasible nodes and their scores (same index), for one pod at one generation of the state. */
interface LastFilter {
  readonly uid: string;
  readonly generation: number;
  readonly nodes: readonly string[];
  readonly scores: readonly number[];
}

/**
 * Runs the allocator for a pod over the nodes kube-scheduler asks about. Filter remembers the scores of the last
 * pod it saw while the cluster state is unchanged (same generation): kube-scheduler asks prioritize right after
 * filter, for the same pod and the nodes that passed, so prioritize looks scores up instead of placing again.
 * Per request it keeps two flat arrays, not a Map or an object per node: at 5,000 nodes, hashing every name into
 * a fresh Map and garbage per node were most of a request's cost.
 */
export class Evaluator {
  private readonly state: ClusterState;
  private readonly options: AllocatorOptions;
  private last: LastFilter | undefined;
  /**
   * The views of filter's last nodes, by index. kube-scheduler asks about the same nodes in the same order request
   * after request, so a view at a name's index that is of that node and still current is taken without a lookup by
   * name: at 5,000 nodes those lookups were the largest cost left. Nothing of the request itself is kept (its
   * strings would live on into the old generation and wait there for a full GC): the view's own node name is
   * compared, and answered in NodeNames.
   */
  private readonly views: NodeView[] = [];

  constructor(state: ClusterState, options: AllocatorOptions) {
    this.state = state;
    this.options = options;
  }

  filter(pod: Pod, nodeNames: readonly string[]): FilterVerdict {
    const resolved = podClaims(pod, this.state);
    if ('error' in resolved) return resolved;
    const claims = prepareClaims(resolved.claims);
    const feasible: string[] = [];
    const scores: number[] = [];
    const failed: Record<string, string> = {};
    for (let i = 0; i < nodeNames.length; i++) {
      const node = nodeNames[i] ?? '';
      let view = this.views[i];
      if (!view || view.stale || view.storage?.name !== node) this.views[i] = view = this.state.view(node);
      const verdict = this.fit(node, view, claims);
      if (typeof verdict === 'number') {
        feasible.push(view.storage?.name ?? node);
        scores.push(verdict);
      } else {
        failed[node] = verdict;
      }
    }
    if (this.views.length > nodeNames.length) this.views.length = nodeNames.length;
    const uid = pod.metadata?.uid;
    this.last = uid === undefined ? undefined : { uid, generation: this.state.generation, nodes: feasible, scores };
    return { feasible, failed };
  }

  score(pod: Pod, nodeNames: readonly string[]): ScoreVerdict {
    const resolved = podClaims(pod, this.state);
    if ('error' in resolved) return resolved;
    const last = this.last;
    const known = last && last.uid === pod.metadata?.uid && last.generation === this.state.generation ? last : undefined;
    let claims: PreparedClaims | undefined;
    // kube-scheduler sends filter's nodes back in filter's order, so a cursor over them finds each score without a
    // lookup; a node out of that order is looked up by name, and one filter did not see is placed now.
    let cursor = 0;
    let byName: Map<string, number> | undefined;
    const scores: number[] = [];
    for (const node of nodeNames) {
      let score: number | undefined;
      if (known) {
        if (known.nodes[cursor] === node) score = known.scores[cursor++];
        else score = (byName ??= new Map(known.nodes.map((n, i) => [n, known.scores[i] ?? 0]))).get(node);
      }
      if (score === undefined) {
        const verdict = this.fit(node, this.state.view(node), (claims ??= prepareClaims(resolved.claims)));
        score = typeof verdict === 'number' ? verdict : 0;
      }
      scores.push(score);
    }
    return { scores };
  }

  private fit(node: string, view: NodeView, claims: PreparedClaims): number | string {
    return fitScore(view.storage, view.promised ? this.state.usage(node) : view.usage, claims, this.options, view.vgUsed);
  }
}
