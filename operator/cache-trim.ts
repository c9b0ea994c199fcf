import { cachedMeta } from '../lib/cached-meta.js';
import type { KubeObject, ObjectMeta } from '../lib/kube-object.js';
import { NODE_STATE_ANNOTATION } from './nodes/record.js';
import { CSI_NODE_ID_ANNOTATION } from './status/registration.js';
import type { PrepareVgPod } from './caches.js';
import type { VolumeObject } from './nodes/volume-guard.js';
import { NODE_BOOT_ID_ANNOTATION, NODE_UID_ANNOTATION, type JobObject } from './nodes/facts.js';
import { CONFIG_HASH_ANNOTATION, MODE_ANNOTATION, NODE_NAME_ANNOTATION } from '../synth/stack/prepare-vg-job.js';

/**
 * What the operator caches of Nodes, prepare-VG Jobs and Pods and PersistentVolumes: only the fields it reads (nodeFacts,
 * jobFacts, volume-guard), applied by the informer before an object is stored. A real Node is ~18 KB of JSON
 * (images, heartbeat conditions, managed fields); 5,000 of them parsed are ~160 MiB, their facts a few MiB.
 */
export type CachedNode = KubeObject & {
  metadata: ObjectMeta;
  spec?: { unschedulable?: boolean };
  status?: { nodeInfo?: { bootID?: string }; conditions?: { type: string; status: string }[] };
};

const kindOf = (o: KubeObject): KubeObject => ({ ...(o.apiVersion ? { apiVersion: o.apiVersion } : {}), ...(o.kind ? { kind: o.kind } : {}) });

/** Labels (selectors, the ready mark), the node's record, cordon, boot ID and the Ready condition's status. */
export function trimNode(node: CachedNode): CachedNode {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const bootID = node.status?.nodeInfo?.bootID;
  return {
    ...kindOf(node),
    metadata: cachedMeta(node.metadata, { labels: true, annotations: [NODE_STATE_ANNOTATION, CSI_NODE_ID_ANNOTATION] }),
    ...(node.spec?.unschedulable === true ? { spec: { unschedulable: true } } : {}),
    status: { ...(bootID ? { nodeInfo: { bootID } } : {}), ...(ready ? { conditions: [{ type: 'Ready', status: ready.status }] } : {}) },
  };
}

/** Its node, phase, the PodScheduled refusal and the prepare-vg container's state (its termination message). */
export function trimPrepareVgPod(pod: PrepareVgPod): PrepareVgPod {
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  const container = pod.status?.containerStatuses?.find((c) => c.name === 'prepare-vg');
  return {
    ...kindOf(pod),
    metadata: cachedMeta(pod.metadata, { labels: true }),
    ...(pod.spec?.nodeName ? { spec: { nodeName: pod.spec.nodeName } } : {}),
    status: {
      ...(pod.status?.phase ? { phase: pod.status.phase } : {}),
      ...(scheduled ? { conditions: [{ type: scheduled.type, status: scheduled.status, ...(scheduled.message ? { message: scheduled.message } : {}) }] } : {}),
      ...(container ? { containerStatuses: [{ name: container.name, ...(container.state ? { state: container.state } : {}) }] } : {}),
    },
  };
}

/**
 * Whose Job it is, its mode, node, config hash, Node UID and boot ID, and how it ended (jobFacts, clusterJobFacts,
 * deletion). Jobs are created by the node pass, never applied, so nothing compares a cached Job with a rendered one;
 * their pod template and managed fields were most of the operator's heap at 5,000 nodes.
 */
export function trimJob(job: JobObject): JobObject {
  const s = job.status;
  return {
    ...kindOf(job),
    metadata: cachedMeta(job.metadata, { ownership: true, annotations: JOB_ANNOTATIONS }),
    ...(s === undefined
      ? {}
      : {
          status: {
            ...(s.active === undefined ? {} : { active: s.active }),
            ...(s.succeeded === undefined ? {} : { succeeded: s.succeeded }),
            ...(s.failed === undefined ? {} : { failed: s.failed }),
            ...(s.conditions === undefined ? {} : { conditions: s.conditions.map((c) => ({ type: c.type, status: c.status, ...(c.reason ? { reason: c.reason } : {}), ...(c.lastTransitionTime ? { lastTransitionTime: c.lastTransitionTime } : {}) })) }),
          },
        }),
  };
}

const JOB_ANNOTATIONS = [NODE_NAME_ANNOTATION, CONFIG_HASH_ANNOTATION, MODE_ANNOTATION, NODE_UID_ANNOTATION, NODE_BOOT_ID_ANNOTATION];

/** The CSI driver, its volume attributes and node affinity (volume-guard.ts): every PV is cached, few are ours. */
export function trimPersistentVolume(pv: VolumeObject): VolumeObject {
  return {
    ...kindOf(pv),
    metadata: cachedMeta(pv.metadata),
    spec: {
      ...(pv.spec?.csi ? { csi: pv.spec.csi } : {}),
      ...(pv.spec?.nodeAffinity ? { nodeAffinity: pv.spec.nodeAffinity } : {}),
      ...(pv.spec?.nodeName ? { nodeName: pv.spec.nodeName } : {}),
    },
  };
}
