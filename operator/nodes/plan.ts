import type { NodeStatus, ResourceToBeInited } from '../../api/generated/types.js';
import { initConfigHash, resolveNodeConfig, selectorMatches } from '../../lib/storage-config.js';
import { parseResult, resultSucceeded } from '../../node-agent/prepare-vg/result.js';
import type { ResolvedSpec } from '../../synth/resolved-spec.js';
import { failure, summary, vgStatuses } from './job-result.js';

/** What the operator knows of one Node: only what planning reads, so kubelet heartbeats change nothing here. */
export interface NodeFacts {
  readonly name: string;
  /** metadata.uid: a Node deleted and created again under the same name is another machine (or a re-imaged one). */
  readonly uid?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly deleting: boolean;
  /** Whether the node already carries the operator's ready label. */
  readonly markedReady: boolean;
  /** status.nodeInfo.bootID: changes when the node reboots. */
  readonly bootId?: string;
  /** spec.unschedulable (cordoned). */
  readonly unschedulable?: boolean;
  /** The status of the node's Ready condition (absent until the kubelet reports one). */
  readonly ready?: 'True' | 'False' | 'Unknown';
  /** The operator's record of the node (its NODE_STATE_ANNOTATION, unparsed; see record.ts). */
  readonly record?: string;
  /** The node's kubelet has registered open-local's CSI driver (status/registration.ts). */
  readonly registered?: boolean;
}

/** What the operator knows of one prepare-VG Job (and of its own pod, matched by the Job's UID). */
export interface JobFacts {
  readonly name: string;
  readonly node: string;
  readonly configHash: string;
  readonly state: 'Active' | 'Succeeded' | 'Failed' | 'Deleting';
  /** metadata.creationTimestamp, RFC 3339: how long its pod has had to start. */
  readonly createdAt?: string;
  /** When it finished (Succeeded/Failed), RFC 3339. */
  readonly finishedAt?: string;
  /** Why the Job failed, from its Failed condition (e.g. DeadlineExceeded). */
  readonly failureReason?: string;
  /** The prepare-vg container's termination message, when its pod still exists. */
  readonly resultText?: string;
  /** Its pod: absent = none yet; Pending = not started (unscheduled, pulling its image, ...). */
  readonly pod?: 'Pending' | 'Running' | 'Finished';
  /** Why its pod has not started (the scheduler's or the kubelet's words). */
  readonly podWaiting?: string;
  /** The Node UID and boot ID the Job was started for: a Job for another incarnation of the node is stale. */
  readonly nodeUid?: string;
  readonly bootId?: string;
}

export type NodeAction =
  | { readonly type: 'createJob'; readonly node: string; readonly labels: Readonly<Record<string, string>> }
  | { readonly type: 'deleteJob'; readonly name: string }
  | { readonly type: 'markReady'; readonly node: string }
  | { readonly type: 'unmarkReady'; readonly node: string };

