import { API_GROUP } from '../api/group.js';
import type { ComponentName } from './names.js';

/** One RBAC PolicyRule. Verbs and resources are always explicit: no wildcards anywhere. */
export interface Rule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames?: readonly string[];
}

/** Cluster-wide and operand-namespace permissions of one component's ServiceAccount. */
export interface ComponentRules {
  readonly cluster: readonly Rule[];
  readonly namespaced: readonly Rule[];
}

const READ = ['get', 'list', 'watch'] as const;
const WRITE = ['create', 'update', 'patch', 'delete'] as const;
const r = (apiGroups: string[], resources: string[], verbs: readonly string[]): Rule => ({ apiGroups, resources, verbs: [...verbs] });

const events = r([''], ['events'], ['create', 'patch']);
const leases = r(['coordination.k8s.io'], ['leases'], ['get', 'list', 'watch', 'create', 'update', 'delete']);

/** The NLS controller: one NodeLocalStorage per node, spec from the NodeLocalStorageInitConfig. */
const controller: ComponentRules = {
  cluster: [
    r([''], ['nodes'], READ),
    r([API_GROUP], ['nodelocalstorageinitconfigs'], READ),
    r([API_GROUP], ['nodelocalstorages'], [...READ, 'create', 'update', 'patch', 'delete']),
    events,
  ],
  namespaced: [leases],
};

/** The scheduler extender only reads: it rebuilds its view of capacity from informers. */
const extender: ComponentRules = {
  cluster: [
    r([''], ['nodes', 'pods', 'persistentvolumes', 'persistentvolumeclaims'], READ),
    r(['storage.k8s.io'], ['storageclasses'], READ),
    r([API_GROUP], ['nodelocalstorages', 'localvolumes'], READ),
    r(['snapshot.storage.k8s.io'], ['volumesnapshots', 'volumesnapshotcontents', 'volumesnapshotclasses'], READ),
  ],
  namespaced: [],
};

/** CSI controller: the plugin plus csi-provisioner, csi-resizer and csi-snapshotter (see their rbac.yaml). */
const csiController: ComponentRules = {
  cluster: [
    r([''], ['persistentvolumes'], ['get', 'list', 'watch', 'create', 'patch', 'delete']),
    r([''], ['persistentvolumeclaims'], ['get', 'list', 'watch', 'update']),
    r([''], ['persistentvolumeclaims/status'], ['patch']),
    r([''], ['pods', 'nodes'], READ),
    r([''], ['events'], ['list', 'watch', 'create', 'update', 'patch']),
    r(['storage.k8s.io'], ['storageclasses', 'csinodes', 'volumeattributesclasses'], READ),
    r(['snapshot.storage.k8s.io'], ['volumesnapshots'], ['get', 'list', 'watch', 'update']),
    r(['snapshot.storage.k8s.io'], ['volumesnapshotclasses'], READ),
    r(['snapshot.storage.k8s.io'], ['volumesnapshotcontents'], ['get', 'list', 'watch', 'update', 'patch']),
    r(['snapshot.storage.k8s.io'], ['volumesnapshotcontents/status'], ['update', 'patch']),
    r([API_GROUP], ['nodelocalstorages'], READ),
    r([API_GROUP], ['localvolumes'], [...READ, ...WRITE]),
  ],
  namespaced: [
    leases,
    r(['storage.k8s.io'], ['csistoragecapacities'], [...READ, ...WRITE]),
    r([''], ['pods'], ['get']),
    r(['apps'], ['replicasets'], ['get']),
  ],
};

/** snapshot-controller (only when the cluster has none): its upstream rules. */
const snapshotController: ComponentRules = {
  cluster: [
    r([''], ['persistentvolumes'], READ),
    r([''], ['persistentvolumeclaims'], ['get', 'list', 'watch', 'update']),
    r([''], ['events'], ['list', 'watch', 'create', 'update', 'patch']),
    r(['snapshot.storage.k8s.io'], ['volumesnapshotclasses'], READ),
    r(['snapshot.storage.k8s.io'], ['volumesnapshotcontents'], ['create', 'get', 'list', 'watch', 'update', 'delete', 'patch']),
    r(['snapshot.storage.k8s.io'], ['volumesnapshotcontents/status'], ['patch']),
    r(['snapshot.storage.k8s.io'], ['volumesnapshots'], ['create', 'get', 'list', 'watch', 'update', 'patch', 'delete']),
    r(['snapshot.storage.k8s.io'], ['volumesnapshots/status'], ['update', 'patch']),
  ],
  namespaced: [leases],
};

