import type { ComponentStatus, Condition, NodeStatus, OpenLocalClusterStatus } from '../../api/generated/types.js';
import type { StorageWarning } from './storage-warnings.js';
import { clip, nodesNeedingAttention } from './attention.js';

export const ConditionType = {
  Ready: 'Ready',
  Progressing: 'Progressing',
  Degraded: 'Degraded',
  NodesPrepared: 'NodesPrepared',
  ComponentsAvailable: 'ComponentsAvailable',
  SchedulerExtenderConfigured: 'SchedulerExtenderConfigured',
  StorageConfigWarnings: 'StorageConfigWarnings',
  /** Present only while a rendered name is taken by an object open-local did not create. */
  AdoptionRequired: 'AdoptionRequired',
  /** Present only while volumes keep nodes the selector no longer matches marked. */
  NodeRemovalBlocked: 'NodeRemovalBlocked',
  /** Present only while volumes keep the OpenLocalCluster from being deleted. */
  DeletionBlocked: 'DeletionBlocked',
} as const;

/** Conditions whose True status is the abnormal one (their events are Warnings). */
export const ABNORMAL_WHEN_TRUE: ReadonlySet<string> = new Set([
  ConditionType.Degraded,
  ConditionType.StorageConfigWarnings,
  ConditionType.AdoptionRequired,
  ConditionType.NodeRemovalBlocked,
  ConditionType.DeletionBlocked,
]);

/** Everything one reconcile observed, from which the status is folded. */
export interface Observation {
  readonly generation: number;
  readonly deleting: boolean;
  /** What deletion is doing right now (cleanup progress). */
  readonly deletingMessage?: string;
  /** Set when another OpenLocalCluster is the active one. */
  readonly duplicateOf?: string;
  /** Field errors of a spec the CRD let through but that cannot work. */
  readonly specErrors: readonly string[];
  /** Objects that could not be applied, as "Kind/name: reason". */
  readonly applyErrors: readonly string[];
  /** Every eligible node's status: counted and folded into conditions; at most a few are listed (attention.ts). */
  readonly nodes: readonly NodeStatus[];
  readonly components: readonly ComponentStatus[];
  readonly extenderEnabled: boolean;
  /** Risky but valid settings in spec.storage (storageWarnings): reported, never Degraded. */
  readonly storageWarnings: readonly StorageWarning[];
  /** Same-name objects open-local did not create, each with how to hand it over. */
  readonly adoptionRequired?: readonly string[];
  /** Applies the API server refused as invalid (immutable fields), remembered until something changes. */
  readonly invalidApplies?: readonly string[];
  /**
   * Prepared nodes whose Node is not Ready now (a powered-off or unreachable machine: the node-lifecycle controller
   * set Ready=Unknown), as "node (Ready=Unknown)": their volumes cannot be used until they are back.
   */
  readonly unreachableNodes?: readonly string[];
  /** Nodes kept marked because they hold volumes, as "node (volumes)". */
  readonly heldNodes?: string;
  /** Why deletion waits (volumes that still exist, and what to do). */
  readonly deletionBlocked?: string;
}

type Cond = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;
const cond = (type: string, ok: boolean | 'Unknown', reason: string, message: string): Cond => ({
  type,
  status: ok === 'Unknown' ? 'Unknown' : ok ? 'True' : 'False',
  reason,
  message,
});

const list = (names: readonly string[], max = 5): string =>
  names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;

/**
 * Folds an observation into the status: conditions first (each with a reason a newcomer can act on), then
 * the phase as Deleting > Degraded > Progressing > Ready. Pure; lastTransitionTime moves only when a
 * condition's status changes, so a steady cluster yields an identical status and costs no write.
 */
