import { API_GROUP } from '../api/group.js';
import { names, type ComponentName } from './names.js';

/**
 * One RBAC PolicyRule with the reason it exists. Verbs and resources are always explicit: no wildcards anywhere.
 * `why` is rendered nowhere (a PolicyRule has no place for it); a unit test fails on any rule without one.
 */
export interface Rule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames?: readonly string[];
  readonly why: string;
}

/** Cluster-wide and operand-namespace permissions of one component's ServiceAccount. */
export interface ComponentRules {
  readonly cluster: readonly Rule[];
  readonly namespaced: readonly Rule[];
}

const READ = ['get', 'list', 'watch'] as const;
const WRITE = ['create', 'update', 'patch', 'delete'] as const;
const r = (apiGroups: string[], resources: string[], verbs: readonly string[], why: string, resourceNames?: readonly string[]): Rule => ({
  apiGroups,
  resources,
  verbs: [...verbs],
  ...(resourceNames ? { resourceNames: [...resourceNames] } : {}),
  why,
});

const events = r([''], ['events'], ['create', 'patch'], 'records Events on the objects it acts on (kubectl describe)');
const leases = r(['coordination.k8s.io'], ['leases'], ['get', 'list', 'watch', 'create', 'update', 'delete'], 'leader election between its replicas, in the operand namespace only');

/** The NLS controller: one NodeLocalStorage per node, spec from the NodeLocalStorageInitConfig. */
const controller: ComponentRules = {
  cluster: [
    r([''], ['nodes'], READ, 'one NodeLocalStorage per node; node labels select its config'),
    r([API_GROUP], ['nodelocalstorageinitconfigs'], READ, 'the storage config it copies into each NodeLocalStorage spec'),
    r([API_GROUP], ['nodelocalstorages'], [...READ, 'create', 'update', 'patch', 'delete'], 'creates, updates and removes the per-node NodeLocalStorage'),
    events,
  ],
  namespaced: [leases],
};

/** The scheduler extender only reads: it rebuilds its view of capacity from informers. */
const extender: ComponentRules = {
  cluster: [
    r([''], ['nodes', 'pods', 'persistentvolumes', 'persistentvolumeclaims'], READ, 'rebuilds capacity and bindings from informers (no ledger of its own)'),
    r(['storage.k8s.io'], ['storageclasses'], READ, 'a claim\'s volume type and VG come from its StorageClass'),
    r([API_GROUP], ['nodelocalstorages', 'localvolumes'], READ, 'node capacity and the volumes already placed'),
    r(['snapshot.storage.k8s.io'], ['volumesnapshots', 'volumesnapshotcontents', 'volumesnapshotclasses'], READ, 'a restore from a snapshot must land on the snapshot\'s node'),
  ],
  namespaced: [],
};

/** CSI controller: the plugin plus csi-provisioner, csi-resizer and csi-snapshotter (see their rbac.yaml). */
const csiController: ComponentRules = {
  cluster: [
    r([''], ['persistentvolumes'], ['get', 'list', 'watch', 'create', 'patch', 'delete'], 'csi-provisioner creates and deletes the PVs of provisioned volumes'),
    r([''], ['persistentvolumeclaims'], ['get', 'list', 'watch', 'update'], 'csi-provisioner and csi-resizer track and annotate claims'),
    r([''], ['persistentvolumeclaims/status'], ['patch'], 'csi-resizer reports the new size'),
    r([''], ['pods', 'nodes'], READ, 'the selected node of a WaitForFirstConsumer claim and its topology; the plugin places Immediate volumes among nodes'),
    r([''], ['events'], ['list', 'watch', 'create', 'update', 'patch'], 'the sidecars record Events on claims and snapshots'),
    r(['storage.k8s.io'], ['storageclasses', 'csinodes', 'volumeattributesclasses'], READ, 'csi-provisioner reads class parameters and node topology'),
    r(['snapshot.storage.k8s.io'], ['volumesnapshots'], ['get', 'list', 'watch', 'update'], 'csi-snapshotter tracks snapshots'),
    r(['snapshot.storage.k8s.io'], ['volumesnapshotclasses'], READ, 'csi-snapshotter reads snapshot class parameters'),
    r(['snapshot.storage.k8s.io'], ['volumesnapshotcontents'], ['get', 'list', 'watch', 'update', 'patch'], 'csi-snapshotter binds snapshot contents'),
    r(['snapshot.storage.k8s.io'], ['volumesnapshotcontents/status'], ['update', 'patch'], 'csi-snapshotter reports snapshot readiness'),
    r([API_GROUP], ['nodelocalstorages'], READ, 'the plugin\'s GetCapacity and placement: free space per node and VG'),
    r([API_GROUP], ['localvolumes'], [...READ, 'create', 'delete'], 'the plugin records each wanted volume and snapshot for its node plugin (no open port to the nodes) and answers from its status'),
    r([API_GROUP], ['localvolumes'], ['update', 'patch'], 'the plugin raises spec.size for ControllerExpandVolume; never status, which only the node plugin writes'),
  ],
  namespaced: [
    leases,
    r(['storage.k8s.io'], ['csistoragecapacities'], [...READ, ...WRITE], 'csi-provisioner publishes capacity for the default scheduler'),
    r([''], ['pods'], ['get'], 'csi-provisioner finds its own pod as owner of CSIStorageCapacity objects'),
    r(['apps'], ['replicasets'], ['get'], 'csi-provisioner walks pod → ReplicaSet → Deployment for that owner'),
  ],
};

