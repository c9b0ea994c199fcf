import { CSI_DRIVER_NAME } from '../../api/group.js';
import type { KubeObject } from '../../lib/kube-object.js';
import { registersDriver } from '../status/registration.js';
import { STORAGE_READY_LABEL } from '../../synth/names.js';
import { CONFIG_HASH_ANNOTATION, MODE_ANNOTATION, NODE_NAME_ANNOTATION, type PrepareVgMode } from '../../synth/stack/prepare-vg-job.js';
import type { PrepareVgPod } from '../caches.js';
import type { JobFacts, NodeFacts } from './plan.js';
import { NODE_STATE_ANNOTATION } from './record.js';

/** The Node UID and boot ID a prepare-VG Job was started for (set by the operator when it creates the Job). */
export const NODE_UID_ANNOTATION = 'csi.aliyun.com/node-uid';
export const NODE_BOOT_ID_ANNOTATION = 'csi.aliyun.com/node-boot-id';

/** The labels the Job controller puts on its pods: the Job's UID (a name can be reused, a UID cannot). */
const CONTROLLER_UID_LABELS = ['batch.kubernetes.io/controller-uid', 'controller-uid'] as const;

/** A Node as the operator's cache keeps it (cache-trim.ts): the fields facts are read from. */
export type FactsNode = KubeObject & {
  metadata: { labels?: Record<string, string> };
  spec?: { unschedulable?: boolean };
  status?: { nodeInfo?: { bootID?: string }; conditions?: { type: string; status: string }[] };
};
/** A Job as the owned-object cache keeps it. */
export type JobObject = KubeObject & { status?: JobStatus };
interface JobStatus {
  active?: number;
  succeeded?: number;
  failed?: number;
  conditions?: { type: string; status: string; reason?: string; lastTransitionTime?: string }[];
}

/**
 * Facts per cached object: the informer stores a new object for every change, so an object seen before has the
 * same facts, and a pass over 5,000 nodes rebuilds only those of the objects that changed since the last one.
 */
const nodeFactsOf = new WeakMap<FactsNode, NodeFacts>();
const jobFactsOf = new WeakMap<KubeObject, { readonly pod: PrepareVgPod | undefined; readonly facts: JobFacts | undefined }>();

/** Only what planning reads: the Ready condition's status, never its heartbeat timestamps. */
export function nodeFacts(node: FactsNode): NodeFacts {
  let facts = nodeFactsOf.get(node);
  if (facts === undefined) nodeFactsOf.set(node, (facts = readNodeFacts(node)));
  return facts;
}

function readNodeFacts(node: FactsNode): NodeFacts {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  return {
    name: node.metadata.name ?? '',
    ...(node.metadata.uid ? { uid: node.metadata.uid } : {}),
    labels: node.metadata.labels ?? {},
    deleting: node.metadata.deletionTimestamp !== undefined,
    markedReady: node.metadata.labels?.[STORAGE_READY_LABEL] === 'true',
    ...(node.status?.nodeInfo?.bootID ? { bootId: node.status.nodeInfo.bootID } : {}),
    ...(node.spec?.unschedulable === true ? { unschedulable: true } : {}),
    ...(ready === 'True' || ready === 'False' || ready === 'Unknown' ? { ready } : {}),
    ...(node.metadata.annotations?.[NODE_STATE_ANNOTATION] === undefined ? {} : { record: node.metadata.annotations[NODE_STATE_ANNOTATION] }),
    ...(registersDriver(node.metadata.annotations, CSI_DRIVER_NAME) ? { registered: true } : {}),
  };
}

const podUid = (pod: PrepareVgPod): string | undefined => CONTROLLER_UID_LABELS.map((l) => pod.metadata?.labels?.[l]).find((v) => v !== undefined);

/**
 * The prepare-vg pods by the UID of the Job that made them (the first listed, if several): looked up once per Job,
 * where a search of every pod for every Job would be a million label reads a pass at a thousand nodes.
 */
export function podsByJobUid(pods: readonly PrepareVgPod[]): Map<string, PrepareVgPod> {
  const byUid = new Map<string, PrepareVgPod>();
  for (const pod of pods) {
    const uid = podUid(pod);
    if (uid !== undefined && !byUid.has(uid)) byUid.set(uid, pod);
  }
  return byUid;
}

