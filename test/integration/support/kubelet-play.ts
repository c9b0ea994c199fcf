// The tests have no kubelet and no workload controllers: these helpers play them, writing exactly the status
// fields a kubelet / Job controller / DaemonSet controller would write.
import type { KubeApi } from '../../../lib/kube-api.js';
import type { KubeObject } from '../../../lib/kube-object.js';
import { formatResult, type PrepareVgResult } from '../../../node-agent/prepare-vg/result.js';

export async function createNode(api: KubeApi, name: string, labels: Record<string, string> = {}): Promise<void> {
  await api.request('POST', '/api/v1/nodes', { body: { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } } } });
}

/** The kubelet reports the node's boot ID (a new one after every reboot). */
export async function reportBoot(api: KubeApi, name: string, bootID: string): Promise<void> {
  const nodeInfo = { machineID: '', systemUUID: '', bootID, kernelVersion: '', osImage: '', containerRuntimeVersion: '', kubeletVersion: '', kubeProxyVersion: '', operatingSystem: 'linux', architecture: 'amd64' };
  await api.mergePatch({ apiVersion: 'v1', kind: 'Node', metadata: { name } }, { status: { nodeInfo } }, 'status');
}

type Job = KubeObject & { spec?: { template?: { metadata?: { labels?: Record<string, string> } } } };
type Pod = KubeObject & { status?: { phase?: string } };

const timestamp = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/**
 * The Job controller's pod for `job`, bound to the Job's node and running, as the kubelet reports it: the
 * template's labels (the API server put the Job's UID in them) and an owner reference that blocks the Job's
 * foreground deletion until the pod is gone.
 */
export async function runPrepareVgPod(api: KubeApi, job: Job, podName = `${job.metadata?.name ?? ''}-pod`): Promise<Pod> {
  const ns = job.metadata?.namespace ?? '';
  const name = job.metadata?.name ?? '';
  const node = job.metadata?.annotations?.['csi.aliyun.com/node-name'] ?? '';
  const pod = await api.request<Pod>('POST', `/api/v1/namespaces/${ns}/pods`, {
    body: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: podName,
        namespace: ns,
        labels: { ...job.spec?.template?.metadata?.labels, 'job-name': name, 'batch.kubernetes.io/job-name': name },
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name, uid: job.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }],
      },
      spec: { nodeName: node, restartPolicy: 'Never', serviceAccountName: 'open-local-prepare-vg', automountServiceAccountToken: false, containers: [{ name: 'prepare-vg', image: 'open-local:test' }] },
    },
  });
  const now = timestamp();
  return api.mergePatch<Pod>(pod, { status: { phase: 'Running', startTime: now, containerStatuses: [{ name: 'prepare-vg', image: 'open-local:test', imageID: '', ready: true, restartCount: 0, started: true, state: { running: { startedAt: now } } }] } }, 'status');
}

/** The kubelet reports the prepare-vg container ended, with the result as its termination message. */
export async function terminatePrepareVgPod(api: KubeApi, pod: Pod, result: PrepareVgResult, succeeded: boolean): Promise<Pod> {
  const now = timestamp();
  return api.mergePatch<Pod>(pod, {
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
}

/** The kubelet confirms a deleted pod has stopped (what lets the API server remove a running pod). */
export async function confirmPodGone(api: KubeApi, pod: Pod): Promise<void> {
  await api.request('DELETE', `/api/v1/namespaces/${pod.metadata?.namespace ?? ''}/pods/${pod.metadata?.name ?? ''}`, { body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 } });
}

/** The Job controller's terminal conditions: Complete, or Failed with `reason` (BackoffLimitExceeded, DeadlineExceeded). */
export async function finishJob(api: KubeApi, job: Job, succeeded: boolean, reason = 'BackoffLimitExceeded'): Promise<void> {
  const now = timestamp();
  const conditions = succeeded
    ? [{ type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: '', lastProbeTime: now, lastTransitionTime: now }, { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: '', lastProbeTime: now, lastTransitionTime: now }]
    : [{ type: 'FailureTarget', status: 'True', reason, message: '', lastProbeTime: now, lastTransitionTime: now }, { type: 'Failed', status: 'True', reason, message: `Job failed: ${reason}`, lastProbeTime: now, lastTransitionTime: now }];
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

/**
 * Finishes a prepare-VG Job as the kubelet and Job controller would: its pod terminates with the result as
 * termination message (exit 0 or 1), then the Job gets its terminal conditions.
 */
export async function finishPrepareVgJob(api: KubeApi, job: Job, result: PrepareVgResult, succeeded: boolean): Promise<void> {
  await terminatePrepareVgPod(api, await runPrepareVgPod(api, job), result, succeeded);
  await finishJob(api, job, succeeded);
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

/** Polls `check` (reads only) every `intervalMs` until it returns a value, or fails with the last reason after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
