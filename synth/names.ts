/** Object names and labels shared by the rendered stack, the operator and the tests. */
export const PART_OF = 'open-local';
export const MANAGED_BY = 'open-local-operator';

export const names = {
  nlsc: 'open-local',
  controller: 'open-local-controller',
  extender: 'open-local-scheduler-extender',
  schedulerConfig: 'open-local-scheduler-config',
  csiController: 'open-local-csi-controller',
  snapshotController: 'open-local-snapshot-controller',
  node: 'open-local-node',
  prepareVg: 'open-local-prepare-vg',
  operator: 'open-local-operator',
  /** The ValidatingAdmissionPolicy (and its binding) that keeps each node plugin to its own node's LocalVolumes. */
  nodeAuthz: 'open-local-node-localvolumes',
} as const;
export type ComponentName = (typeof names)[keyof typeof names];

/** The node label the operator sets once a node's volume groups are ready; the node DaemonSet selects it. */
export const STORAGE_READY_LABEL = 'csi.aliyun.com/open-local-ready';

/** Selector labels: the only labels in immutable selectors, so they never change between releases. */
export function selectorLabels(component: ComponentName): Record<string, string> {
  return { 'app.kubernetes.io/name': PART_OF, 'app.kubernetes.io/component': component };
}

export function componentLabels(component: ComponentName, instance: string): Record<string, string> {
  return {
    ...selectorLabels(component),
    'app.kubernetes.io/part-of': PART_OF,
    'app.kubernetes.io/managed-by': MANAGED_BY,
    'app.kubernetes.io/instance': instance,
  };
}
