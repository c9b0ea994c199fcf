import { createHash } from 'node:crypto';
import type { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-33';
import { componentLabels, names } from '../names.js';
import { privilegedContainer, pullSecrets, resources, tolerations } from '../pod-parts.js';
import type { ResolvedSpec } from '../resolved-spec.js';
import type { ResourceToBeInited } from '../../api/generated/types.js';
import { canonicalJson, initConfigHash } from '../../lib/storage-config.js';

export const NODE_NAME_ANNOTATION = 'csi.aliyun.com/node-name';
export const CONFIG_HASH_ANNOTATION = 'csi.aliyun.com/storage-config-hash';

export const MODE_ANNOTATION = 'csi.aliyun.com/prepare-vg-mode';

/** prepare: create/extend the node's volume groups; remove: the RemoveVolumeGroups cleanup on deletion. */
export type PrepareVgMode = 'prepare' | 'remove';
const jobPrefix: Record<PrepareVgMode, string> = { prepare: 'prepare-vg', remove: 'remove-vg' };

/**
 * A stable, unique, DNS-1123 Job name per node and mode, at most 63 characters (it becomes the pod's job-name
 * label): readable prefix of the node name plus a hash of the whole name, so long or similar names cannot collide.
 */
export function prepareVgJobName(nodeName: string, mode: PrepareVgMode = 'prepare'): string {
  const prefix = jobPrefix[mode];
  const hash = createHash('sha256').update(nodeName).digest('hex').slice(0, 8);
  const readable = nodeName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, 63 - prefix.length - 2 - hash.length)
    .replace(/^-+|-+$/g, '');
  return readable ? `${prefix}-${readable}-${hash}` : `${prefix}-${hash}`;
}

/** Long enough for the slowest step prepare-vg lets finish after SIGTERM: LVM commands on slow disks, a mkfs. */
export const PREPARE_VG_GRACE_SECONDS = 300;

/** The environment variable that carries the node's resourceToBeInited (JSON) into prepare-vg. */
export const INIT_CONFIG_ENV = 'OPEN_LOCAL_INIT_CONFIG';

/**
 * The Job that prepares one node's volume groups. It runs on that node only (matchFields on the node name,
 * like a DaemonSet pod), never retries by itself (the operator decides, with backoff), and reports a JSON
 * result through its termination message. The config travels in the Job itself, so the pod needs no API
 * access at all, and the hash on the Job is exactly what it applies.
 */
export function addPrepareVgJob(chart: Chart, spec: ResolvedSpec, nodeName: string, init: ResourceToBeInited | undefined, mode: PrepareVgMode = 'prepare'): void {
  const configHash = initConfigHash(init);
  const labels = componentLabels(names.prepareVg, spec.name);
  new k8s.KubeJob(chart, `${jobPrefix[mode]}-${nodeName}`, {
    metadata: {
      name: prepareVgJobName(nodeName, mode),
      namespace: spec.namespace,
      labels,
      annotations: { [CONFIG_HASH_ANNOTATION]: configHash, [NODE_NAME_ANNOTATION]: nodeName, ...(mode === 'remove' ? { [MODE_ANNOTATION]: mode } : {}) },
    },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: spec.prepareVolumeGroups.timeoutSeconds,
      ttlSecondsAfterFinished: 86400,
      template: {
        metadata: { labels, annotations: { [CONFIG_HASH_ANNOTATION]: configHash } },
        spec: {
          restartPolicy: 'Never',
          // On SIGTERM prepare-vg lets its running step (a VG's LVM commands, a mkfs) finish and writes its result.
          terminationGracePeriodSeconds: PREPARE_VG_GRACE_SECONDS,
          serviceAccountName: names.prepareVg,
          automountServiceAccountToken: false,
          priorityClassName: 'system-node-critical',
          hostPid: true,
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }],
              },
            },
          },
          tolerations: tolerations(spec),
          imagePullSecrets: pullSecrets(spec),
          containers: [
            {
              name: 'prepare-vg',
              image: spec.images.openLocal,
              imagePullPolicy: spec.images.pullPolicy,
              args: [
                'prepare-vg',
                `--node-name=${nodeName}`,
                `--log-level=${spec.logLevel}`,
                '--sysfs=/host/sys',
                `--kubelet-dir=${spec.csi.kubeletDir}`,
                ...(mode === 'remove' ? ['--remove'] : []),
              ],
              env: [{ name: INIT_CONFIG_ENV, value: canonicalJson(init ?? {}) }],
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'File',
              resources: resources('10m', '64Mi', '256Mi'),
              securityContext: privilegedContainer,
              volumeMounts: [
                { name: 'dev', mountPath: '/dev' },
                { name: 'sys', mountPath: '/host/sys', readOnly: true },
              ],
            },
          ],
          volumes: [
            { name: 'dev', hostPath: { path: '/dev', type: 'Directory' } },
            { name: 'sys', hostPath: { path: '/sys', type: 'Directory' } },
          ],
        },
      },
    },
  });
}
