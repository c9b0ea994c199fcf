// A pod with one LVM volume (a PVC of the default class) pinned to a node: what the failure and upgrade scenarios
// keep running while they break or replace parts of the stack, then read through `kubectl exec` to prove its mount
// and its data outlived that.
import { expect } from 'chai';
import type { E2eCluster } from './cluster.js';
import { apply, BUSYBOX, exec, podRunning } from './support.js';

type ContainerStatus = { containerID?: string; restartCount: number };
type Pod = { spec?: { nodeName?: string }; status?: { containerStatuses?: ContainerStatus[] } };

export const MOUNT = '/data';

/** The PVC `name` and the pod `name` using it at /data, on `node`; waits for the pod to run. */
export async function startVolumePod(c: E2eCluster, namespace: string, name: string, node: string): Promise<void> {
  await apply(c, [
    { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '64Mi' } } } },
    {
      apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace },
      spec: {
        nodeSelector: { 'kubernetes.io/hostname': node },
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'app', image: BUSYBOX, imagePullPolicy: 'Never', command: ['sleep', '2147483647'], volumeMounts: [{ name: 'data', mountPath: MOUNT }] }],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: name } }],
      },
    },
  ]);
  const pod = await podRunning(c, namespace, name, 300_000);
  expect(pod.spec?.nodeName).to.equal(node);
}

/** The container's ID and restart count: both unchanged means the very same container kept running. */
export async function containerIdentity(c: E2eCluster, namespace: string, name: string): Promise<{ node: string; containerID: string; restartCount: number }> {
  const pod = JSON.parse(await c.kubectl(['get', 'pod', '-n', namespace, name, '-o', 'json'])) as Pod;
  const s = pod.status?.containerStatuses?.[0];
  return { node: pod.spec?.nodeName ?? '', containerID: s?.containerID ?? '', restartCount: s?.restartCount ?? -1 };
}

/** Appends a line to /data/log (synced to the LV) and returns the whole file as the pod reads it. */
export async function appendAndRead(c: E2eCluster, namespace: string, name: string, line: string): Promise<string> {
  await exec(c, namespace, name, ['sh', '-c', `echo '${line}' >> ${MOUNT}/log && sync`]);
  return exec(c, namespace, name, ['cat', `${MOUNT}/log`]);
}

/** The mount of /data as the container sees it (its /proc/mounts line): an ext4 filesystem on an LV. */
export async function dataMount(c: E2eCluster, namespace: string, name: string): Promise<string> {
  const line = (await exec(c, namespace, name, ['grep', ` ${MOUNT} `, '/proc/mounts'])).trim();
  expect(line, `${namespace}/${name}: ${MOUNT} is mounted`).to.match(new RegExp(`^\\S+ ${MOUNT} ext4 rw`));
  return line;
}
