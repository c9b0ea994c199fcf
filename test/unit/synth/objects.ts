/**
 * Typed views of rendered objects for the synth tests: filter by kind, then read them with the
 * @kubernetes/client-node model types (the rendered JSON has exactly their shape).
 */
import type {
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1ConfigMap,
  V1Container,
  V1CSIDriver,
  V1DaemonSet,
  V1Deployment,
  V1Job,
  V1Namespace,
  V1PodSpec,
  V1Role,
  V1RoleBinding,
  V1Service,
  V1ServiceAccount,
  V1StorageClass,
} from '@kubernetes/client-node';
import type { KubeObject } from '../../../synth/render.js';

/** snapshot.storage.k8s.io/v1 VolumeSnapshotClass (not in client-node). */
export interface VolumeSnapshotClass {
  readonly apiVersion: string;
  readonly kind: 'VolumeSnapshotClass';
  readonly metadata: { readonly name: string };
  readonly driver: string;
  readonly deletionPolicy: string;
  readonly parameters?: Readonly<Record<string, string>>;
}

export interface KindMap {
  readonly Namespace: V1Namespace;
  readonly ServiceAccount: V1ServiceAccount;
  readonly ClusterRole: V1ClusterRole;
  readonly ClusterRoleBinding: V1ClusterRoleBinding;
  readonly Role: V1Role;
  readonly RoleBinding: V1RoleBinding;
  readonly ConfigMap: V1ConfigMap;
  readonly Service: V1Service;
  readonly CSIDriver: V1CSIDriver;
  readonly StorageClass: V1StorageClass;
  readonly VolumeSnapshotClass: VolumeSnapshotClass;
  readonly Deployment: V1Deployment;
  readonly DaemonSet: V1DaemonSet;
  readonly Job: V1Job;
}

/** The objects of one kind, typed (the kind check is the guard). */
export function ofKind<K extends keyof KindMap>(objects: readonly KubeObject[], kind: K): KindMap[K][] {
  return objects.filter((o) => o.kind === kind) as unknown[] as KindMap[K][];
}

/** The one object of `kind` named `name`; throws naming what is missing. */
export function one<K extends keyof KindMap>(objects: readonly KubeObject[], kind: K, name: string): KindMap[K] {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind}/${name}, found ${found.length}`);
  return ofKind(found, kind)[0]!;
}

export function names(objects: readonly KubeObject[], kind: keyof KindMap): string[] {
  return objects.filter((o) => o.kind === kind).map((o) => o.metadata.name);
}

export interface Workload {
  /** `Kind/name`, for assertion messages. */
  readonly id: string;
  readonly kind: 'Deployment' | 'DaemonSet' | 'Job';
  readonly name: string;
  readonly namespace: string;
  readonly pod: V1PodSpec;
}

/** Every pod template of the rendered Deployments, DaemonSets and Jobs. */
export function workloads(objects: readonly KubeObject[]): Workload[] {
  const all = [
    ...ofKind(objects, 'Deployment').map((o) => ({ kind: 'Deployment' as const, o })),
    ...ofKind(objects, 'DaemonSet').map((o) => ({ kind: 'DaemonSet' as const, o })),
    ...ofKind(objects, 'Job').map((o) => ({ kind: 'Job' as const, o })),
  ];
  return all.map(({ kind, o }) => {
    const name = o.metadata?.name ?? '';
    const pod = o.spec?.template.spec;
    if (!pod) throw new Error(`${kind}/${name} has no pod template spec`);
    return { id: `${kind}/${name}`, kind, name, namespace: o.metadata?.namespace ?? '', pod };
  });
}

/** Every container (init containers included) of every workload, with the workload it belongs to. */
export function containers(objects: readonly KubeObject[]): { readonly workload: Workload; readonly container: V1Container; readonly id: string }[] {
  return workloads(objects).flatMap((workload) =>
    [...(workload.pod.initContainers ?? []), ...workload.pod.containers].map((container) => ({
      workload,
      container,
      id: `${workload.id} container ${container.name}`,
    })),
  );
}
