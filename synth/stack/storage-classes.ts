import { ApiObject, type Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-33';
import { CSI_DRIVER_NAME } from '../../api/group.js';
import type { StorageClassSpec } from '../../api/generated/types.js';
import { componentLabels, names } from '../names.js';
import type { ResolvedSpec } from '../resolved-spec.js';

/** StorageClass parameters exactly as Open-Local names them, so existing PVs and tooling keep working. */
export function storageClassParameters(sc: StorageClassSpec): Record<string, string> {
  const p: Record<string, string> = { volumeType: sc.volumeType };
  if (sc.fsType) p['csi.storage.k8s.io/fstype'] = sc.fsType;
  if (sc.vgName) p.vgName = sc.vgName;
  if (sc.mediaType) p.mediaType = sc.mediaType;
  if (sc.lvmType) p.lvmType = sc.lvmType;
  if (sc.iops !== undefined) p.iops = String(sc.iops);
  if (sc.bps) p.bps = sc.bps;
  return p;
}

/** StorageClasses (always WaitForFirstConsumer: a local volume's node is the pod's node) and snapshot classes. */
export function addStorageClasses(chart: Chart, spec: ResolvedSpec): void {
  const labels = componentLabels(names.csiController, spec.name);
  for (const sc of spec.storageClasses) {
    new k8s.KubeStorageClass(chart, `storageclass-${sc.name}`, {
      metadata: {
        name: sc.name,
        labels,
        ...(sc.isDefault ? { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } : {}),
      },
      provisioner: CSI_DRIVER_NAME,
      parameters: storageClassParameters(sc),
      reclaimPolicy: sc.reclaimPolicy ?? 'Delete',
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: sc.allowVolumeExpansion ?? sc.volumeType === 'LVM',
    });
  }
  if (!spec.csi.snapshots.enabled) return;
  for (const vsc of spec.volumeSnapshotClasses) {
    new ApiObject(chart, `snapshotclass-${vsc.name}`, {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshotClass',
      metadata: { name: vsc.name, labels },
      driver: CSI_DRIVER_NAME,
      deletionPolicy: vsc.deletionPolicy,
      parameters: {
        'csi.aliyun.com/readonly': String(vsc.readOnly),
        'csi.aliyun.com/snapshot-initial-size': vsc.initialSize,
        'csi.aliyun.com/snapshot-expansion-size': vsc.expansionSize,
        'csi.aliyun.com/snapshot-expansion-threshold': vsc.expansionThreshold,
      },
    });
  }
}
