import type { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-33';
import { CSI_DRIVER_NAME } from '../../api/group.js';
import { componentLabels, names } from '../names.js';
import type { ResolvedSpec } from '../resolved-spec.js';

/** CSIDriver: no attach step, pod info on mount (IO limits need the pod), persistent and inline volumes. */
export function addCsiDriver(chart: Chart, spec: ResolvedSpec): void {
  new k8s.KubeCsiDriver(chart, 'csidriver', {
    metadata: { name: CSI_DRIVER_NAME, labels: componentLabels(names.csiController, spec.name) },
    spec: {
      attachRequired: false,
      podInfoOnMount: true,
      volumeLifecycleModes: ['Persistent', 'Ephemeral'],
      storageCapacity: spec.csi.storageCapacityTracking,
      fsGroupPolicy: 'ReadWriteOnceWithFSType',
    },
  });
}
