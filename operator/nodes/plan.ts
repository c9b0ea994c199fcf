import type { NodeStatus } from '../../api/generated/types.js';
import { initConfigHash, resolveNodeConfig, selectorMatches } from '../../lib/storage-config.js';
import { parseResult, resultSucceeded, type PrepareVgResult } from '../../node-agent/prepare-vg/result.js';
import type { ResolvedSpec } from '../../synth/resolved-spec.js';

/** What the operator knows of one Node. */
export interface NodeFacts {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly deleting: boolean;
  /** Whether the node already carries the operator's ready label. */
  readonly markedReady: boolean;
  /** status.nodeInfo.bootID: changes when the node reboots. */
  readonly bootId?: string;
}

/** What the operator knows of one prepare-VG Job (and its pod's termination message). */
export interface JobFacts {
  readonly name: string;
  readonly node: string;
  readonly configHash: string;
  readonly state: 'Active' | 'Succeeded' | 'Failed' | 'Deleting';
  /** When it finished (Succeeded/Failed), RFC 3339. */
  readonly finishedAt?: string;
  /** Why the Job failed, from its Failed condition (e.g. DeadlineExceeded). */
  readonly failureReason?: string;
  /** The prepare-vg container's termination message, when its pod still exists. */
  readonly resultText?: string;
}

export type NodeAction =
  | { readonly type: 'createJob'; readonly node: string; readonly labels: Readonly<Record<string, string>> }
  | { readonly type: 'deleteJob'; readonly name: string }
  | { readonly type: 'markReady'; readonly node: string }
  | { readonly type: 'unmarkReady'; readonly node: string };

export interface NodePlan {
  readonly statuses: NodeStatus[];
  readonly actions: NodeAction[];
  /** Re-plan after this long (a backoff expires); undefined = only on events. */
  readonly requeueAfterMs?: number;
}

export interface PlanInput {
  readonly spec: ResolvedSpec;
  readonly nodes: readonly NodeFacts[];
  readonly jobs: readonly JobFacts[];
  readonly previous: readonly NodeStatus[];
  readonly now: Date;
}

/** Retry delay after the n-th failed prepare-VG run: 30 s doubling, at most 10 minutes (never a tight loop). */
export function retryBackoffMs(attempts: number): number {
  return Math.min(600_000, 30_000 * 2 ** Math.max(0, attempts - 1));
}

/** Which nodes run storage: the spec's selector (none = every node), never a node being deleted. */
export function eligibleNodes(spec: ResolvedSpec, nodes: readonly NodeFacts[]): NodeFacts[] {
  return nodes.filter((n) => !n.deleting && (spec.nodes.selector === undefined || selectorMatches(spec.nodes.selector, n.labels)));
}

/**
 * Decides, for every node, whether its volume groups are ready, which prepare-VG Job to run or retire, and
 * which nodes carry the ready mark (the node DaemonSet selects it). Pure: everything read is an argument.
 */
