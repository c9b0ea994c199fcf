/**
 * `spec.customresourcedefinitions.owned` of the CSV: what the OpenShift console and OperatorHub show for
 * each kind. The tables below pick the fields worth a form control or a status widget; descriptions and
 * select options come from the CRD schema (api/schemas), so they cannot drift from what the API enforces.
 */
import { crdManifests } from '../api/generated/crds.js';
import type { CrdManifest } from '../api/crd-manifest.js';

/** One descriptor as the table states it; `description` only where the schema has none. */
interface FieldSpec {
  readonly path: string;
  readonly displayName: string;
  readonly description?: string;
  /** Widgets; `select` expands to one `select:<value>` per schema enum value. */
  readonly x?: readonly (Widget | 'select')[];
}

/** Descriptor as the CSV holds it. */
export interface Descriptor {
  readonly path: string;
  readonly displayName: string;
  readonly description: string;
  readonly 'x-descriptors'?: readonly string[];
}

export interface OwnedCrd {
  readonly name: string;
  readonly version: string;
  readonly kind: string;
  readonly displayName: string;
  readonly description: string;
  readonly resources?: readonly { kind: string; name: string; version: string }[];
  readonly specDescriptors: readonly Descriptor[];
  readonly statusDescriptors: readonly Descriptor[];
}

// The console's descriptor vocabulary (openshift/console, OLM descriptor reference).
const UI = 'urn:alm:descriptor:com.tectonic.ui:';
const widgets = {
  text: `${UI}text`,
  number: `${UI}number`,
  podCount: `${UI}podCount`,
  booleanSwitch: `${UI}booleanSwitch`,
  imagePullPolicy: `${UI}imagePullPolicy`,
  advanced: `${UI}advanced`,
  nodeSelector: `${UI}selector:core:v1:Node`,
  secret: 'urn:alm:descriptor:io.kubernetes:Secret',
  namespace: 'urn:alm:descriptor:io.kubernetes:Namespace',
  node: 'urn:alm:descriptor:io.kubernetes:Node',
  conditions: 'urn:alm:descriptor:io.kubernetes.conditions',
  phase: 'urn:alm:descriptor:io.kubernetes.phase',
  reason: 'urn:alm:descriptor:io.kubernetes.phase:reason',
  statusText: 'urn:alm:descriptor:text',
} as const;
type Widget = keyof typeof widgets;

interface KindDescriptors {
  readonly displayName: string;
  readonly spec: readonly FieldSpec[];
  readonly status: readonly FieldSpec[];
  /** Kinds of objects an instance makes the operator create (shown as the instance's resources). */
  readonly resources?: readonly { kind: string; name: string; version: string }[];
}

