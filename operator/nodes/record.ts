import type { NodeStatus } from '../../api/generated/types.js';
import { canonicalJson } from '../../lib/storage-config.js';
import { STORAGE_READY_LABEL } from '../../synth/names.js';
import type { NodeAction, NodeFacts, StatusesByNode } from './plan.js';

/**
 * Each node's durable open-local state (its NodeStatus), kept on the Node itself rather than in the
 * OpenLocalCluster's status, which must stay small at any fleet size (etcd refuses objects past 1.5 MiB, about
 * 3,800 nodes' worth of status.nodes[]).
 *
 * Why the Node, not a per-node object of our own nor the NodeLocalStorage: the operator already patches every
 * Node once (the ready label the node DaemonSet selects), and the record rides in that same patch, so the
 * success path costs no extra request (the install budget is ~2 per node: the Job and this patch). The
 * NodeLocalStorage belongs to the NLS controller (spec) and the node agent (status), and would add a write per
 * node. `kubectl describe node NAME` shows the record among the annotations.
 *
 * Only settled phases are recorded (Ready: what was prepared, for which config and boot; Failed: attempts and
 * when to retry). Preparing and Pending follow from the Jobs and the Node, so they are never written: a node
 * costs one patch when it is prepared, and one per failure.
 */
export const NODE_STATE_ANNOTATION = 'csi.aliyun.com/open-local-node-state';

/** The recorded phases; the others are derived anew on each pass. */
const DURABLE: ReadonlySet<string> = new Set(['Ready', 'Failed']);
const PHASES: ReadonlySet<string> = new Set(['Pending', 'Preparing', 'Ready', 'Failed']);

/** The annotation's value: the NodeStatus and the uid of the OpenLocalCluster that wrote it. */
export function formatRecord(clusterUid: string, status: NodeStatus): string {
  return canonicalJson({ ...status, cluster: clusterUid });
}

/**
 * formatRecord's text, kept per status object: a pass carries a settled node's status over as the same object
 * (plan.ts), and serialising all of them again on every pass was most of a pass's cost at 5,000 nodes.
 */
const recordTexts = new WeakMap<NodeStatus, { readonly clusterUid: string; readonly text: string }>();
function recordText(clusterUid: string, status: NodeStatus): string {
  const known = recordTexts.get(status);
  if (known?.clusterUid === clusterUid) return known.text;
  const text = formatRecord(clusterUid, status);
  recordTexts.set(status, { clusterUid, text });
  return text;
}

/** `foreign`: written for another OpenLocalCluster (expected on a duplicate; not worth a warning). */
export type ParsedRecord = { readonly status: NodeStatus } | { readonly ignored: string; readonly foreign?: boolean } | undefined;

/** The actions left once the ready marks are folded into Node patches. */
export type JobAction = Extract<NodeAction, { type: 'createJob' | 'deleteJob' }>;

/**
 * Reads a Node's record. One written for another OpenLocalCluster (deleted without its finalizer running) is
 * ignored: it proves nothing about this cluster's config, so the node is prepared again (a no-op when its
 * volume groups exist). Anything malformed is ignored with the reason, never trusted.
 */
export function parseRecord(text: string | undefined, clusterUid: string, node: string): ParsedRecord {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ignored: `annotation ${NODE_STATE_ANNOTATION} on node ${node} is not JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ignored: `annotation ${NODE_STATE_ANNOTATION} on node ${node} is not a JSON object` };
  const { cluster, ...status } = value as Record<string, unknown>;
  if (cluster !== clusterUid) return { ignored: `annotation ${NODE_STATE_ANNOTATION} on node ${node} was written for another OpenLocalCluster (uid ${String(cluster)})`, foreign: true };
  if (status.name !== node || typeof status.phase !== 'string' || !PHASES.has(status.phase)) {
    return { ignored: `annotation ${NODE_STATE_ANNOTATION} on node ${node} has no valid name and phase` };
  }
  for (const key of ['uid', 'reason', 'message', 'configHash', 'retryAt', 'bootID', 'lastTransitionTime'] as const) {
    if (status[key] !== undefined && typeof status[key] !== 'string') return { ignored: `annotation ${NODE_STATE_ANNOTATION} on node ${node}: ${key} is not a string` };
  }
  if (status.attempts !== undefined && (typeof status.attempts !== 'number' || !Number.isInteger(status.attempts) || status.attempts < 0)) {
    return { ignored: `annotation ${NODE_STATE_ANNOTATION} on node ${node}: attempts is not a non-negative integer` };
  }
  if (status.volumeGroups !== undefined && !Array.isArray(status.volumeGroups)) return { ignored: `annotation ${NODE_STATE_ANNOTATION} on node ${node}: volumeGroups is not a list` };
  return { status: status as unknown as NodeStatus };
}

/** The part of a planned status worth recording, or undefined for a transient phase. */
export function durableStatus(status: NodeStatus | undefined): NodeStatus | undefined {
  return status !== undefined && DURABLE.has(status.phase) ? status : undefined;
}

/** One merge patch of a Node's metadata: its ready label and its record, set together in one request. */
export interface NodePatch {
  readonly node: string;
  readonly labels?: Readonly<Record<string, string | null>>;
  readonly annotations?: Readonly<Record<string, string | null>>;
}

export interface NodePatchInput {
  readonly clusterUid: string;
  readonly nodes: readonly NodeFacts[];
  /** The plan's statuses of the eligible nodes, by node name. */
  readonly statuses: StatusesByNode;
  /** The plan's actions after the volume guard (it may have held back unmarks). */
  readonly actions: readonly NodeAction[];
}

/**
 * Folds the ready marks and the record changes into one patch per Node (none for a node with nothing to change),
 * and returns the actions left (the Job ones). A node's record is written when it differs from what the Node
 * carries; a node that left the selection loses its record with its mark (a node kept marked because it holds
 * volumes keeps both).
 */
export function nodePatches(input: NodePatchInput): { patches: NodePatch[]; actions: JobAction[] } {
  const marks = new Map<string, 'true' | null>();
  const actions: JobAction[] = [];
  for (const a of input.actions) {
    if (a.type === 'markReady') marks.set(a.node, 'true');
    else if (a.type === 'unmarkReady') marks.set(a.node, null);
    else actions.push(a);
  }
  const planned = input.statuses;
  const patches: NodePatch[] = [];
  for (const node of input.nodes) {
    if (node.deleting) continue;
    const mark = marks.get(node.name);
    const status = planned.get(node.name);
    let record: string | null | undefined;
    if (status !== undefined) {
      const durable = durableStatus(status);
      // A transient phase leaves the last settled record in place: it is what a restarted operator resumes from.
      if (durable !== undefined) record = recordText(input.clusterUid, durable);
    } else if (node.record !== undefined && (!node.markedReady || mark === null)) {
      record = null;
    }
    const recordChanged = record !== undefined && record !== (node.record ?? null);
    if (mark === undefined && !recordChanged) continue;
    patches.push({
      node: node.name,
      ...(mark === undefined ? {} : { labels: { [STORAGE_READY_LABEL]: mark } }),
      ...(recordChanged ? { annotations: { [NODE_STATE_ANNOTATION]: record ?? null } } : {}),
    });
  }
  return { patches, actions };
}