export function planNodes(input: PlanInput): NodePlan {
  const { spec, jobs, previous, now } = input;
  const eligible = eligibleNodes(spec, input.nodes);
  const eligibleNames = new Set(eligible.map((n) => n.name));
  const prev = new Map(previous.map((s) => [s.name, s]));
  const jobsByNode = new Map(jobs.map((j) => [j.node, j]));
  const actions: NodeAction[] = [];
  const statuses: NodeStatus[] = [];
  let requeue: number | undefined;
  const requeueIn = (ms: number) => {
    requeue = requeue === undefined ? ms : Math.min(requeue, ms);
  };
  let running = jobs.filter((j) => j.state === 'Active' && eligibleNames.has(j.node)).length;

  for (const node of [...eligible].sort((a, b) => a.name.localeCompare(b.name))) {
    const init = resolveNodeConfig(spec.storage, node.labels).resourceToBeInited;
    const desiredHash = initConfigHash(init);
    const before = prev.get(node.name);
    const job = jobsByNode.get(node.name);
    const transition = (s: Omit<NodeStatus, 'name' | 'lastTransitionTime'>): NodeStatus => ({
      name: node.name,
      ...s,
      lastTransitionTime: before?.phase === s.phase && before.lastTransitionTime ? before.lastTransitionTime : now.toISOString(),
    });

    if ((init?.vgs ?? []).length === 0 && (init?.mountpoints ?? []).length === 0 && !job) {
      statuses.push(transition({ phase: 'Ready', reason: 'NothingToPrepare', message: 'no volume groups or mount points configured for this node', configHash: desiredHash, attempts: 0 }));
      if (!node.markedReady) actions.push({ type: 'markReady', node: node.name });
      continue;
    }
    // prepare-vg mounts without fstab entries (the config is the source of truth): after a reboot it must run again.
    const rebooted = (init?.mountpoints ?? []).length > 0 && before?.bootID !== undefined && node.bootId !== undefined && before.bootID !== node.bootId;
    if (before?.phase === 'Ready' && before.configHash === desiredHash && !rebooted) {
      statuses.push(before);
      // A finished Job stays for its logs until its TTL (ttlSecondsAfterFinished) removes it.
      if (!node.markedReady) actions.push({ type: 'markReady', node: node.name });
      continue;
    }
    if (rebooted && job && job.state !== 'Active' && job.state !== 'Deleting') {
      // The last (finished) Job is from before the reboot: replace it; the next pass starts a fresh one.
      actions.push({ type: 'deleteJob', name: job.name });
      statuses.push(transition({ phase: 'Preparing', reason: 'NodeRebooted', message: 'node rebooted; mounting its mount points again', configHash: before.configHash, attempts: 0, volumeGroups: before.volumeGroups }));
      continue;
    }
    if (job && job.configHash !== desiredHash) {
      // The config changed under a Job: retire it; the next pass starts one with the new config.
      if (job.state !== 'Deleting') actions.push({ type: 'deleteJob', name: job.name });
      if (job.state === 'Active') running--;
      statuses.push(transition({ phase: 'Preparing', reason: 'ConfigChanged', message: 'storage config changed; restarting preparation', configHash: before?.configHash, attempts: 0 }));
      continue;
    }
    if (job?.state === 'Active' || job?.state === 'Deleting') {
      statuses.push(transition({ phase: 'Preparing', reason: job.state === 'Active' ? 'JobRunning' : 'JobDeleting', message: `prepare-VG Job ${job.name}`, configHash: before?.configHash, attempts: before?.attempts ?? 1, volumeGroups: before?.volumeGroups }));
      continue;
    }
    if (job?.state === 'Succeeded' || job?.state === 'Failed') {
      const result = job.resultText === undefined ? undefined : parseResult(job.resultText);
      const parsed = result && !('invalid' in result) ? result : undefined;
      const volumeGroups = parsed ? vgStatuses(parsed) : before?.volumeGroups;
      if (job.state === 'Succeeded' && (!parsed || resultSucceeded(parsed))) {
        statuses.push(transition({ phase: 'Ready', reason: 'VolumeGroupsReady', message: summary(parsed), configHash: desiredHash, attempts: 0, volumeGroups, ...(node.bootId ? { bootID: node.bootId } : {}) }));
        actions.push({ type: 'markReady', node: node.name });
        continue;
      }
      const attempts = Math.max(1, before?.attempts ?? 1);
      const { reason, message } = failure(job, parsed, result && 'invalid' in result ? result.invalid : undefined);
      const finished = job.finishedAt ? Date.parse(job.finishedAt) : now.getTime();
      const wait = finished + retryBackoffMs(attempts) - now.getTime();
      if (wait <= 0) actions.push({ type: 'deleteJob', name: job.name });
      else requeueIn(wait);
      statuses.push(transition({ phase: 'Failed', reason, message: `${message} (attempt ${attempts}; retrying in ${Math.ceil(Math.max(0, wait) / 1000)}s)`, configHash: before?.configHash, attempts, volumeGroups }));
      if (node.markedReady && before?.configHash === undefined) actions.push({ type: 'unmarkReady', node: node.name });
      continue;
    }
    // No Job: start one if the concurrency budget allows.
    if (running < spec.prepareVolumeGroups.concurrency) {
      running++;
      const attempts = before?.phase === 'Failed' ? (before.attempts ?? 0) + 1 : 1;
      actions.push({ type: 'createJob', node: node.name, labels: node.labels });
      statuses.push(transition({ phase: 'Preparing', reason: 'JobCreated', message: 'preparing volume groups', configHash: before?.configHash, attempts, volumeGroups: before?.volumeGroups }));
    } else {
      statuses.push(transition({ phase: before?.phase === 'Failed' ? 'Failed' : 'Pending', reason: before?.phase === 'Failed' ? before.reason : 'WaitingForSlot', message: before?.phase === 'Failed' ? before.message : `waiting: at most ${spec.prepareVolumeGroups.concurrency} nodes prepare at once`, configHash: before?.configHash, attempts: before?.attempts ?? 0, volumeGroups: before?.volumeGroups }));
    }
  }

  // Nodes that left (deleted, deselected): drop their status, their mark and any Job.
  for (const node of input.nodes) if (!eligibleNames.has(node.name) && node.markedReady && !node.deleting) actions.push({ type: 'unmarkReady', node: node.name });
  for (const job of jobs) if (!eligibleNames.has(job.node) && job.state !== 'Deleting') actions.push({ type: 'deleteJob', name: job.name });

  return { statuses, actions, ...(requeue === undefined ? {} : { requeueAfterMs: requeue }) };
}

