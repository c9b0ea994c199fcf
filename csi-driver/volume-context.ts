/**
 * Open-Local's names for StorageClass parameters, volume attributes (PV volumeAttributes = CSI volume_context) and
 * VolumeSnapshotClass parameters, kept byte for byte so StorageClasses and PVs made for Open-Local keep working
 * (../shared/reference/open-local.md §3). Everything that reads or writes these keys imports them from here.
 */

/** StorageClass parameters (and volume context keys copied from them). */
export const PARAM = {
  volumeType: 'volumeType',
  vgName: 'vgName',
  mediaType: 'mediaType',
  lvmType: 'lvmType',
  iops: 'iops',
  bps: 'bps',
  /** Inline ephemeral volumes: the LV size (default 1Gi). */
  size: 'size',
  /** Accepted for compatibility; SPDK/Kata placement is not supported and is refused when "true". */
  spdk: 'spdk',
  direct: 'direct',
} as const;

/** Keys external-provisioner (--extra-create-metadata) and the kubelet add. */
export const PROVISIONER_KEY = {
  pvcName: 'csi.storage.k8s.io/pvc/name',
  pvcNamespace: 'csi.storage.k8s.io/pvc/namespace',
  pvName: 'csi.storage.k8s.io/pv/name',
  ephemeral: 'csi.storage.k8s.io/ephemeral',
  podName: 'csi.storage.k8s.io/pod.name',
  podNamespace: 'csi.storage.k8s.io/pod.namespace',
  podUid: 'csi.storage.k8s.io/pod.uid',
  serviceAccount: 'csi.storage.k8s.io/serviceAccount.name',
} as const;

/** Keys CreateVolume adds to the volume context (Open-Local's spelling, including the capitals). */
export const CONTEXT = {
  selectedNode: 'volume.kubernetes.io/selected-node',
  mountPoint: 'MountPoint',
  device: 'Device',
  snapshotId: 'csi.aliyun.com/snapshot-id',
  sourceVolumeId: 'csi.aliyun.com/source-volume-id',
  readOnly: 'csi.aliyun.com/readonly',
} as const;

/** VolumeSnapshotClass parameters. */
export const SNAPSHOT_PARAM = {
  readOnly: 'csi.aliyun.com/readonly',
  initialSize: 'csi.aliyun.com/snapshot-initial-size',
  expansionThreshold: 'csi.aliyun.com/snapshot-expansion-threshold',
  expansionSize: 'csi.aliyun.com/snapshot-expansion-size',
} as const;

/** The only topology key: a local volume lives on one node. */
export const TOPOLOGY_KEY = 'kubernetes.io/hostname';

/**
 * csi-provisioner's --volume-name-prefix (synth renders it): PVs and volume IDs are `local-<PVC UID>`, as Open-Local
 * names them, so a PVC's volume is recognisable before it exists (the extender's promised space).
 */
export const VOLUME_NAME_PREFIX = 'local';

/** Set by the CSI controller on every LocalVolume it creates; the node plugin removes it once the LV is gone. */
export const LOCAL_VOLUME_FINALIZER = 'csi.aliyun.com/local-volume';

/** LVM tag on every LV the driver creates (the VG tag prepare-vg uses is `open-local` too). */
export const LV_TAG = 'open-local';
