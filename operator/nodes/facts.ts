import type { KubeObject } from '../../lib/kube-object.js';
import { STORAGE_READY_LABEL } from '../../synth/names.js';
import { CONFIG_HASH_ANNOTATION, NODE_NAME_ANNOTATION } from '../../synth/stack/prepare-vg-job.js';
import type { PodStatus } from '../caches.js';
import type { JobFacts, NodeFacts } from './plan.js';

type Node = KubeObject & { metadata: { labels?: Record<string, string> }; status?: { nodeInfo?: { bootID?: string } } };
interface JobStatus {
  active?: number;
  succeeded?: number;
  failed?: number;
  conditions?: { type: string; status: string; reason?: string; lastTransitionTime?: string }[];
}

export function nodeFacts(node: Node): NodeFacts {
  return {
    name: node.metadata.name ?? '',
    labels: node.metadata.labels ?? {},
    deleting: node.metadata.deletionTimestamp !== undefined,
    markedReady: node.metadata.labels?.[STORAGE_READY_LABEL] === 'true',
    ...(node.status?.nodeInfo?.bootID ? { bootId: node.status.nodeInfo.bootID } : {}),
  };
}

/** A prepare-VG Job's state and its pod's termination message (the prepare-vg result). */
export function jobFacts(job: KubeObject & { status?: JobStatus }, pods: readonly (KubeObject & { status?: PodStatus })[]): JobFacts | undefined {
  const node = job.metadata?.annotations?.[NODE_NAME_ANNOTATION];
  const name = job.metadata?.name;
  if (!node || !name) return undefined;
  const s = job.status ?? {};
  const done = (s.conditions ?? []).find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
  const state: JobFacts['state'] = job.metadata?.deletionTimestamp ? 'Deleting' : done?.type === 'Complete' ? 'Succeeded' : done?.type === 'Failed' ? 'Failed' : 'Active';
  const pod = pods.find((p) => p.metadata?.labels?.['job-name'] === name || p.metadata?.labels?.['batch.kubernetes.io/job-name'] === name);
  const message = pod?.status?.containerStatuses?.find((c) => c.name === 'prepare-vg')?.state?.terminated?.message;
  return {
    name,
    node,
    configHash: job.metadata?.annotations?.[CONFIG_HASH_ANNOTATION] ?? '',
    state,
    ...(done?.lastTransitionTime ? { finishedAt: done.lastTransitionTime } : {}),
    ...(done?.type === 'Failed' && done.reason ? { failureReason: done.reason } : {}),
    ...(message ? { resultText: message.trim() } : {}),
  };
}
