import type { NodeStatus } from '../../api/generated/types.js';
import type { ResolvedSpec } from '../../synth/resolved-spec.js';
import type { PrepareVgPod } from '../caches.js';
import { clusterJobFacts, nodeFacts, podsByJobUid, strayPods, type FactsNode, type JobObject } from './facts.js';
import { planNodes, type NodeFacts, type NodePlan, type StatusesByNode } from './plan.js';
import { nodePatches, parseRecord, type JobAction, type NodePatch } from './record.js';
import { unreachableNodes } from './unreachable.js';
import { guardUnmarks, type HeldNode } from './volume-guard.js';

/** What the last pass planned for each node of one OpenLocalCluster (by its uid). */
export interface NodeMemory {
  readonly clusterUid: string;
  readonly statuses: StatusesByNode;
}

/** A Node's record that was not trusted, and why (`foreign`: another OpenLocalCluster's; not worth a warning). */
export interface IgnoredRecord {
  readonly node: string;
  readonly why: string;
  readonly foreign: boolean;
}

/** The stages of a pass, in order, for a caller that times them (the pass benchmark). */
export type NodePassStage = 'nodeFacts' | 'jobFacts' | 'plan' | 'patches';

export interface NodePassInput {
  readonly clusterUid: string;
  readonly spec: ResolvedSpec;
  /** Every cached Node. */
  readonly nodes: readonly FactsNode[];
  /** Every Job in the Jobs' namespace: this cluster's prepare Jobs are planned; any Job's pods are not stray. */
  readonly jobs: readonly JobObject[];
  /** The prepare-vg pods in that namespace. */
  readonly pods: readonly PrepareVgPod[];
  /** The last pass's plan, if any. */
  readonly memory: NodeMemory | undefined;
  /** Open-local volumes per node; asked only when the plan unmarks a node. */
  readonly volumesByNode: () => ReadonlyMap<string, readonly string[]>;
  readonly now: Date;
  readonly lap?: (stage: NodePassStage) => void;
}

export interface NodePass {
  readonly nodes: readonly NodeFacts[];
  readonly plan: NodePlan;
  /** The plan, kept for the next pass. */
  readonly memory: NodeMemory;
  readonly ignoredRecords: readonly IgnoredRecord[];
  /** Nodes left marked because they hold volumes although the selector no longer matches them. */
  readonly held: readonly HeldNode[];
  /** Job creations and deletions to send. */
  readonly actions: readonly JobAction[];
  /** One patch per Node whose ready mark or record changes. */
  readonly patches: readonly NodePatch[];
  /** Ready, marked nodes whose kubelet has not registered open-local's CSI driver yet. */
  readonly unregistered: readonly string[];
  /** Nodes whose preparation cannot go on because the node is unreachable (status/conditions.ts reports them). */
  readonly unreachable: readonly string[];
}

/**
 * The pure part of a reconcile pass over the nodes, from the cached objects to the writes: facts, the plan (resumed
 * from the last pass's, or from the Nodes' records after a start), the volume guard, and the Node patches. The
 * controller (operator/controller.ts) sends the writes; the pass benchmark (test/bench/operator-pass.ts) times this.
 */
export function nodePass(input: NodePassInput): NodePass {
  const lap = input.lap ?? (() => undefined);
  const nodes = input.nodes.map(nodeFacts);
  lap('nodeFacts');
  const jobs = clusterJobFacts(input.jobs, podsByJobUid(input.pods), input.clusterUid, 'prepare');
  const stray = strayPods(input.pods, new Set(input.jobs.flatMap((j) => j.metadata?.uid ?? [])));
  lap('jobFacts');
  const previous = previousStatuses(input.memory, input.clusterUid, nodes);
  const plan = planNodes({ spec: input.spec, nodes, jobs, previous: previous.statuses, now: input.now, strayPods: stray });
  lap('plan');
  const unmarks = plan.actions.some((a) => a.type === 'unmarkReady');
  const guarded = unmarks ? guardUnmarks(plan.actions, input.volumesByNode()) : { actions: plan.actions, held: [] };
  const planned = nodePatches({ clusterUid: input.clusterUid, nodes, statuses: plan.byNode, actions: guarded.actions });
  lap('patches');
  return {
    nodes,
    plan,
    memory: { clusterUid: input.clusterUid, statuses: plan.byNode },
    ignoredRecords: previous.ignored,
    held: guarded.held,
    actions: planned.actions,
    patches: planned.patches,
    unregistered: nodes.filter((n) => n.markedReady && n.ready === 'True' && !n.registered).map((n) => n.name),
    unreachable: unreachableNodes(nodes, plan.byNode),
  };
}

/**
 * What the last pass planned for each node, or, after a start (or for a node new since the last pass, e.g.
 * re-selected), what the node's record says: it is all there is to go on. The last plan itself when it knows every
 * node (a pass mid-rollout copies nothing).
 */
export function previousStatuses(memory: NodeMemory | undefined, clusterUid: string, nodes: readonly NodeFacts[]): { statuses: StatusesByNode; ignored: IgnoredRecord[] } {
  if (memory?.clusterUid !== clusterUid) {
    const recorded = recordedStatuses(clusterUid, nodes);
    return { statuses: new Map(recorded.statuses.map((s) => [s.name, s])), ignored: recorded.ignored };
  }
  const unknown = nodes.filter((n) => !memory.statuses.has(n.name));
  if (unknown.length === 0) return { statuses: memory.statuses, ignored: [] };
  const recorded = recordedStatuses(clusterUid, unknown);
  const statuses = new Map(memory.statuses);
  for (const s of recorded.statuses) statuses.set(s.name, s);
  return { statuses, ignored: recorded.ignored };
}

/** The settled states recorded on the Nodes for this cluster; malformed and foreign records are returned apart. */
export function recordedStatuses(clusterUid: string, nodes: readonly NodeFacts[]): { statuses: NodeStatus[]; ignored: IgnoredRecord[] } {
  const statuses: NodeStatus[] = [];
  const ignored: IgnoredRecord[] = [];
  for (const n of nodes) {
    const parsed = parseRecord(n.record, clusterUid, n.name);
    if (parsed === undefined) continue;
    if ('ignored' in parsed) ignored.push({ node: n.name, why: parsed.ignored, foreign: parsed.foreign === true });
    else statuses.push(parsed.status);
  }
  return { statuses, ignored };
}
