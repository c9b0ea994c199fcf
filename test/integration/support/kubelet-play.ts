// The tests have no kubelet and no workload controllers: these helpers play them, writing exactly the status
// fields a kubelet / Job controller / DaemonSet controller would write.
import type { KubeApi } from '../../../lib/kube-api.js';
import type { KubeObject } from '../../../lib/kube-object.js';
import { formatResult, type PrepareVgResult } from '../../../node-agent/prepare-vg/result.js';

export async function createNode(api: KubeApi, name: string, labels: Record<string, string> = {}): Promise<void> {
  await api.request('POST', '/api/v1/nodes', { body: { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } } } });
}

type Job = KubeObject & { spec?: { template?: { metadata?: { labels?: Record<string, string> } } } };

/**
 * Finishes a prepare-VG Job as the kubelet and Job controller would: its pod terminates with the result as
 * termination message (exit 0 or 1), then the Job gets its terminal conditions.
 */
export async function finishPrepareVgJob(api: KubeApi, job: Job, result: PrepareVgResult, succeeded: boolean): Promise<void> {
  const ns = job.metadata?.namespace ?? '';
  const name = job.metadata?.name ?? '';
  const node = job.metadata?.annotations?.['csi.aliyun.com/node-name'] ?? '';
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const pod = await api.request<KubeObject>('POST', `/api/v1/namespaces/${ns}/pods`, {
    body: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${name}-pod`, namespace: ns, labels: { ...job.spec?.template?.metadata?.labels, 'job-name': name, 'batch.kubernetes.io/job-name': name } },
      spec: { nodeName: node, restartPolicy: 'Never', serviceAccountName: 'open-local-prepare-vg', automountServiceAccountToken: false, containers: [{ name: 'prepare-vg', image: 'open-local:test' }] },
    },
  });
  await api.mergePatch(pod, {
    status: {
      phase: succeeded ? 'Succeeded' : 'Failed',
      containerStatuses: [
        {
          name: 'prepare-vg',
          image: 'open-local:test',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode: succeeded ? 0 : 1, reason: succeeded ? 'Completed' : 'Error', message: formatResult(result), startedAt: now, finishedAt: now } },
        },
      ],
    },
  }, 'status');
  const conditions = succeeded
    ? [{ type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: '', lastProbeTime: now, lastTransitionTime: now }, { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: '', lastProbeTime: now, lastTransitionTime: now }]
    : [{ type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded', message: '', lastProbeTime: now, lastTransitionTime: now }, { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', lastProbeTime: now, lastTransitionTime: now }];
  await api.mergePatch(job, {
    status: {
      startTime: now,
      ...(succeeded ? { completionTime: now, succeeded: 1 } : { failed: 1 }),
      active: 0,
      ready: 0,
      terminating: 0,
      uncountedTerminatedPods: {},
      conditions,
    },
  }, 'status');
}

/** Marks a Deployment or DaemonSet fully rolled out and available, as its controller would. */
export async function markAvailable(api: KubeApi, workload: KubeObject & { spec?: { replicas?: number } }, daemonNodes = 1): Promise<void> {
  const gen = workload.metadata?.generation ?? 1;
  const status =
    workload.kind === 'Deployment'
      ? { observedGeneration: gen, replicas: workload.spec?.replicas ?? 1, readyReplicas: workload.spec?.replicas ?? 1, availableReplicas: workload.spec?.replicas ?? 1, updatedReplicas: workload.spec?.replicas ?? 1 }
      : { observedGeneration: gen, desiredNumberScheduled: daemonNodes, currentNumberScheduled: daemonNodes, numberReady: daemonNodes, numberAvailable: daemonNodes, updatedNumberScheduled: daemonNodes, numberMisscheduled: 0 };
  await api.mergePatch(workload, { status }, 'status');
}

/** A prepare-vg result for `node` applying `configHash`: every VG created, or the first one refused. */
export function prepareResult(node: string, configHash: string, refused?: string): PrepareVgResult {
  return {
    version: 1,
    node,
    configHash,
    volumeGroups: [
      refused
        ? { name: 'open-local-pool-0', state: 'Refused', devices: [], message: refused }
        : { name: 'open-local-pool-0', state: 'Created', devices: ['/dev/vdb'], size: '10733223936', message: '' },
    ],
    mountPoints: [],
  };
}

/** Polls `check` (reads only) until it returns a value, or fails with the last reason after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
