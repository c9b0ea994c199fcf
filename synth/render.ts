import { App, Chart } from 'cdk8s';
import { stringify } from 'yaml';
import { addOperatorInstall, type InstallOptions } from './install/operator-install.js';
import { names } from './names.js';
import { resolveSpec, type ResolvedSpec } from './resolved-spec.js';
import { addController } from './stack/controller.js';
import { addCsiController, addSnapshotController } from './stack/csi-controller.js';
import { addCsiDriver } from './stack/csi-driver.js';
import { addExtender } from './stack/extender.js';
import { addInitConfig } from './stack/nlsc.js';
import { addNamespace } from './stack/namespace.js';
import { addNodeAuthzPolicy } from './stack/node-authz.js';
import { addNodeDaemonSet } from './stack/node-daemonset.js';
import { addPrepareVgJob, type PrepareVgMode } from './stack/prepare-vg-job.js';
import { addComponentRbac } from './stack/rbac.js';
import { addStorageClasses } from './stack/storage-classes.js';
import { resolveNodeConfig } from '../lib/storage-config.js';

/** A rendered Kubernetes object, as sent to the API server. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}

/** Every operand of an OpenLocalCluster (except the per-node prepare-VG Jobs). Throws InvalidClusterError. */
export function renderStack(cluster: unknown): KubeObject[] {
  const spec = resolveSpec(cluster);
  return synth((chart) => {
    addNamespace(chart, spec);
    for (const component of stackComponents(spec)) addComponentRbac(chart, component, spec.namespace, spec.name);
    addInitConfig(chart, spec);
    addController(chart, spec);
    if (spec.extender.enabled) addExtender(chart, spec);
    addCsiDriver(chart, spec);
    addCsiController(chart, spec);
    addNodeAuthzPolicy(chart, spec);
    if (spec.csi.snapshots.enabled && spec.csi.snapshots.deployController) addSnapshotController(chart, spec);
    addNodeDaemonSet(chart, spec);
    addStorageClasses(chart, spec);
  });
}

/** The components (one ServiceAccount each) this spec runs. */
export function stackComponents(spec: ResolvedSpec): (typeof names)[keyof typeof names][] {
  return [
    names.controller,
    ...(spec.extender.enabled ? [names.extender] : []),
    names.csiController,
    ...(spec.csi.snapshots.enabled && spec.csi.snapshots.deployController ? [names.snapshotController] : []),
    names.node,
    names.prepareVg,
  ];
}

/** The prepare-VG Job (or, mode remove, the cleanup Job) for one node, given the labels that select its config. */
export function renderPrepareVgJob(cluster: unknown, nodeName: string, nodeLabels: Readonly<Record<string, string>>, mode: PrepareVgMode = 'prepare'): KubeObject {
  const spec = resolveSpec(cluster);
  const init = resolveNodeConfig(spec.storage, nodeLabels).resourceToBeInited;
  const [job] = synth((chart) => {
    addPrepareVgJob(chart, spec, nodeName, init, mode);
  });
  if (!job) throw new Error('prepare-VG Job did not render');
  return job;
}

/** The operator's own installation (what `kubectl apply -f` of the release manifest creates). */
export function renderInstall(options: InstallOptions = {}): KubeObject[] {
  return synth((chart) => {
    addOperatorInstall(chart, options);
  });
}

/** Multi-document YAML, byte-identical for identical input. */
export function toYaml(objects: readonly KubeObject[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0, sortMapEntries: false })).join('---\n');
}

// Apply order: what others depend on first (namespaces, CRDs, identities), workloads last.
const kindOrder = [
  'Namespace',
  'CustomResourceDefinition',
  'ServiceAccount',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
  // Before the node DaemonSet: no node plugin runs while it could still write another node's volumes.
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'ConfigMap',
  'Service',
  'CSIDriver',
  'StorageClass',
  'VolumeSnapshotClass',
  'NodeLocalStorageInitConfig',
  'Deployment',
  'DaemonSet',
  'Job',
];

function synth(build: (chart: Chart) => void): KubeObject[] {
  const app = new App();
  const chart = new Chart(app, 'open-local', { disableResourceNameHashes: true });
  build(chart);
  const objects = chart.toJson() as KubeObject[];
  const rank = (k: string) => {
    const i = kindOrder.indexOf(k);
    if (i < 0) throw new Error(`kind ${k} has no place in the apply order`);
    return i;
  };
  return objects.sort(
    (a, b) =>
      rank(a.kind) - rank(b.kind) ||
      (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') ||
      a.metadata.name.localeCompare(b.metadata.name),
  );
}