/** The Jobs of one OpenLocalCluster (by owner uid) in one mode (prepare, or remove for the cleanup), as facts. */
export function clusterJobFacts(jobs: readonly JobObject[], pods: ReadonlyMap<string, PrepareVgPod>, clusterUid: string, mode: PrepareVgMode): JobFacts[] {
  const facts: JobFacts[] = [];
  for (const j of jobs) {
    if (!j.metadata?.ownerReferences?.some((r) => r.uid === clusterUid)) continue;
    if ((j.metadata.annotations?.[MODE_ANNOTATION] ?? 'prepare') !== mode) continue;
    const f = jobFacts(j, pods);
    if (f !== undefined) facts.push(f);
  }
  return facts;
}

/** A prepare-VG Job's state and its own pod's (matched by the Job's UID, podsByJobUid) state and termination message. */
export function jobFacts(job: JobObject, pods: ReadonlyMap<string, PrepareVgPod>): JobFacts | undefined {
  const pod = job.metadata?.uid === undefined ? undefined : pods.get(job.metadata.uid);
  const known = jobFactsOf.get(job);
  if (known !== undefined && known.pod === pod) return known.facts;
  const facts = readJobFacts(job, pod);
  jobFactsOf.set(job, { pod, facts });
  return facts;
}

function readJobFacts(job: JobObject, pod: PrepareVgPod | undefined): JobFacts | undefined {
  const node = job.metadata?.annotations?.[NODE_NAME_ANNOTATION];
  const name = job.metadata?.name;
  if (!node || !name) return undefined;
  const s = job.status ?? {};
  const done = (s.conditions ?? []).find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
  const state: JobFacts['state'] = job.metadata?.deletionTimestamp ? 'Deleting' : done?.type === 'Complete' ? 'Succeeded' : done?.type === 'Failed' ? 'Failed' : 'Active';
  const container = pod?.status?.containerStatuses?.find((c) => c.name === 'prepare-vg');
  const message = container?.state?.terminated?.message;
  const phase = pod === undefined ? undefined : podPhase(pod);
  const waiting = phase === 'Pending' ? pod?.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False')?.message ?? container?.state?.waiting?.reason : undefined;
  const annotations = job.metadata?.annotations ?? {};
  return {
    name,
    node,
    configHash: annotations[CONFIG_HASH_ANNOTATION] ?? '',
    state,
    ...(job.metadata?.creationTimestamp ? { createdAt: job.metadata.creationTimestamp } : {}),
    ...(done?.lastTransitionTime ? { finishedAt: done.lastTransitionTime } : {}),
    ...(done?.type === 'Failed' && done.reason ? { failureReason: done.reason } : {}),
    ...(message ? { resultText: message.trim() } : {}),
    ...(phase ? { pod: phase } : {}),
    ...(waiting ? { podWaiting: waiting } : {}),
    ...(annotations[NODE_UID_ANNOTATION] ? { nodeUid: annotations[NODE_UID_ANNOTATION] } : {}),
    ...(annotations[NODE_BOOT_ID_ANNOTATION] ? { bootId: annotations[NODE_BOOT_ID_ANNOTATION] } : {}),
  };
}

/** Pending until a container started; Unknown (node lost) counts as running: prepare-vg may still be at work. */
function podPhase(pod: PrepareVgPod): NonNullable<JobFacts['pod']> {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return 'Finished';
  if (phase === 'Pending' || phase === undefined) return 'Pending';
  return 'Running';
}

/**
 * Nodes where a prepare-vg pod still runs although no Job of that UID exists any more (deleted in the
 * background, by hand or by an older operator): node name → pod name. A new Job there would run a second
 * prepare-vg beside it.
 */
export function strayPods(pods: readonly PrepareVgPod[], jobUids: ReadonlySet<string>): Map<string, string> {
  const stray = new Map<string, string>();
  for (const pod of pods) {
    const node = pod.spec?.nodeName;
    const uid = podUid(pod);
    if (node && (uid === undefined || !jobUids.has(uid)) && podPhase(pod) !== 'Finished') stray.set(node, pod.metadata?.name ?? '');
  }
  return stray;
}
