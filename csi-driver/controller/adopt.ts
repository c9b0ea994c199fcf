/**
 * Volumes Open-Local v0.7 provisioned have a PV (name = volumeHandle = LV name `local-<uuid>`, volumeAttributes
 * volumeType/vgName or Device/MountPoint, nodeAffinity kubernetes.io/hostname) and no LocalVolume. To delete or
 * expand one, the controller first writes a LocalVolume with spec.adopt: the node records the LV's identity and
 * never creates it, and from then on the volume is handled like ours.
 */
import { API_GROUP_VERSION, CSI_DRIVER_NAME } from '../../api/group.js';
import type { LocalVolume, LocalVolumeSpec } from '../../api/generated/types.js';
import type { PersistentVolume } from '../../extender/allocator/kube-types.js';
import { useOfPv } from '../../extender/allocator/volume-use.js';
import { LOCAL_VOLUME_FINALIZER } from '../volume-context.js';
import { CSI_NAME_ANNOTATION } from './names.js';

/** The LocalVolume adopting an Open-Local PV, or undefined when the PV is not a volume Open-Local made. */
export function adoptionOf(pv: PersistentVolume, id: string): LocalVolume | undefined {
  const csi = pv.spec?.csi;
  if (csi?.driver !== CSI_DRIVER_NAME || csi.volumeHandle !== id || pv.metadata?.name !== id) return undefined;
  const use = useOfPv(pv);
  if (!use) return undefined;
  const spec: LocalVolumeSpec = { nodeName: use.node, volumeType: use.kind, size: String(use.size), adopt: true };
  if (use.vgName) spec.vgName = use.vgName;
  if (use.resource) spec.device = use.resource;
  return { apiVersion: API_GROUP_VERSION, kind: 'LocalVolume', metadata: { name: id, annotations: { [CSI_NAME_ANNOTATION]: id }, finalizers: [LOCAL_VOLUME_FINALIZER] }, spec };
}
