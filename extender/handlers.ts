import type { Evaluator } from './evaluator.js';
import type { ExtenderArgs, ExtenderFilterResult, HostPriority } from './wire.js';

/**
 * Filter: the nodes where all the pod's claims fit. Every failure goes to FailedAndUnresolvableNodes: preempting
 * pods frees no disk space (volumes outlive pods), so kube-scheduler should not try. A pod whose claims cannot be
 * evaluated (a missing PVC, a bad StorageClass) fails every node with that reason, which its events then show.
 */
export function filter(evaluator: Evaluator, args: ExtenderArgs): ExtenderFilterResult {
  const verdict = evaluator.evaluate(args.pod, args.nodeNames);
  const result: ExtenderFilterResult = { NodeNames: [], FailedNodes: {}, FailedAndUnresolvableNodes: {}, Error: '' };
  if ('error' in verdict) {
    for (const node of args.nodeNames) result.FailedAndUnresolvableNodes[node] = verdict.error;
    return result;
  }
  for (const node of args.nodeNames) {
    const fit = verdict.fits.get(node);
    if (fit?.fits) result.NodeNames.push(node);
    else if (fit) result.FailedAndUnresolvableNodes[node] = fit.reason;
  }
  return result;
}

/** Prioritize: 0..10 per node (see allocator/score.ts); nodes where the pod does not fit score 0. */
export function prioritize(evaluator: Evaluator, args: ExtenderArgs): HostPriority[] {
  const verdict = evaluator.evaluate(args.pod, args.nodeNames);
  if ('error' in verdict) return args.nodeNames.map((Host) => ({ Host, Score: 0 }));
  const scores: HostPriority[] = [];
  for (const Host of args.nodeNames) {
    const fit = verdict.fits.get(Host);
    scores.push({ Host, Score: fit?.fits ? fit.score : 0 });
  }
  return scores;
}
