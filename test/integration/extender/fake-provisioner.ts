// Plays external-provisioner plus Open-Local's CreateVolume for LVM, with no node behind it: for every PVC the
// scheduler sent to a node (selected-node annotation), it asks the extender's scheduling API for the VG, as
// Open-Local's CSI does, and creates the PV pre-bound to the PVC, so kube-controller-manager binds them and the
// scheduler binds the pod. The PV is what the extender then counts on that node.
import { CSI_DRIVER_NAME } from '../../../api/group.js';
import { VOLUME_NAME_PREFIX } from '../../../csi-driver/volume-context.js';
import type { PersistentVolumeClaim } from '../../../extender/allocator/kube-types.js';
import type { KubeApi, KubeObject } from '../../../lib/kube-api.js';
import { postJson } from '../support/http.js';

export interface FakeProvisioner {
  /** Errors met so far (a test fails if the provisioner could not do its job). */
  readonly errors: string[];
  stop(): void;
}


export function startFakeProvisioner(api: KubeApi, extenderPort: () => number): FakeProvisioner {
  const errors: string[] = [];
  const done = new Set<string>();
  let stopped = false;
  const pass = async () => {
    const pvcs = await api.list<PersistentVolumeClaim & { metadata: { name: string; namespace: string; uid: string } }>('v1', 'PersistentVolumeClaim');
    for (const pvc of pvcs.items) {
      const node = pvc.metadata.annotations?.['volume.kubernetes.io/selected-node'];
      const pvName = `${VOLUME_NAME_PREFIX}-${pvc.metadata.uid}`;
      if (!node || pvc.spec?.volumeName || done.has(pvName)) continue;
      const answer = await postJson(extenderPort(), `/apis/scheduling/${pvc.metadata.namespace}/persistentvolumeclaims/${pvc.metadata.name}?nodeName=${node}`);
      if (answer.status !== 200) {
        errors.push(`scheduling API for ${pvc.metadata.namespace}/${pvc.metadata.name} on ${node}: ${answer.status} ${answer.text}`);
        continue;
      }
      const { vgName } = JSON.parse(answer.text) as { vgName: string };
      const pv: KubeObject & { spec: object } = {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: pvName, annotations: { 'pv.kubernetes.io/provisioned-by': CSI_DRIVER_NAME } },
        spec: {
          capacity: { storage: pvc.spec?.resources?.requests?.storage ?? '0' },
          accessModes: ['ReadWriteOnce'],
          persistentVolumeReclaimPolicy: 'Delete',
          storageClassName: pvc.spec?.storageClassName,
          claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: pvc.metadata.namespace, name: pvc.metadata.name, uid: pvc.metadata.uid },
          csi: { driver: CSI_DRIVER_NAME, volumeHandle: pvName, volumeAttributes: { volumeType: 'LVM', vgName } },
          nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } },
        },
      };
      await api.createIfAbsent(pv);
      done.add(pvName);
    }
  };
  const loop = async () => {
    while (!stopped) {
      await pass().catch((err: unknown) => {
        errors.push(err instanceof Error ? err.message : String(err));
      });
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  void loop();
  return {
    errors,
    stop: () => {
      stopped = true;
    },
  };
}