function vgStatuses(r: PrepareVgResult): NodeStatus['volumeGroups'] {
  return r.volumeGroups.map((v) => ({ name: v.name, state: v.state, devices: [...v.devices], ...(v.size ? { size: v.size } : {}), message: v.message }));
}

function summary(r: PrepareVgResult | undefined): string {
  if (!r || r.volumeGroups.length === 0) return 'no volume groups to prepare';
  return r.volumeGroups.map((v) => `${v.name}: ${v.state}`).join(', ');
}

function failure(job: JobFacts, r: PrepareVgResult | undefined, invalid: string | undefined): { reason: string; message: string } {
  if (r?.error) return { reason: 'InspectionFailed', message: r.error };
  const bad = r?.volumeGroups.filter((v) => v.state === 'Refused' || v.state === 'Failed') ?? [];
  const badMounts = r?.mountPoints.filter((m) => m.state === 'Refused' || m.state === 'Failed') ?? [];
  if (bad.some((v) => v.state === 'Refused') || badMounts.some((m) => m.state === 'Refused')) {
    return { reason: 'DeviceRefused', message: [...bad.map((v) => `${v.name}: ${v.message}`), ...badMounts.map((m) => `${m.path}: ${m.message}`)].join('; ') };
  }
  if (bad.length > 0 || badMounts.length > 0) {
    return { reason: 'PreparationFailed', message: [...bad.map((v) => `${v.name}: ${v.message}`), ...badMounts.map((m) => `${m.path}: ${m.message}`)].join('; ') };
  }
  if (job.failureReason === 'DeadlineExceeded') return { reason: 'JobTimedOut', message: `prepare-VG Job ${job.name} exceeded spec.prepareVolumeGroups.timeoutSeconds` };
  if (invalid) return { reason: 'InvalidResult', message: `prepare-VG Job ${job.name} reported no usable result: ${invalid}` };
  return { reason: 'JobFailed', message: `prepare-VG Job ${job.name} failed${job.failureReason ? ` (${job.failureReason})` : ''}; see its pod's log` };
}
