import type { ComponentStatus } from '../../api/generated/types.js';
import type { KubeObject } from '../../lib/kube-object.js';

interface WorkloadStatus {
  observedGeneration?: number;
  replicas?: number;
  availableReplicas?: number;
  updatedReplicas?: number;
  desiredNumberScheduled?: number;
  numberAvailable?: number;
  updatedNumberScheduled?: number;
}
type Workload = KubeObject & { spec?: { replicas?: number }; status?: WorkloadStatus };

/**
 * Readiness of each rendered Deployment and DaemonSet from its live status: the controller has seen the
 * latest spec, and every wanted replica is updated and available. A DaemonSet on zero nodes is not ready:
 * no node can serve volumes yet.
 */
export function componentStatuses(desired: readonly KubeObject[], live: (kind: string, namespace: string, name: string) => Workload | undefined): ComponentStatus[] {
  return desired
    .filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet')
    .map((o) => {
      const name = o.metadata?.name ?? '';
      const kind = o.kind ?? '';
      const w = live(kind, o.metadata?.namespace ?? '', name);
      if (!w) return { name, kind, ready: false, desired: 0, available: 0, message: 'not created yet' };
      const s = w.status ?? {};
      const current = (s.observedGeneration ?? 0) >= (w.metadata?.generation ?? 0);
      const want = kind === 'Deployment' ? (w.spec?.replicas ?? 1) : (s.desiredNumberScheduled ?? 0);
      const available = kind === 'Deployment' ? (s.availableReplicas ?? 0) : (s.numberAvailable ?? 0);
      const updated = kind === 'Deployment' ? (s.updatedReplicas ?? 0) : (s.updatedNumberScheduled ?? 0);
      const ready = current && want > 0 && available >= want && updated >= want;
      const message = ready ? '' : !current ? 'rolling out a new spec' : want === 0 ? 'scheduled on no node yet' : `${available}/${want} available`;
      return { name, kind, ready, desired: want, available, ...(message ? { message } : {}) };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}
