// Builders of the objects the extender reads, as the API server sends them, shared by the extender's unit,
// integration and benchmark code.
import { CSI_DRIVER_NAME } from '../../../api/group.js';
import type { LocalVolume, NodeLocalStorage } from '../../../api/generated/types.js';
import type { PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from '../../../extender/allocator/kube-types.js';

/** An object as sent to the API server: self-describing, with spec fields the extender does not read. */
type Wire<T extends { spec?: object }> = T & { apiVersion: string; kind: string; spec: NonNullable<T['spec']> & Record<string, unknown> };

export const Gi = 1024 ** 3;

export interface NlsOptions {
  readonly vgs?: Readonly<Record<string, number>>;
  readonly devices?: readonly { name: string; gi: number; mediaType: string }[];
}

/** A NodeLocalStorage whose agent reported these VGs (allocatable, GiB) and devices, all selected by listConfig. */
export function nls(node: string, options: NlsOptions): NodeLocalStorage {
  const vgs = Object.entries(options.vgs ?? {});
  const devices = options.devices ?? [];
  return {
    apiVersion: 'csi.aliyun.com/v1alpha1',
    kind: 'NodeLocalStorage',
    metadata: { name: node },
    spec: { nodeName: node },
    status: {
      nodeStorageInfo: {
        volumeGroups: vgs.map(([name, gi]) => ({ name, total: gi * Gi, available: gi * Gi, allocatable: gi * Gi, physicalVolumes: [], logicalVolumes: [], condition: 'DiskReady' })),
        deviceInfo: devices.map((d) => ({ name: d.name, total: d.gi * Gi, mediaType: d.mediaType, readOnly: false, condition: 'DiskReady' })),
        mountPoints: [],
        phase: 'Running',
        state: { type: 'DiskReady', status: 'True' },
      },
      filteredStorageInfo: { volumeGroups: vgs.map(([name]) => name), devices: devices.map((d) => d.name), mountPoints: [], updateStatusInfo: { updateStatus: 'accepted' } },
    },
  };
}

export function storageClass(name: string, parameters: Record<string, string>): StorageClass & { apiVersion: string; kind: string; volumeBindingMode: string } {
  return { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name }, provisioner: CSI_DRIVER_NAME, parameters, volumeBindingMode: 'WaitForFirstConsumer' };
}

export function pvc(namespace: string, name: string, sc: string, size: string, extra: { annotations?: Record<string, string>; volumeName?: string; uid?: string; dataSource?: { apiGroup?: string; kind: string; name: string } } = {}): Wire<PersistentVolumeClaim> {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { namespace, name, ...(extra.uid ? { uid: extra.uid } : {}), ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: {
      storageClassName: sc,
      resources: { requests: { storage: size } },
      ...(extra.volumeName ? { volumeName: extra.volumeName } : {}),
      ...(extra.dataSource ? { dataSource: extra.dataSource } : {}),
      accessModes: ['ReadWriteOnce'],
    },
  };
}

/** A bound open-local LVM PV on a node and VG, as CreateVolume's answer makes it. */
export function lvmPv(name: string, node: string, vgName: string, size: string, claim?: { namespace: string; name: string }): Wire<PersistentVolume> {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name },
    spec: {
      capacity: { storage: size },
      ...(claim ? { claimRef: claim } : {}),
      csi: { driver: CSI_DRIVER_NAME, volumeHandle: name, volumeAttributes: { volumeType: 'LVM', vgName } },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: 'open-local-lvm',
    },
  };
}

export function localVolume(name: string, node: string, vgName: string, bytes: number): LocalVolume {
  return { apiVersion: 'csi.aliyun.com/v1alpha1', kind: 'LocalVolume', metadata: { name }, spec: { nodeName: node, volumeType: 'LVM', vgName, size: String(bytes) } };
}

export function podWithClaims(namespace: string, name: string, claims: readonly string[], extra: { uid?: string; nodeName?: string } = {}): Wire<Pod> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace, name, ...(extra.uid ? { uid: extra.uid } : {}) },
    spec: {
      ...(extra.nodeName ? { nodeName: extra.nodeName } : {}),
      volumes: claims.map((c, i) => ({ name: `v${i}`, persistentVolumeClaim: { claimName: c } })),
      containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', volumeMounts: claims.map((_, i) => ({ name: `v${i}`, mountPath: `/data${i}` })) }],
    },
  };
}