/** snapshot-controller (only when the cluster has none): its upstream rules. */
const snapshotController: ComponentRules = {
  cluster: [
    r([''], ['persistentvolumes'], READ, 'a snapshot\'s source volume'),
    r([''], ['persistentvolumeclaims'], ['get', 'list', 'watch', 'update'], 'a snapshot\'s source claim (finalizer while in use)'),
    r([''], ['events'], ['list', 'watch', 'create', 'update', 'patch'], 'records Events on snapshots'),
    r(['snapshot.storage.k8s.io'], ['volumesnapshotclasses'], READ, 'snapshot class of each snapshot'),
    r(['snapshot.storage.k8s.io'], ['volumesnapshotcontents'], ['create', 'get', 'list', 'watch', 'update', 'delete', 'patch'], 'creates and binds snapshot contents'),
    r(['snapshot.storage.k8s.io'], ['volumesnapshotcontents/status'], ['patch'], 'snapshot content status'),
    r(['snapshot.storage.k8s.io'], ['volumesnapshots'], ['create', 'get', 'list', 'watch', 'update', 'patch', 'delete'], 'snapshot lifecycle'),
    r(['snapshot.storage.k8s.io'], ['volumesnapshots/status'], ['update', 'patch'], 'snapshot status'),
  ],
  namespaced: [leases],
};

/**
 * Node pods: the agent and the CSI node plugin share the node ServiceAccount. RBAC cannot tell one node's plugin
 * from another's, so LocalVolume writes are further limited on the API server to the caller's own node
 * (synth/stack/node-authz.ts).
 */