/** Node pods: the agent writes its NodeLocalStorage status, the CSI node plugin reconciles LocalVolumes. */
const node: ComponentRules = {
  cluster: [
    r([''], ['nodes'], ['get']),
    r([''], ['pods', 'persistentvolumes'], READ),
    r([API_GROUP], ['nodelocalstorages'], READ),
    r([API_GROUP], ['nodelocalstorages/status'], ['get', 'update', 'patch']),
    r([API_GROUP], ['localvolumes'], [...READ, 'update', 'patch']),
    r([API_GROUP], ['localvolumes/status'], ['get', 'update', 'patch']),
    r(['snapshot.storage.k8s.io'], ['volumesnapshotcontents', 'volumesnapshotclasses'], READ),
    events,
  ],
  namespaced: [],
};

/** The prepare-VG Job gets its config in the Job and reports through its termination message: no API access. */
const prepareVg: ComponentRules = { cluster: [], namespaced: [] };

export const componentRules: Readonly<Partial<Record<ComponentName, ComponentRules>>> = {
  'open-local-controller': controller,
  'open-local-scheduler-extender': extender,
  'open-local-csi-controller': csiController,
  'open-local-snapshot-controller': snapshotController,
  'open-local-node': node,
  'open-local-prepare-vg': prepareVg,
};

/** The operator's own needs, beyond what it must hold to grant the component roles above. */
export const operatorRules: ComponentRules = {
  cluster: [
    r([API_GROUP], ['openlocalclusters'], ['get', 'list', 'watch', 'update', 'patch']),
    r([API_GROUP], ['openlocalclusters/status', 'openlocalclusters/finalizers'], ['get', 'update', 'patch']),
    r([API_GROUP], ['nodelocalstorageinitconfigs'], [...READ, ...WRITE]),
    r([''], ['nodes'], ['get', 'list', 'watch', 'patch']),
    r([''], ['namespaces', 'serviceaccounts', 'services', 'configmaps'], [...READ, ...WRITE]),
    r([''], ['pods'], READ),
    r([''], ['events'], ['create', 'patch']),
    r(['apps'], ['deployments', 'daemonsets'], [...READ, ...WRITE]),
    r(['batch'], ['jobs'], [...READ, ...WRITE]),
    r(['rbac.authorization.k8s.io'], ['clusterroles', 'clusterrolebindings', 'roles', 'rolebindings'], [...READ, ...WRITE]),
    r(['storage.k8s.io'], ['csidrivers', 'storageclasses'], [...READ, ...WRITE]),
    r(['snapshot.storage.k8s.io'], ['volumesnapshotclasses'], [...READ, ...WRITE]),
  ],
  namespaced: [leases],
};

/**
 * RBAC forbids granting what one does not hold, so the operator's ClusterRole is its own rules plus every
 * component's (cluster and namespaced, the latter cluster-wide because the operand namespace is chosen at run time).
 */
export function operatorClusterRules(): Rule[] {
  const all = [operatorRules, ...Object.values(componentRules)].flatMap((c) => [...c.cluster, ...c.namespaced]);
  return mergeRules(all);
}

/** Merges rules with the same apiGroup and resource into one (union of verbs), sorted: stable and short. */
export function mergeRules(rules: readonly Rule[]): Rule[] {
  const byKey = new Map<string, Set<string>>();
  for (const rule of rules) {
    for (const g of rule.apiGroups) {
      for (const res of rule.resources) {
        const key = `${g}\u0000${res}`;
        const verbs = byKey.get(key) ?? new Set<string>();
        rule.verbs.forEach((v) => verbs.add(v));
        byKey.set(key, verbs);
      }
    }
  }
  const grouped = new Map<string, { apiGroups: string[]; resources: string[]; verbs: string[] }>();
  for (const [key, verbs] of [...byKey].sort(([a], [b]) => a.localeCompare(b))) {
    const [group = '', resource = ''] = key.split('\u0000');
    const verbList = [...verbs].sort();
    const gk = `${group}\u0000${verbList.join(',')}`;
    const entry = grouped.get(gk) ?? { apiGroups: [group], resources: [], verbs: verbList };
    entry.resources.push(resource);
    grouped.set(gk, entry);
  }
  return [...grouped.values()];
}