export const descriptorTables: Readonly<Record<string, KindDescriptors>> = {
  OpenLocalCluster: {
    displayName: 'Open-Local Cluster',
    spec: [
      { path: 'namespace', displayName: 'Operand namespace', x: ['namespace'] },
      { path: 'logLevel', displayName: 'Log level', description: 'Log level of every open-local component.', x: ['select'] },
      { path: 'storage', displayName: 'Storage', x: [] },
      { path: 'nodes.selector', displayName: 'Storage nodes', x: ['nodeSelector'] },
      { path: 'nodes.tolerations', displayName: 'Tolerations', x: ['advanced'] },
      { path: 'storageClasses', displayName: 'StorageClasses', x: [] },
      { path: 'extender.enabled', displayName: 'Scheduler extender', description: 'Run the kube-scheduler extender.', x: ['booleanSwitch'] },
      { path: 'extender.strategy', displayName: 'Placement strategy', x: ['select'] },
      { path: 'extender.replicas', displayName: 'Extender replicas', description: 'Replicas of the scheduler extender.', x: ['podCount'] },
      { path: 'extender.tls.enabled', displayName: 'Extender TLS', description: 'Serve the extender over HTTPS.', x: ['booleanSwitch', 'advanced'] },
      { path: 'extender.tls.secretName', displayName: 'Extender TLS Secret', x: ['secret', 'advanced'] },
      { path: 'csi.storageCapacityTracking', displayName: 'Storage capacity tracking', x: ['booleanSwitch'] },
      { path: 'csi.snapshots.enabled', displayName: 'Snapshots', x: ['booleanSwitch'] },
      { path: 'csi.snapshots.deployController', displayName: 'Deploy snapshot-controller', x: ['booleanSwitch'] },
      { path: 'csi.maxVolumesPerNode', displayName: 'Max volumes per node', x: ['number', 'advanced'] },
      { path: 'csi.kubeletDir', displayName: 'Kubelet directory', x: ['text', 'advanced'] },
      { path: 'volumeSnapshotClasses', displayName: 'VolumeSnapshotClasses', x: ['advanced'] },
      { path: 'prepareVolumeGroups.concurrency', displayName: 'Prepare concurrency', x: ['number', 'advanced'] },
      { path: 'prepareVolumeGroups.timeoutSeconds', displayName: 'Prepare timeout (seconds)', x: ['number', 'advanced'] },
      { path: 'images.pullPolicy', displayName: 'Image pull policy', description: 'Pull policy of every operand image.', x: ['imagePullPolicy', 'advanced'] },
      { path: 'images.openLocal', displayName: 'open-local image', x: ['text', 'advanced'] },
      { path: 'cleanup.policy', displayName: 'Cleanup policy', x: ['select'] },
      { path: 'cleanup.confirm', displayName: 'Cleanup confirmation', x: ['text'] },
    ],
    status: [
      { path: 'phase', displayName: 'Phase', description: 'Summary of the conditions: Pending, Progressing, Ready, Degraded or Deleting.', x: ['phase'] },
      { path: 'conditions', displayName: 'Conditions', x: ['conditions'] },
      { path: 'nodeCounts.total', displayName: 'Storage nodes', description: 'Nodes the storage selector matches.', x: ['statusText'] },
      { path: 'nodeCounts.ready', displayName: 'Ready nodes', description: 'Storage nodes whose volume groups are prepared.', x: ['statusText'] },
      { path: 'nodeCounts.failed', displayName: 'Failed nodes', description: 'Storage nodes whose last prepare-VG run failed.', x: ['statusText'] },
      { path: 'nodeCounts', displayName: 'Node counts', description: 'Storage nodes in total, ready and failed.' },
      { path: 'nodes', displayName: 'Nodes', description: 'Per storage node: prepare-VG phase, attempts, volume groups and the last error.' },
      { path: 'components', displayName: 'Components', description: 'Each operand workload (controller, extender, CSI, node DaemonSet) and whether it is available.' },
      { path: 'observedGeneration', displayName: 'Observed generation', x: ['statusText'] },
    ],
    resources: [
      { kind: 'NodeLocalStorageInitConfig', name: '', version: 'v1alpha1' },
      { kind: 'Deployment', name: '', version: 'v1' },
      { kind: 'DaemonSet', name: '', version: 'v1' },
      { kind: 'Job', name: '', version: 'v1' },
      { kind: 'CSIDriver', name: '', version: 'v1' },
      { kind: 'StorageClass', name: '', version: 'v1' },
    ],
  },
  NodeLocalStorageInitConfig: {
    displayName: 'Node Local Storage Init Config',
    spec: [
      { path: 'globalConfig', displayName: 'Global config' },
      { path: 'nodesConfig', displayName: 'Per-node config', description: 'Blocks that replace globalConfig on the nodes their selector matches (the last match wins).' },
    ],
    status: [],
  },
  NodeLocalStorage: {
    displayName: 'Node Local Storage',
    spec: [
      { path: 'nodeName', displayName: 'Node', description: 'The node this storage configuration is for.', x: ['node'] },
      { path: 'listConfig', displayName: 'Visible storage' },
      { path: 'resourceToBeInited', displayName: 'Storage to initialise' },
    ],
    status: [
      { path: 'nodeStorageInfo.phase', displayName: 'Phase', description: "The agent's phase on this node.", x: ['phase'] },
      { path: 'nodeStorageInfo.volumeGroups', displayName: 'Volume groups', description: 'Volume groups the agent found, with their size and free space.' },
      { path: 'nodeStorageInfo.deviceInfo', displayName: 'Devices', description: 'Block devices the agent found.' },
      { path: 'filteredStorageInfo', displayName: 'Schedulable storage', description: 'The storage listConfig lets the scheduler use.' },
    ],
  },
  LocalVolume: {
    displayName: 'Local Volume',
    spec: [
      { path: 'nodeName', displayName: 'Node', description: 'The node that holds the volume.', x: ['node'] },
      { path: 'volumeType', displayName: 'Volume type', description: 'LVM logical volume, whole Device or MountPoint.', x: ['select'] },
      { path: 'vgName', displayName: 'Volume group', description: 'LVM volumes: the volume group.', x: ['text'] },
      { path: 'size', displayName: 'Size (bytes)', x: ['text'] },
      { path: 'snapshotOf', displayName: 'Snapshot of', x: ['text'] },
    ],
    status: [
      { path: 'phase', displayName: 'Phase', description: 'Pending, Ready, Resizing, Deleting or Failed.', x: ['phase'] },
      { path: 'reason', displayName: 'Reason', description: 'Why the volume is in its phase.', x: ['reason'] },
      { path: 'message', displayName: 'Message', description: 'Details of the last error.', x: ['statusText'] },
      { path: 'devicePath', displayName: 'Device path', description: 'The block device or directory on the node.', x: ['statusText'] },
      { path: 'size', displayName: 'Size (bytes)', x: ['statusText'] },
    ],
  },
};

