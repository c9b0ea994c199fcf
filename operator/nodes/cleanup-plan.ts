import type { NodeStatus } from '../../api/generated/types.js';
import { parseResult } from '../../node-agent/prepare-vg/result.js';
import type { JobFacts } from './plan.js';

export interface CleanupOutcome {
  readonly node: string;
  /** Every configured volume group is gone (removed now or never there). */
  readonly removed: boolean;
  readonly message: string;
}

export interface CleanupPlan {
  /** Nodes whose cleanup Job to start now. */
  readonly start: string[];
  readonly outcomes: CleanupOutcome[];
  /** Every node that needs a cleanup has a finished cleanup Job. */
  readonly done: boolean;
  readonly progress: string;
}

/**
 * The RemoveVolumeGroups cleanup on deletion: one `prepare-vg --remove` Job per node that open-local prepared
 * (it has a configHash) and that still exists, at most `concurrency` at a time. prepare-vg itself refuses a VG
 * that holds LVs or is not open-local's; a refusal is reported, never retried, and never blocks the deletion.
 * A node where prepare-vg still runs (`busy`) gets its cleanup Job only after that run ended: one prepare-vg per node.
 */
export function planCleanup(previous: readonly NodeStatus[], existing: ReadonlySet<string>, jobs: readonly JobFacts[], concurrency: number, busy: ReadonlySet<string> = new Set()): CleanupPlan {
  const targets = previous.filter((n) => n.configHash !== undefined && existing.has(n.name)).map((n) => n.name).sort();
  const byNode = new Map(jobs.map((j) => [j.node, j]));
  let running = jobs.filter((j) => j.state === 'Active').length;
  const start: string[] = [];
  const outcomes: CleanupOutcome[] = [];
  for (const node of targets) {
    const job = byNode.get(node);
    if (job?.state === 'Succeeded' || job?.state === 'Failed') {
      outcomes.push(outcome(node, job));
    } else if (!job && !busy.has(node) && running < concurrency) {
      running++;
      start.push(node);
    }
  }
  const waiting = targets.filter((n) => !byNode.has(n) && busy.has(n));
  return {
    start,
    outcomes,
    done: outcomes.length === targets.length,
    progress: `removing volume groups: ${outcomes.length} of ${targets.length} nodes done${waiting.length > 0 ? `; waiting for prepare-vg to finish on ${waiting.join(', ')}` : ''}`,
  };
}

function outcome(node: string, job: JobFacts): CleanupOutcome {
  const parsed = job.resultText === undefined ? undefined : parseResult(job.resultText);
  if (!parsed || 'invalid' in parsed) {
    return { node, removed: false, message: `cleanup Job ${job.name} ${job.failureReason ?? 'failed'} without a result; volume groups kept` };
  }
  if (parsed.error) return { node, removed: false, message: parsed.error };
  const kept = parsed.volumeGroups.filter((v) => v.state !== 'Removed');
  const removed = parsed.volumeGroups.filter((v) => v.state === 'Removed').map((v) => v.name);
  return kept.length === 0
    ? { node, removed: true, message: removed.length > 0 ? `removed ${removed.join(', ')}` : 'no volume groups' }
    : { node, removed: false, message: `kept ${kept.map((v) => `${v.name} (${v.message})`).join(', ')}${removed.length > 0 ? `; removed ${removed.join(', ')}` : ''}` };
}