/** Orders by name. Node names are DNS subdomains (a-z, 0-9, '-', '.'): code-point order is the locale's, without ICU's cost. */
export const byName = (a: { readonly name: string }, b: { readonly name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Node statuses by node name (in the order the plan met them: sort with byName to list them). */
export type StatusesByNode = ReadonlyMap<string, NodeStatus>;

export interface NodePlan {
  /** By node name. */
  readonly statuses: NodeStatus[];
  /** The same statuses by node name: the next pass's `previous`, the Node patches' input (no map rebuilt per pass). */
  readonly byNode: StatusesByNode;
  readonly actions: NodeAction[];
  /** Re-plan after this long (a backoff or a start timeout expires); undefined = only on events. */
  readonly requeueAfterMs?: number;
}

export interface PlanInput {
  readonly spec: ResolvedSpec;
  readonly nodes: readonly NodeFacts[];
  readonly jobs: readonly JobFacts[];
  /** What the last pass planned (or the Nodes' records say), by node name. */
  readonly previous: StatusesByNode;
  readonly now: Date;
  /** Node name → a prepare-vg pod still running there whose Job is gone: no new Job starts beside it. */
  readonly strayPods?: ReadonlyMap<string, string>;
}

/** Retry delay after the n-th failed prepare-VG run: 30 s doubling, at most 10 minutes (never a tight loop). */
export function retryBackoffMs(attempts: number): number {
  return Math.min(600_000, 30_000 * 2 ** Math.max(0, attempts - 1));
}

/**
 * How long a prepare-VG pod may take to start (be scheduled, pull its image) before its Job is given up and its
 * slot freed: half the run timeout, at most 5 minutes. activeDeadlineSeconds bounds the whole Job, but a slot
 * held that long by a pod that never starts starves every other node.
 */
export function podStartTimeoutMs(spec: ResolvedSpec): number {
  return Math.min(300, Math.ceil(spec.prepareVolumeGroups.timeoutSeconds / 2)) * 1000;
}

/** Which nodes run storage: the spec's selector (none = every node), never a node being deleted. */
export function eligibleNodes(spec: ResolvedSpec, nodes: readonly NodeFacts[]): NodeFacts[] {
  return nodes.filter((n) => !n.deleting && (spec.nodes.selector === undefined || selectorMatches(spec.nodes.selector, n.labels)));
}

/** Why no prepare-VG pod can run on the node now, or undefined. An unknown Ready state does not block. */
function unavailable(node: NodeFacts): { reason: string; message: string } | undefined {
  if (node.unschedulable === true) return { reason: 'NodeUnschedulable', message: 'node is cordoned (spec.unschedulable); preparation starts when it is uncordoned' };
  if (node.ready !== undefined && node.ready !== 'True') return { reason: 'NodeNotReady', message: `node is not Ready (Ready=${node.ready}); preparation starts when it is` };
  return undefined;
}

/** Both known and different (an unknown value, e.g. from an older operator, proves nothing). */
const differs = (a: string | undefined, b: string | undefined): boolean => a !== undefined && b !== undefined && a !== b;

type StatusFields = Omit<NodeStatus, 'name' | 'uid' | 'lastTransitionTime'>;

/**
 * Decides, for every node, whether its volume groups are ready, which prepare-VG Job to run or retire, and
 * which nodes carry the ready mark (the node DaemonSet selects it). Slots go first to nodes never tried, then to
 * retries by due time; nodes that cannot run a pod (cordoned, NotReady) and pods that do not start hold none.
 * Pure: everything read is an argument, and the status depends on `now` only where the state changes.
 */
export function planNodes(input: PlanInput): NodePlan {
  const { spec, jobs, now } = input;
  const eligible = eligibleNodes(spec, input.nodes);
  const eligibleNames = new Set(eligible.map((n) => n.name));
  const prev = input.previous;
  const jobsByNode = new Map(jobs.map((j) => [j.node, j]));
  const startTimeout = podStartTimeoutMs(spec);
  const actions: NodeAction[] = [];
  const statuses = new Map<string, NodeStatus>();
  const candidates: { node: NodeFacts; before: NodeStatus | undefined; retry: boolean; put: (s: StatusFields) => void }[] = [];
  let requeue: number | undefined;
  const requeueIn = (ms: number) => {
    requeue = requeue === undefined ? ms : Math.min(requeue, ms);
  };
  // prepare-vg processes running now: Jobs of nodes that left count too until their pods end.
  let running = jobs.filter((j) => !eligibleNames.has(j.node) && j.pod === 'Running').length;

  // Nodes selected by the same entry share its config object: one hash per entry, not one per node (a pass runs
  // after every Job or pod event; a thousand canonical-JSON hashes each time added up).
  const hashes = new Map<ResourceToBeInited | undefined, string>();
  for (const node of eligible) {
    const init = resolveNodeConfig(spec.storage, node.labels).resourceToBeInited;
    const desiredHash = hashes.get(init) ?? initConfigHash(init);
    hashes.set(init, desiredHash);
    const recorded = prev.get(node.name);
    // A new Node UID under the same name is a new node: nothing recorded for the old one holds for it.
    const before = differs(recorded?.uid, node.uid) ? undefined : recorded;
    const job = jobsByNode.get(node.name);
    const uid = node.uid === undefined ? {} : { uid: node.uid };
    const put = (s: StatusFields) => {
      const since = before?.phase === s.phase && before.lastTransitionTime ? before.lastTransitionTime : now.toISOString();
      statuses.set(node.name, { name: node.name, ...uid, ...s, lastTransitionTime: since });
    };
    // The same object when nothing changes: record.ts keeps each status's serialised record by identity.
    const keep = (s: NodeStatus) => statuses.set(node.name, node.uid === undefined || s.uid === node.uid ? s : { ...s, ...uid });
    const failed = (s: StatusFields) => {
      put(s);
      if (node.markedReady && before?.configHash === undefined) actions.push({ type: 'unmarkReady', node: node.name });
    };
    const rebooted = differs(before?.bootID, node.bootId);
    const finished = job?.state === 'Succeeded' || job?.state === 'Failed';
    const staleJob = job !== undefined && job.state !== 'Deleting' && (differs(job.nodeUid, node.uid) || (finished && (rebooted || differs(job.bootId, node.bootId))));
    // A Job holds a slot while it is active or its pod still runs; branches that give a Job up free it at once.
    if (job && (job.state === 'Active' || job.pod === 'Running')) running++;
    const release = () => {
      if (job?.pod !== 'Running') running--;
    };

    if ((init?.vgs ?? []).length === 0 && (init?.mountpoints ?? []).length === 0 && !job) {
      put({ phase: 'Ready', reason: 'NothingToPrepare', message: 'no volume groups or mount points configured for this node', configHash: desiredHash, attempts: 0 });
      if (!node.markedReady) actions.push({ type: 'markReady', node: node.name });
      continue;
    }
    if (before?.phase === 'Ready' && before.configHash === desiredHash && !rebooted && !staleJob) {
      keep(before);
      // A finished Job stays for its logs until its TTL (ttlSecondsAfterFinished) removes it.
      if (!node.markedReady) actions.push({ type: 'markReady', node: node.name });
      continue;
    }
    if (job && staleJob) {
      // The Job ran for an earlier boot or an earlier Node of this name: its result proves nothing now. prepare-vg
      // runs again to re-verify (a no-op when the volume groups exist) and to mount the mount points again.
      actions.push({ type: 'deleteJob', name: job.name });
      const recreated = differs(job.nodeUid, node.uid);
      put({ phase: 'Preparing', reason: recreated ? 'NodeRecreated' : 'NodeRebooted', message: recreated ? 'node was deleted and created again; preparing it as a new node' : 'node rebooted; verifying its volume groups and mount points again', configHash: before?.configHash, attempts: 0, volumeGroups: before?.volumeGroups });
      continue;
    }
    if (job && job.configHash !== desiredHash) {
      // The config changed under a Job: retire it; the next pass starts one with the new config.
      if (job.state !== 'Deleting') actions.push({ type: 'deleteJob', name: job.name });
      if (job.state === 'Active') release();
      put({ phase: 'Preparing', reason: 'ConfigChanged', message: 'storage config changed; restarting preparation', configHash: before?.configHash, attempts: 0 });
      continue;
    }
    if (job?.state === 'Deleting') {
      // Deleted in the foreground: the Job goes only after its pod ended. A node keeps saying why it was given up
      // (Failed until retried, Pending while it cannot run a pod) instead of flickering through Preparing.
      if (before?.phase === 'Failed' || before?.phase === 'Pending') keep(before);
      else put({ phase: 'Preparing', reason: 'JobDeleting', message: `prepare-VG Job ${job.name}`, configHash: before?.configHash, attempts: before?.attempts ?? 1, volumeGroups: before?.volumeGroups });
      continue;
    }
    if (job?.state === 'Active') {
      const started = job.pod === 'Running' || job.pod === 'Finished';
      const blocked = started ? undefined : unavailable(node);
      if (blocked) {
        actions.push({ type: 'deleteJob', name: job.name });
        release();
        put({ phase: 'Pending', ...blocked, configHash: before?.configHash, attempts: before?.attempts ?? 0, volumeGroups: before?.volumeGroups });
        continue;
      }
      const startBy = !started && job.createdAt !== undefined ? Date.parse(job.createdAt) + startTimeout : undefined;
      if (startBy !== undefined && startBy <= now.getTime()) {
        const attempts = Math.max(1, before?.attempts ?? 1);
        actions.push({ type: 'deleteJob', name: job.name });
        release();
        failed({ phase: 'Failed', reason: 'PodNotStarted', message: `the pod of prepare-VG Job ${job.name} did not start within ${startTimeout / 1000}s${job.podWaiting ? ` (${job.podWaiting})` : ''} (attempt ${attempts})`, configHash: before?.configHash, attempts, retryAt: new Date(now.getTime() + retryBackoffMs(attempts)).toISOString(), volumeGroups: before?.volumeGroups });
        continue;
      }
      if (startBy !== undefined) requeueIn(startBy - now.getTime());
      put({ phase: 'Preparing', reason: 'JobRunning', message: `prepare-VG Job ${job.name}`, configHash: before?.configHash, attempts: before?.attempts ?? 1, volumeGroups: before?.volumeGroups });
      continue;
    }
    if (job && finished) {
      const result = job.resultText === undefined ? undefined : parseResult(job.resultText);
      const parsed = result && !('invalid' in result) ? result : undefined;
      const volumeGroups = parsed ? vgStatuses(parsed) : before?.volumeGroups;
      if (job.state === 'Succeeded' && (!parsed || resultSucceeded(parsed))) {
        put({ phase: 'Ready', reason: 'VolumeGroupsReady', message: summary(parsed), configHash: desiredHash, attempts: 0, volumeGroups, ...(node.bootId ? { bootID: node.bootId } : {}) });
        actions.push({ type: 'markReady', node: node.name });
        continue;
      }
      const attempts = Math.max(1, before?.attempts ?? 1);
      const { reason, message } = failure(job, parsed, result && 'invalid' in result ? result.invalid : undefined);
      const retryAt = job.finishedAt ? Date.parse(job.finishedAt) + retryBackoffMs(attempts) : before?.retryAt ? Date.parse(before.retryAt) : now.getTime() + retryBackoffMs(attempts);
      // The failed Job stays (with its pod's log) until the retry replaces it.
      if (retryAt <= now.getTime()) actions.push({ type: 'deleteJob', name: job.name });
      else requeueIn(retryAt - now.getTime());
      failed({ phase: 'Failed', reason, message: `${message} (attempt ${attempts})`, configHash: before?.configHash, attempts, retryAt: new Date(retryAt).toISOString(), volumeGroups });
      continue;
    }
    // No Job.
    const stray = input.strayPods?.get(node.name);
    if (stray !== undefined) {
      running++;
      if (before?.phase === 'Failed') keep(before);
      else put({ phase: 'Preparing', reason: 'WaitingForOldPod', message: `waiting for pod ${stray} of a deleted prepare-VG Job to end before starting another`, configHash: before?.configHash, attempts: before?.attempts ?? 0, volumeGroups: before?.volumeGroups });
      continue;
    }
    const blocked = unavailable(node);
    if (blocked) {
      if (before?.phase === 'Failed') keep(before);
      else put({ phase: 'Pending', ...blocked, configHash: before?.configHash, attempts: before?.attempts ?? 0, volumeGroups: before?.volumeGroups });
      continue;
    }
    if (before?.phase === 'Failed' && before.retryAt !== undefined && Date.parse(before.retryAt) > now.getTime()) {
      keep(before);
      requeueIn(Date.parse(before.retryAt) - now.getTime());
      continue;
    }
    candidates.push({ node, before, retry: before?.phase === 'Failed', put });
  }

  // Never-tried (and re-verified) nodes first, then retries, the longest-waiting first.
  candidates.sort((a, b) => Number(a.retry) - Number(b.retry) || (a.before?.retryAt ?? '').localeCompare(b.before?.retryAt ?? '') || a.node.name.localeCompare(b.node.name));
  for (const { node, before, retry, put } of candidates) {
    if (running < spec.prepareVolumeGroups.concurrency) {
      running++;
      actions.push({ type: 'createJob', node: node.name, labels: node.labels });
      put({ phase: 'Preparing', reason: 'JobCreated', message: 'preparing volume groups', configHash: before?.configHash, attempts: retry ? (before?.attempts ?? 0) + 1 : 1, volumeGroups: before?.volumeGroups });
    } else if (retry && before) {
      statuses.set(node.name, { ...before, ...(node.uid === undefined ? {} : { uid: node.uid }) });
    } else {
      put({ phase: 'Pending', reason: 'WaitingForSlot', message: `waiting: at most ${spec.prepareVolumeGroups.concurrency} nodes prepare at once`, configHash: before?.configHash, attempts: before?.attempts ?? 0, volumeGroups: before?.volumeGroups });
    }
  }

  // Nodes that left (deleted, deselected): drop their status, their mark and any Job.
  for (const node of input.nodes) if (!eligibleNames.has(node.name) && node.markedReady && !node.deleting) actions.push({ type: 'unmarkReady', node: node.name });
  for (const job of jobs) if (!eligibleNames.has(job.node) && job.state !== 'Deleting') actions.push({ type: 'deleteJob', name: job.name });

  const sorted = [...statuses.values()].sort(byName);
  return { statuses: sorted, byNode: statuses, actions, ...(requeue === undefined ? {} : { requeueAfterMs: requeue }) };
}
