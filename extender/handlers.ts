import type { Evaluator } from './evaluator.js';
import { hostPriorityListJson, type ExtenderArgs, type ExtenderFilterResult } from './wire.js';

/**
 * Filter: the nodes where all the pod's claims fit. Every failure goes to FailedAndUnresolvableNodes: preempting
 * pods frees no disk space (volumes outlive pods), so kube-scheduler should not try. A pod whose claims cannot be
 * evaluated (a missing PVC, a bad StorageClass) fails every node with that reason, which its events then show.
 */
export function filter(evaluator: Evaluator, args: ExtenderArgs): ExtenderFilterResult {
  const verdict = evaluator.filter(args.pod, args.nodeNames);
  if ('error' in verdict) {
    const failed: Record<string, string> = {};
    for (const node of args.nodeNames) failed[node] = verdict.error;
    return { NodeNames: [], FailedNodes: {}, FailedAndUnresolvableNodes: failed, Error: '' };
  }
  return { NodeNames: verdict.feasible, FailedNodes: {}, FailedAndUnresolvableNodes: verdict.failed, Error: '' };
}

/**
 * Prioritize: 0..10 per node (see allocator/score.ts), as the HostPriorityList's JSON; nodes where the pod
 * does not fit score 0.
 */
export function prioritize(evaluator: Evaluator, args: ExtenderArgs): Buffer {
  const verdict = evaluator.score(args.pod, args.nodeNames);
  return hostPriorityListJson(args.nodeNames, 'error' in verdict ? [] : verdict.scores);
}