type Schema = Readonly<Record<string, unknown>>;
const isSchema = (v: unknown): v is Schema => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The schema at a descriptor path (`a.b`, `list[0].c`) under `root`, or undefined. */
export function schemaAt(root: Schema, path: string): Schema | undefined {
  let node: Schema | undefined = root;
  for (const part of path.split('.')) {
    const m = /^([^[\]]+)((?:\[\d+\])*)$/.exec(part);
    if (!m?.[1] || !node) return undefined;
    const props: unknown = node.properties;
    const next: unknown = isSchema(props) ? props[m[1]] : undefined;
    node = isSchema(next) ? next : undefined;
    for (let i = 0; i < (m[2] ?? '').split('[').length - 1 && node; i++) {
      const items: unknown = node.items;
      node = isSchema(items) ? items : undefined;
    }
  }
  return node;
}

function storageVersion(crd: CrdManifest): CrdManifest['spec']['versions'][number] {
  const version = crd.spec.versions.find((v) => v.storage);
  if (!version) throw new Error(`CRD ${crd.metadata.name} has no storage version`);
  return version;
}

function descriptor(kind: string, section: 'spec' | 'status', root: Schema, field: FieldSpec): Descriptor {
  const where = `${kind} ${section}.${field.path}`;
  const schema = schemaAt(root, `${section}.${field.path}`);
  if (!schema) throw new Error(`descriptor ${where}: no such field in the CRD schema`);
  const description = field.description ?? (typeof schema.description === 'string' ? schema.description : undefined);
  if (!description) throw new Error(`descriptor ${where}: the schema has no description; give one in the table`);
  const x = (field.x ?? []).flatMap((w) => {
    if (w !== 'select') return [widgets[w]];
    if (!Array.isArray(schema.enum)) throw new Error(`descriptor ${where}: select needs an enum in the schema`);
    return schema.enum.map((v) => `${UI}select:${String(v)}`);
  });
  return { path: field.path, displayName: field.displayName, description, ...(x.length > 0 ? { 'x-descriptors': x } : {}) };
}

/** The owned-CRD entries of the CSV, one per CRD of api/, in CRD name order. */
export function ownedCrds(crds: readonly CrdManifest[] = crdManifests): OwnedCrd[] {
  return [...crds]
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
    .map((crd) => {
      const kind = crd.spec.names.kind;
      const table = descriptorTables[kind];
      if (!table) throw new Error(`no CSV descriptors for kind ${kind}: add it to olm-bundle/descriptors.ts`);
      const version = storageVersion(crd);
      const root = version.schema.openAPIV3Schema;
      const description = root.description;
      if (typeof description !== 'string' || description === '') throw new Error(`CRD ${crd.metadata.name} has no description`);
      return {
        name: crd.metadata.name,
        version: version.name,
        kind,
        displayName: table.displayName,
        description,
        ...(table.resources ? { resources: table.resources } : {}),
        specDescriptors: table.spec.map((f) => descriptor(kind, 'spec', root, f)),
        statusDescriptors: table.status.map((f) => descriptor(kind, 'status', root, f)),
      };
    });
}
