// What the volume scenarios create and read inside pods: claims, busybox pods that mount them (or get them as a raw
// block device), and what the pod sees: its filesystem, its bytes, its container's identity (unchanged ID and
// restart count prove a mount outlived a restart of the stack around it).
import { expect } from 'chai';
import { CSI_DRIVER_NAME } from '../../api/group.js';
import type { E2eCluster } from './cluster.js';
import { apply, BUSYBOX, exec, podRunning, type ExecOptions } from './support.js';

/** Where a test pod mounts its volume, or finds it as a raw block device. */
export const MOUNT_PATH = '/data';
export const DEVICE_PATH = '/dev/xvda';

export interface ClaimOptions {
  /** The StorageClass; the cluster's default class when absent. */
  readonly storageClassName?: string;
  readonly block?: boolean;
  /** Restore from this VolumeSnapshot. */
  readonly fromSnapshot?: string;
}

export function claim(namespace: string, name: string, size: string, opts: ClaimOptions = {}): object {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace },
    spec: {
      ...(opts.storageClassName ? { storageClassName: opts.storageClassName } : {}),
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: size } },
      ...(opts.block ? { volumeMode: 'Block' } : {}),
      ...(opts.fromSnapshot ? { dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: opts.fromSnapshot } } : {}),
    },
  };
}

export type PodVolume =
  | { readonly claim: string; readonly block?: boolean }
  /** A CSI inline (ephemeral) volume of our driver with these volume attributes. */
  | { readonly inline: Readonly<Record<string, string>>; readonly fsType: string };

/** A busybox pod with one volume named `data`: mounted at /data, or at /dev/xvda for a raw block claim. */
export function volumePod(namespace: string, name: string, volume: PodVolume, nodeName?: string): object {
  const source = 'claim' in volume
    ? { persistentVolumeClaim: { claimName: volume.claim } }
    : { csi: { driver: CSI_DRIVER_NAME, fsType: volume.fsType, volumeAttributes: volume.inline } };
  const block = 'claim' in volume && volume.block === true;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: {
      // busybox sleep as PID 1 ignores SIGTERM: without this every pod deletion waits the default 30 s.
      terminationGracePeriodSeconds: 1,
      ...(nodeName ? { nodeSelector: { 'kubernetes.io/hostname': nodeName } } : {}),
      containers: [{
        name: 'app',
        image: BUSYBOX,
        imagePullPolicy: 'Never',
        command: ['sleep', '2147483647'],
        ...(block ? { volumeDevices: [{ name: 'data', devicePath: DEVICE_PATH }] } : { volumeMounts: [{ name: 'data', mountPath: MOUNT_PATH }] }),
      }],
      volumes: [{ name: 'data', ...source }],
    },
  };
}

/** A 64Mi claim of the default class and a pod `name` using it at /data on `node`; waits for the pod to run. */
export async function startVolumePod(c: E2eCluster, namespace: string, name: string, node: string): Promise<void> {
  await apply(c, [claim(namespace, name, '64Mi'), volumePod(namespace, name, { claim: name }, node)]);
  const pod = await podRunning(c, namespace, name, 300_000);
  expect(pod.spec?.nodeName).to.equal(node);
}

/** Runs a shell script in a test pod. */
export function podSh(c: E2eCluster, namespace: string, pod: string, script: string, how: ExecOptions = {}): Promise<string> {
  return exec(c, namespace, pod, ['sh', '-c', script], how);
}

/** The filesystem type and size (bytes) mounted at /data in a pod, as the pod sees them. */
export async function podFilesystem(c: E2eCluster, namespace: string, pod: string): Promise<{ fsType: string; bytes: number }> {
  // -P: one line per filesystem; busybox otherwise wraps a long device-mapper name onto a line of its own.
  const out = await podSh(c, namespace, pod, `grep ' ${MOUNT_PATH} ' /proc/mounts; df -Pk ${MOUNT_PATH} | tail -1`);
  const [mount, df] = out.trim().split('\n');
  const fsType = mount?.split(' ')[2];
  const kib = Number(df?.trim().split(/\s+/)[1]);
  if (!fsType || !Number.isFinite(kib)) throw new Error(`pod ${namespace}/${pod}: no filesystem at ${MOUNT_PATH}:\n${out}`);
  return { fsType, bytes: kib * 1024 };
}

/** Writes `mib` MiB of random bytes to /data/<file> in a pod, flushed to the volume; returns their sha256. */
export async function writeRandom(c: E2eCluster, namespace: string, pod: string, file: string, mib: number): Promise<string> {
  const out = await podSh(c, namespace, pod, `dd if=/dev/urandom of=${MOUNT_PATH}/${file} bs=1048576 count=${mib} 2>/dev/null && sync && sha256sum ${MOUNT_PATH}/${file}`);
  return out.trim().split(/\s+/)[0]!;
}

export async function sha256Of(c: E2eCluster, namespace: string, pod: string, file: string): Promise<string> {
  return (await podSh(c, namespace, pod, `sha256sum ${MOUNT_PATH}/${file}`)).trim().split(/\s+/)[0]!;
}

/** Appends a line to /data/log (synced to the volume) and returns the whole file as the pod reads it. */
export async function appendAndRead(c: E2eCluster, namespace: string, pod: string, line: string): Promise<string> {
  await podSh(c, namespace, pod, `echo '${line}' >> ${MOUNT_PATH}/log && sync`, { once: true });
  return exec(c, namespace, pod, ['cat', `${MOUNT_PATH}/log`]);
}

/** The mount of /data as the container sees it (its /proc/mounts line): an ext4 filesystem on an LV. */
export async function dataMount(c: E2eCluster, namespace: string, pod: string): Promise<string> {
  const line = (await exec(c, namespace, pod, ['grep', ` ${MOUNT_PATH} `, '/proc/mounts'])).trim();
  expect(line, `${namespace}/${pod}: ${MOUNT_PATH} is mounted`).to.match(new RegExp(`^\\S+ ${MOUNT_PATH} ext4 rw`));
  return line;
}

type ContainerStatus = { containerID?: string; restartCount: number };
type Pod = { spec?: { nodeName?: string }; status?: { containerStatuses?: ContainerStatus[] } };

/** The container's ID and restart count: both unchanged means the very same container kept running. */
export async function containerIdentity(c: E2eCluster, namespace: string, pod: string): Promise<{ node: string; containerID: string; restartCount: number }> {
  const p = JSON.parse(await c.kubectl(['get', 'pod', '-n', namespace, pod, '-o', 'json'])) as Pod;
  const s = p.status?.containerStatuses?.[0];
  return { node: p.spec?.nodeName ?? '', containerID: s?.containerID ?? '', restartCount: s?.restartCount ?? -1 };
}
