import { validate } from '../api/validate.js';
import type {
  CsiSpec,
  ExtenderSpec,
  ImagesSpec,
  OpenLocalCluster,
  SnapshotClassSpec,
  StorageClassSpec,
  StorageNodesSpec,
  StorageSpec,
} from '../api/generated/types.js';

type Required2<T> = { readonly [K in keyof T]-?: Exclude<T[K], undefined> };

/** An OpenLocalCluster spec after schema defaulting: every defaulted field is present. */
export interface ResolvedSpec {
  readonly name: string;
  readonly namespace: string;
  readonly logLevel: string;
  readonly images: Required2<Omit<ImagesSpec, 'pullSecrets'>> & { readonly pullSecrets: readonly string[] };
  readonly storage: StorageSpec;
  readonly nodes: StorageNodesSpec & { readonly tolerations: NonNullable<StorageNodesSpec['tolerations']> };
  readonly extender: Required2<Omit<ExtenderSpec, 'tls'>> & { readonly tls: { readonly enabled: boolean; readonly secretName?: string } };
  readonly csi: Required2<Omit<CsiSpec, 'snapshots'>> & { readonly snapshots: Required2<NonNullable<CsiSpec['snapshots']>> };
  readonly storageClasses: readonly StorageClassSpec[];
  readonly volumeSnapshotClasses: readonly Required2<SnapshotClassSpec>[];
  readonly prepareVolumeGroups: { readonly concurrency: number; readonly timeoutSeconds: number };
  readonly cleanupPolicy: 'Keep' | 'RemoveVolumeGroups';
}

/** Thrown for an OpenLocalCluster the schema rejects; `errors` name the fields. */
export class InvalidClusterError extends Error {
  readonly errors: readonly string[];
  constructor(errors: readonly string[]) {
    super(`invalid OpenLocalCluster:\n  ${errors.join('\n  ')}`);
    this.name = 'InvalidClusterError';
    this.errors = errors;
  }
}

/** Validates and defaults a cluster with the CRD schema (the single source of defaults), then narrows the types. */
export function resolveSpec(cluster: unknown): ResolvedSpec {
  const result = validate('OpenLocalCluster', cluster);
  if (!result.ok) throw new InvalidClusterError(result.errors);
  const c: OpenLocalCluster = result.value;
  const s = c.spec;
  const name = c.metadata?.name;
  if (!name) throw new InvalidClusterError(['metadata.name: Required value']);
  const images = need(s.images, 'images');
  const extender = need(s.extender, 'extender');
  const csi = need(s.csi, 'csi');
  const snapshots = need(csi.snapshots, 'csi.snapshots');
  const nodes = need(s.nodes, 'nodes');
  const prepare = need(s.prepareVolumeGroups, 'prepareVolumeGroups');
  return {
    name,
    namespace: need(s.namespace, 'namespace'),
    logLevel: need(s.logLevel, 'logLevel'),
    images: {
      openLocal: need(images.openLocal, 'images.openLocal'),
      csiProvisioner: need(images.csiProvisioner, 'images.csiProvisioner'),
      csiResizer: need(images.csiResizer, 'images.csiResizer'),
      csiSnapshotter: need(images.csiSnapshotter, 'images.csiSnapshotter'),
      snapshotController: need(images.snapshotController, 'images.snapshotController'),
      nodeDriverRegistrar: need(images.nodeDriverRegistrar, 'images.nodeDriverRegistrar'),
      livenessProbe: need(images.livenessProbe, 'images.livenessProbe'),
      pullPolicy: need(images.pullPolicy, 'images.pullPolicy'),
      pullSecrets: images.pullSecrets ?? [],
    },
    storage: need(s.storage, 'storage'),
    nodes: { ...nodes, tolerations: need(nodes.tolerations, 'nodes.tolerations') },
    extender: {
      enabled: need(extender.enabled, 'extender.enabled'),
      strategy: need(extender.strategy, 'extender.strategy'),
      replicas: need(extender.replicas, 'extender.replicas'),
      port: need(extender.port, 'extender.port'),
      tls: { enabled: need(extender.tls?.enabled, 'extender.tls.enabled'), secretName: extender.tls?.secretName },
    },
    csi: {
      kubeletDir: need(csi.kubeletDir, 'csi.kubeletDir'),
      maxVolumesPerNode: need(csi.maxVolumesPerNode, 'csi.maxVolumesPerNode'),
      storageCapacityTracking: need(csi.storageCapacityTracking, 'csi.storageCapacityTracking'),
      snapshots: {
        enabled: need(snapshots.enabled, 'csi.snapshots.enabled'),
        deployController: need(snapshots.deployController, 'csi.snapshots.deployController'),
      },
    },
    storageClasses: need(s.storageClasses, 'storageClasses'),
    volumeSnapshotClasses: need(s.volumeSnapshotClasses, 'volumeSnapshotClasses').map((v) => ({
      name: v.name,
      readOnly: need(v.readOnly, 'volumeSnapshotClasses[].readOnly'),
      initialSize: need(v.initialSize, 'volumeSnapshotClasses[].initialSize'),
      expansionSize: need(v.expansionSize, 'volumeSnapshotClasses[].expansionSize'),
      expansionThreshold: need(v.expansionThreshold, 'volumeSnapshotClasses[].expansionThreshold'),
      deletionPolicy: need(v.deletionPolicy, 'volumeSnapshotClasses[].deletionPolicy'),
    })),
    prepareVolumeGroups: {
      concurrency: need(prepare.concurrency, 'prepareVolumeGroups.concurrency'),
      timeoutSeconds: need(prepare.timeoutSeconds, 'prepareVolumeGroups.timeoutSeconds'),
    },
    cleanupPolicy: need(s.cleanup?.policy, 'cleanup.policy'),
  };
}

/** A schema default is missing: only possible if api/schemas lost a `default`, so it is a bug, not bad input. */
function need<T>(value: T | undefined, field: string): T {
  if (value === undefined) throw new Error(`schema default missing for spec.${field} (api/schemas out of sync with synth)`);
  return value;
}