const node: ComponentRules = {
  cluster: [
    r([''], ['nodes'], ['get'], 'agent and CSI node plugin: their own Node (labels, topology)'),
    r([''], ['persistentvolumes'], READ, 'CSI node plugin: the PV behind a volume (attributes of volumes Open-Local v0.7 provisioned)'),
    r([API_GROUP], ['localvolumes'], [...READ, 'update', 'patch'], 'CSI node plugin: reconciles its node\'s volumes (field-selected by spec.nodeName) and removes their finalizer; admission refuses other nodes\' volumes'),
    r([API_GROUP], ['localvolumes/status'], ['update', 'patch'], 'CSI node plugin: reports each volume\'s state (phase, device, size, identity); admission refuses other nodes\' volumes'),
    r([API_GROUP], ['nodelocalstorages'], READ, 'agent: its node\'s storage config'),
    r([API_GROUP], ['nodelocalstorages/status'], ['get', 'update', 'patch'], 'agent: reports discovered disks and VGs'),
    r(['snapshot.storage.k8s.io'], ['volumesnapshotcontents', 'volumesnapshotclasses'], READ, 'agent: expansion threshold and size of each snapshot LV, from its VolumeSnapshotClass'),
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

/**
 * How the operator hands out the component roles without holding them (Kubernetes RBAC escalation prevention:
 * a binding may be created only by who holds every permission of its role, or `bind` on that role).
 *
 * The component ClusterRoles are shipped with the operator (the install manifest and the OLM bundle carry them;
 * the operator never creates or changes a ClusterRole or Role). A component's cluster rules are the ClusterRole
 * named after it (ClusterRoleBinding); its namespaced rules are the ClusterRole `<component>-namespaced`, granted
 * only inside the operand namespace by a RoleBinding. The operator holds `bind` on exactly these names, and the
 * same for its own namespaced rights (OPERATOR_OPERANDS_ROLE), which it grants itself in the operand namespace
 * (a field of the OpenLocalCluster, so not known at install time) before creating anything there.
 */
export const componentClusterRoleName = (component: ComponentName): string => component;
export const componentNamespacedRoleName = (component: ComponentName): string => `${component}-namespaced`;
export const OPERATOR_OPERANDS_ROLE = `${names.operator}-operands`;

/** Every ClusterRole the install ships for the components, with its rules. */
export function componentClusterRoles(): { name: string; rules: readonly Rule[] }[] {
  return Object.entries(componentRules).flatMap(([component, rules]) => [
    ...(rules.cluster.length > 0 ? [{ name: componentClusterRoleName(component as ComponentName), rules: rules.cluster }] : []),
    ...(rules.namespaced.length > 0 ? [{ name: componentNamespacedRoleName(component as ComponentName), rules: rules.namespaced }] : []),
  ]);
}

const namesWithCluster = Object.entries(componentRules).filter(([, c]) => c.cluster.length > 0).map(([n]) => n).sort();
const namesWithNamespaced = Object.entries(componentRules).filter(([, c]) => c.namespaced.length > 0).map(([n]) => n).sort();

/** Namespaced kinds the operator writes: only in the operand namespace (bound there, see above). */
export const operatorOperandRules: readonly Rule[] = [
  r([''], ['serviceaccounts', 'services', 'configmaps'], WRITE, 'the components\' identities, the extender Service and the scheduler config, in the operand namespace'),
  r(['apps'], ['deployments', 'daemonsets'], WRITE, 'the component workloads, in the operand namespace'),
  r(['batch'], ['jobs'], WRITE, 'one prepare-VG (or cleanup) Job per node, in the operand namespace; deleted and replaced on a config change'),
];

/** The operator's own cluster-wide and operator-namespace rights. */
export const operatorRules: ComponentRules = {
  cluster: [
    r([API_GROUP], ['openlocalclusters'], ['get', 'list', 'watch', 'update', 'patch'], 'reconciles the top-level CR; patch adds and removes its finalizer'),
    r([API_GROUP], ['openlocalclusters/status'], ['get', 'update', 'patch'], 'writes conditions, phase and per-node status'),
    r([API_GROUP], ['openlocalclusters/finalizers'], ['update'], 'owner references with blockOwnerDeletion to the CR (OwnerReferencesPermissionEnforcement)'),
    r([API_GROUP], ['nodelocalstorageinitconfigs'], [...READ, ...WRITE], 'renders the cluster-scoped NodeLocalStorageInitConfig from spec.storage'),
    r([API_GROUP], ['localvolumes'], READ, 'a node holding volumes keeps its node plugins and blocks deletion of the CR'),
    r([''], ['persistentvolumes'], READ, 'the same for PersistentVolumes of local.csi.aliyun.com; never written or deleted'),
    r([''], ['nodes'], ['get', 'list', 'watch', 'patch'], 'eligible nodes; patch sets and removes the storage-ready label only'),
    r([''], ['namespaces'], ['get', 'list', 'watch', 'create'], 'creates the operand namespace when missing; never changes or deletes a namespace'),
    r([''], ['pods'], READ, 'prepare-VG results (termination messages); cluster-wide because the operand namespace is a CR field read after the caches start'),
    r([''], ['serviceaccounts', 'services', 'configmaps'], READ, 'caches of its operands (label-selected); writes are granted in the operand namespace only'),
    r(['apps'], ['deployments', 'daemonsets'], READ, 'caches of its operands (label-selected): component availability for status'),
    r(['batch'], ['jobs'], READ, 'cache of its prepare-VG Jobs (label-selected)'),
    r([''], ['events'], ['create', 'patch'], 'Events on the cluster-scoped OpenLocalCluster (recorded in namespace default, as client-go does)'),
    r(['storage.k8s.io'], ['csidrivers', 'storageclasses'], [...READ, ...WRITE], 'CSIDriver and StorageClasses cannot ship in an OLM bundle; the operator creates them at run time'),
    r(['snapshot.storage.k8s.io'], ['volumesnapshotclasses'], [...READ, ...WRITE], 'the default VolumeSnapshotClass, created at run time for the same reason'),
    r(['admissionregistration.k8s.io'], ['validatingadmissionpolicies', 'validatingadmissionpolicybindings'], [...READ, 'create'], 'the policy that keeps each node plugin to its own node\'s LocalVolumes (cannot ship in an OLM bundle); create cannot be limited by name'),
    r(['admissionregistration.k8s.io'], ['validatingadmissionpolicies', 'validatingadmissionpolicybindings'], ['update', 'patch', 'delete'], 'changes and removes only that policy and its binding', [names.nodeAuthz]),
    r(['rbac.authorization.k8s.io'], ['clusterrolebindings', 'rolebindings'], [...READ, 'create'], 'binds the shipped component roles (and its own operand rights in the operand namespace); create cannot be limited by name'),
    r(['rbac.authorization.k8s.io'], ['clusterrolebindings'], ['update', 'patch', 'delete'], 'changes and removes only the component bindings it renders', namesWithCluster),
    r(['rbac.authorization.k8s.io'], ['rolebindings'], ['update', 'patch', 'delete'], 'changes and removes only the bindings it renders in the operand namespace', [...namesWithNamespaced, OPERATOR_OPERANDS_ROLE]),
    r(
      ['rbac.authorization.k8s.io'],
      ['clusterroles'],
      ['bind'],
      'grants the shipped component roles and its operand rights without holding them (RBAC escalation prevention); no ClusterRole is created or changed at run time',
      [...new Set([...namesWithCluster.map((n) => componentClusterRoleName(n as ComponentName)), ...namesWithNamespaced.map((n) => componentNamespacedRoleName(n as ComponentName)), OPERATOR_OPERANDS_ROLE])].sort(),
    ),
  ],
  namespaced: [
    r(['coordination.k8s.io'], ['leases'], ['create'], 'creates its leader-election Lease the first time (create cannot be limited by name)'),
    r(['coordination.k8s.io'], ['leases'], ['get', 'update'], 'renews and releases only its own leader-election Lease', [names.operator]),
  ],
};

/** The operator's cluster-wide ClusterRole rules. */
export function operatorClusterRules(): Rule[] {
  return [...operatorRules.cluster];
}