export function computeStatus(o: Observation, previous: OpenLocalClusterStatus | undefined, now: Date): OpenLocalClusterStatus {
  const conditions: Cond[] = [];
  if (o.duplicateOf !== undefined) {
    const msg = `OpenLocalCluster ${o.duplicateOf} already manages this cluster; only one is allowed. Delete this one.`;
    conditions.push(cond(ConditionType.Ready, false, 'Duplicate', msg), cond(ConditionType.Degraded, true, 'Duplicate', msg), cond(ConditionType.Progressing, false, 'Duplicate', msg));
    return finish(o, previous, now, conditions, 'Degraded');
  }

  const failed = o.nodes.filter((n) => n.phase === 'Failed');
  const waiting = o.nodes.filter((n) => n.phase === 'Pending' || n.phase === 'Preparing');
  const nodesPrepared =
    o.nodes.length === 0
      ? cond(ConditionType.NodesPrepared, false, 'NoEligibleNodes', 'no node matches spec.nodes.selector')
      : failed.length > 0
        ? cond(ConditionType.NodesPrepared, false, failed[0]?.reason ?? 'PreparationFailed', `${failed.length} of ${o.nodes.length} nodes failed: ${list(failed.map((n) => `${n.name} (${clip(n.message ?? n.reason ?? '')})`), 3)}`)
        : waiting.length > 0
          ? cond(ConditionType.NodesPrepared, false, 'Preparing', `${o.nodes.length - waiting.length} of ${o.nodes.length} nodes ready; preparing ${list(waiting.map((n) => n.name))}`)
          : cond(ConditionType.NodesPrepared, true, 'AllNodesReady', `${o.nodes.length} nodes ready`);

  const down = o.components.filter((c) => !c.ready);
  const componentsAvailable =
    down.length === 0
      ? cond(ConditionType.ComponentsAvailable, true, 'AllAvailable', `${o.components.length} components available`)
      : cond(ConditionType.ComponentsAvailable, false, 'ComponentsUnavailable', `not available: ${list(down.map((c) => `${c.name}${c.message ? ` (${c.message})` : ''}`))}`);

  const extender = o.extenderEnabled
    ? cond(ConditionType.SchedulerExtenderConfigured, 'Unknown', 'NotVerified', 'merge ConfigMap open-local-scheduler-config (extender.yaml) into kube-scheduler\'s configuration; the operator cannot verify it')
    : cond(ConditionType.SchedulerExtenderConfigured, true, 'ExtenderDisabled', 'spec.extender.enabled is false');

  const degradedBy: [string, string][] = [
    ...o.specErrors.map((e): [string, string] => ['InvalidSpec', e]),
    ...(o.adoptionRequired ?? []).map((e): [string, string] => ['AdoptionRequired', e]),
    ...(o.invalidApplies ?? []).map((e): [string, string] => ['ChangeRefused', e]),
    ...o.applyErrors.map((e): [string, string] => ['ApplyFailed', e]),
    ...(failed.length > 0 ? [[failed[0]?.reason ?? 'PreparationFailed', nodesPrepared.message] as [string, string]] : []),
    ...(o.unreachableNodes?.length ? [['NodeNotReady', `${list(o.unreachableNodes)} not Ready: volumes there cannot be used until the node is back`] as [string, string]] : []),
  ];
  const degraded = degradedBy.length > 0
    ? cond(ConditionType.Degraded, true, degradedBy[0]?.[0] ?? 'Degraded', list(degradedBy.map(([, m]) => m), 3))
    : cond(ConditionType.Degraded, false, 'AsExpected', 'nothing is failing');

  const progressing = o.deleting
    ? cond(ConditionType.Progressing, true, 'Deleting', o.deletingMessage ?? 'removing the stack')
    : waiting.length > 0 || (down.length > 0 && degradedBy.length === 0)
      ? cond(ConditionType.Progressing, true, waiting.length > 0 ? 'PreparingNodes' : 'WaitingForComponents', waiting.length > 0 ? nodesPrepared.message : componentsAvailable.message)
      : cond(ConditionType.Progressing, false, 'Settled', 'nothing in progress');

  const blocker = [degraded.status === 'True' ? degraded : undefined, nodesPrepared.status !== 'True' ? nodesPrepared : undefined, componentsAvailable.status !== 'True' ? componentsAvailable : undefined].find((c) => c !== undefined);
  const ready = o.deleting
    ? cond(ConditionType.Ready, false, 'Deleting', 'the OpenLocalCluster is being deleted')
    : blocker
      ? cond(ConditionType.Ready, false, blocker.reason, blocker.message)
      : cond(ConditionType.Ready, true, 'Ready', `${o.nodes.length} nodes ready, ${o.components.length} components available`);

  // A warning never blocks Ready nor degrades: the config is valid, only riskier than it needs to be.
  const warnings = o.storageWarnings.length > 0
    ? cond(ConditionType.StorageConfigWarnings, true, 'KernelDeviceNameForced', list(o.storageWarnings.map((w) => w.message), 3))
    : cond(ConditionType.StorageConfigWarnings, false, 'NoWarnings', 'every forced device is named by a stable name');

  conditions.push(ready, progressing, degraded, nodesPrepared, componentsAvailable, extender, warnings);
  if (o.adoptionRequired?.length) conditions.push(cond(ConditionType.AdoptionRequired, true, 'ObjectExists', list(o.adoptionRequired, 3)));
  if (o.heldNodes) conditions.push(cond(ConditionType.NodeRemovalBlocked, true, 'VolumesExist', `kept the node plugins on nodes the selector no longer matches, because they hold volumes: ${o.heldNodes}; delete those PersistentVolumeClaims to release the nodes`));
  if (o.deletionBlocked) conditions.push(cond(ConditionType.DeletionBlocked, true, 'VolumesExist', o.deletionBlocked));
  const phase = o.deleting ? 'Deleting' : degraded.status === 'True' ? 'Degraded' : ready.status === 'True' ? 'Ready' : progressing.status === 'True' ? 'Progressing' : 'Pending';
  return finish(o, previous, now, conditions, phase);
}

function finish(o: Observation, previous: OpenLocalClusterStatus | undefined, now: Date, conditions: Cond[], phase: NonNullable<OpenLocalClusterStatus['phase']>): OpenLocalClusterStatus {
  const before = new Map((previous?.conditions ?? []).map((c) => [c.type, c]));
  const attention = nodesNeedingAttention(o.nodes);
  return {
    observedGeneration: o.generation,
    phase,
    conditions: conditions.map((c) => {
      const old = before.get(c.type);
      return { ...c, observedGeneration: o.generation, lastTransitionTime: old?.status === c.status ? old.lastTransitionTime : now.toISOString() };
    }),
    nodeCounts: countNodes(o.nodes),
    nodes: attention.listed,
    ...(attention.notListed > 0 ? { nodesNotListed: attention.notListed } : {}),
    components: [...o.components],
  };
}

function countNodes(nodes: readonly NodeStatus[]): NonNullable<OpenLocalClusterStatus['nodeCounts']> {
  const counts = { total: nodes.length, ready: 0, failed: 0, preparing: 0, pending: 0 };
  for (const n of nodes) {
    if (n.phase === 'Ready') counts.ready++;
    else if (n.phase === 'Failed') counts.failed++;
    else if (n.phase === 'Preparing') counts.preparing++;
    else counts.pending++;
  }
  return counts;
}
