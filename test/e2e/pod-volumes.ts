// What the volume scenarios (3, 4) build and look at: claims, busybox pods that mount them, and the node's own view
// of a volume (LVM, devices, cgroups), read through the node plugin pod of that node, which has the host's /dev,
// LVM and cgroup root: the checks a storage engineer would make with `kubectl exec` into the plugin.
import type { E2eCluster } from './cluster.js';
import { STACK_NAMESPACE } from './cluster.js';
import { CSI_DRIVER_NAME } from '../../api/group.js';
import { BUSYBOX, exec, nodePluginPod, waitFor } from './support.js';

/** The VG every e2e node has (cluster.yaml). */
export const VG = 'open-local-pool-0';
/** Where a test pod mounts its volume, or finds it as a raw block device. */
export const MOUNT_PATH = '/data';
export const DEVICE_PATH = '/dev/xvda';

export interface ClaimOptions {
  readonly block?: boolean;
  /** Restore from this VolumeSnapshot. */
  readonly fromSnapshot?: string;
}

export function claim(namespace: string, name: string, storageClassName: string, size: string, opts: ClaimOptions = {}): object {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace },
    spec: {
      storageClassName,
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
        ...(block ? { volumeDevices: [{ name: 'data', devicePath: DEVICE_PATH }] } : { volumeMounts: [{ name: 'data', mountPath: MOUNT_PATH }] }),
      }],
      volumes: [{ name: 'data', ...source }],
    },
  };
}

/** Runs a shell script in a test pod. */
export function podSh(c: E2eCluster, namespace: string, pod: string, script: string): Promise<string> {
  return exec(c, namespace, pod, ['sh', '-c', script]);
}

/** The filesystem type and size (bytes) mounted at /data in a pod, as the pod sees them. */
export async function podFilesystem(c: E2eCluster, namespace: string, pod: string): Promise<{ fsType: string; bytes: number }> {
  const out = await podSh(c, namespace, pod, `grep ' ${MOUNT_PATH} ' /proc/mounts; df -k ${MOUNT_PATH} | tail -1`);
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

export type PersistentVolume = {
  metadata: { name: string };
  spec: {
    capacity?: { storage?: string };
    csi?: { volumeHandle: string; volumeAttributes?: Record<string, string> };
    nodeAffinity?: { required?: { nodeSelectorTerms?: { matchExpressions?: { key: string; values?: string[] }[] }[] } };
    claimRef?: { namespace?: string; name?: string };
  };
};

/** The PV bound to a claim (once bound). */
export async function boundVolume(c: E2eCluster, namespace: string, claimName: string): Promise<PersistentVolume> {
  const pvName = await waitFor(`PVC ${namespace}/${claimName} Bound`, async () => {
    const pvc = JSON.parse(await c.kubectl(['get', 'pvc', '-n', namespace, claimName, '-o', 'json'])) as { spec?: { volumeName?: string }; status?: { phase?: string } };
    return pvc.status?.phase === 'Bound' && pvc.spec?.volumeName ? pvc.spec.volumeName : undefined;
  }, 60_000);
  return JSON.parse(await c.kubectl(['get', 'pv', pvName, '-o', 'json'])) as PersistentVolume;
}

/** The node a PV is pinned to (its hostname topology). */
export function volumeNode(pv: PersistentVolume): string | undefined {
  return pv.spec.nodeAffinity?.required?.nodeSelectorTerms?.[0]?.matchExpressions?.find((e) => e.key === 'kubernetes.io/hostname')?.values?.[0];
}

/** A shell script run in the CSI node plugin container on `node` (its view of the host's LVM, /dev and cgroups). */
export async function inNodePlugin(c: E2eCluster, node: string, script: string): Promise<string> {
  return c.kubectl(['exec', '-n', STACK_NAMESPACE, await nodePluginPod(c, node), '-c', 'csi-plugin', '--', 'sh', '-c', script]);
}

/** The LVs of the e2e VG on a node, by name (sizes in bytes). */
export async function logicalVolumes(c: E2eCluster, node: string): Promise<Map<string, number>> {
  const out = await inNodePlugin(c, node, `lvs --noheadings --units b --nosuffix -o lv_name,lv_size ${VG}`);
  return new Map(out.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f.length === 2).map(([n, s]) => [n!, Number(s)]));
}

/** Waits until no PV is bound to a claim of `namespace` any more (reclaim Delete: the driver removed each LV). */
export async function volumesOfNamespaceGone(c: E2eCluster, namespace: string, timeoutMs = 300_000): Promise<void> {
  await waitFor(`the PVs of namespace ${namespace} deleted`, async () => {
    const out = await c.kubectl(['get', 'pv', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.spec.claimRef.namespace}{"\\n"}{end}']);
    return out.split('\n').some((l) => l.split(' ')[1] === namespace) ? undefined : true;
  }, timeoutMs, 2000);
}
