import { fitPrepared, prepareClaims } from './allocator/allocate.js';
import { podClaims } from './allocator/claims.js';
import type { Pod } from './allocator/kube-types.js';
import type { AllocatorOptions } from './allocator/types.js';
import type { ClusterState } from './state/cluster-state.js';

/** Filter's answer: the nodes that fit, and why the others do not; or why the pod cannot be evaluated at all. */
export type FilterVerdict = { readonly error: string } | { readonly feasible: string[]; readonly failed: Record<string, string> };
/** Prioritize's answer: a score per node asked (0 where the pod does not fit). */
export type ScoreVerdict = { readonly error: string } | { readonly scores: number[] };

/**
 * Runs the allocator for a pod over the nodes kube-scheduler asks about. Filter remembers the scores of the last
 * pod it saw while the cluster state is unchanged (same generation): kube-scheduler asks prioritize right after
 * filter, for the same pod and the nodes that passed, so prioritize looks scores up instead of placing again. Only
 * numbers are kept, in one Map: per-node answers die young, which keeps garbage collection cheap at 5,000 nodes.
 */
export class Evaluator {
  private readonly state: ClusterState;
  private readonly options: AllocatorOptions;
  private last: { uid: string; generation: number; scores: Map<string, number> } | undefined;

  constructor(state: ClusterState, options: AllocatorOptions) {
    this.state = state;
    this.options = options;
  }

  filter(pod: Pod, nodeNames: readonly string[]): FilterVerdict {
    const resolved = podClaims(pod, this.state);
    if ('error' in resolved) return resolved;
    const claims = prepareClaims(resolved.claims);
    const scores = new Map<string, number>();
    const feasible: string[] = [];
    const failed: Record<string, string> = {};
    for (const node of nodeNames) {
      const fit = fitPrepared(this.state.storage(node), this.state.usage(node), claims, this.options);
      if (fit.fits) {
        feasible.push(node);
        scores.set(node, fit.score);
      } else {
        failed[node] = fit.reason;
      }
    }
    const uid = pod.metadata?.uid;
    this.last = uid === undefined ? undefined : { uid, generation: this.state.generation, scores };
    return { feasible, failed };
  }

  score(pod: Pod, nodeNames: readonly string[]): ScoreVerdict {
    const resolved = podClaims(pod, this.state);
    if ('error' in resolved) return resolved;
    const last = this.last;
    const known = last && last.uid === pod.metadata?.uid && last.generation === this.state.generation ? last.scores : undefined;
    let claims: ReturnType<typeof prepareClaims> | undefined;
    const scores: number[] = [];
    for (const node of nodeNames) {
      let score = known?.get(node);
      if (score === undefined) {
        claims ??= prepareClaims(resolved.claims);
        const fit = fitPrepared(this.state.storage(node), this.state.usage(node), claims, this.options);
        score = fit.fits ? fit.score : 0;
      }
      scores.push(score);
    }
    return { scores };
  }
}
