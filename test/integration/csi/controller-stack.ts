// What the CSI controller pod finds in a real cluster, set up on a test control plane as the operator would: the
// CRDs (ours and the snapshot CRDs of the pinned external-snapshotter release), the rendered ServiceAccounts,
// RBAC, node admission policy, CSIDriver, StorageClasses and VolumeSnapshotClasses, the rendered CSI controller Deployment with a
// ReplicaSet and a Pod under it (csi-provisioner --enable-capacity walks Pod → ReplicaSet → Deployment to own its
// CSIStorageCapacity objects), and kubeconfigs with the ServiceAccounts' tokens so every process runs with exactly
// the rendered RBAC.
import type { V1Deployment } from '@kubernetes/client-node';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { names } from '../../../synth/names.js';
import { renderInstall, renderStack, type KubeObject } from '../../../synth/render.js';
import type { ControlPlane } from '../../env/control-plane.js';
import type { PodRef } from '../../env/csi-sidecars.js';
import { installCrds, rawApi, type RawApi } from '../support/raw-api.js';
import { snapshotCrds } from '../support/snapshot-crds.js';

export interface ControllerStack {
  readonly raw: RawApi;
  readonly objects: readonly KubeObject[];
  readonly namespace: string;
  /** The Pod standing for the CSI controller pod. */
  readonly pod: PodRef;
  /** The csi-controller ServiceAccount's kubeconfig (the driver and its sidecars). */
  readonly kubeconfig: string;
  /** The snapshot-controller ServiceAccount's kubeconfig (the csi-controller one when it is not rendered). */
  readonly snapshotControllerKubeconfig: string;
}

/** Kinds of the rendered stack applied as they are (workloads are not: no kubelet runs them). */
const APPLIED_KINDS = [
  'Namespace',
  'ServiceAccount',
  'ClusterRoleBinding',
  'RoleBinding',
  // The node plugins' admission policy (a node writes only its own LocalVolumes), as the operator applies it.
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'CSIDriver',
  'StorageClass',
  'VolumeSnapshotClass',
];

async function must(what: string, response: Promise<{ status: number; text: string; body: Record<string, unknown> }>): Promise<Record<string, unknown>> {
  const r = await response;
  if (r.status < 200 || r.status > 299) throw new Error(`${what}: ${r.status} ${r.text}`);
  return r.body;
}

const uidOf = (body: Record<string, unknown>): string => {
  const uid = (body.metadata as { uid?: string } | undefined)?.uid;
  if (!uid) throw new Error(`no uid in ${JSON.stringify(body)}`);
  return uid;
};

export async function setUpControllerStack(cp: ControlPlane, cluster: unknown, dir: string): Promise<ControllerStack> {
  const raw = rawApi(cp);
  const objects = renderStack(cluster);
  const install = renderInstall();
  await installCrds(raw, [...install.filter((o) => o.kind === 'CustomResourceDefinition'), ...snapshotCrds()]);
  for (const o of install.filter((x) => x.kind === 'ClusterRole')) await must(`ClusterRole ${o.metadata.name}`, raw.apply(o));
  for (const kind of APPLIED_KINDS) {
    for (const o of objects.filter((x) => x.kind === kind)) await must(`${kind} ${o.metadata.name}`, raw.apply(o));
  }
  const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === names.csiController);
  const namespace = deployment?.metadata.namespace;
  if (!deployment || !namespace) throw new Error(`the rendered stack has no namespaced Deployment ${names.csiController}`);
  const deploymentUid = uidOf(await must('CSI controller Deployment', raw.apply(deployment)));
  const rendered: V1Deployment = deployment;
  const template = rendered.spec;
  if (!template) throw new Error(`the rendered ${names.csiController} has no spec`);
  const owner = (kind: string, name: string, uid: string) => [{ apiVersion: 'apps/v1', kind, name, uid, controller: true, blockOwnerDeletion: true }];
  const rsName = `${names.csiController}-6d5f7c9b8`;
  const rsUid = uidOf(
    await must(
      'ReplicaSet',
      raw.create({
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: rsName, namespace, ownerReferences: owner('Deployment', names.csiController, deploymentUid) },
        // No kube-controller-manager runs, and a ReplicaSet of 0 would not start pods anyway: the Pod below is the test's.
        spec: { replicas: 0, selector: template.selector, template: template.template },
      } as KubeObject),
    ),
  );
  const pod = { name: `${rsName}-x7k2p`, namespace };
  await must(
    'Pod',
    raw.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { ...pod, labels: template.template.metadata?.labels, ownerReferences: owner('ReplicaSet', rsName, rsUid) },
      spec: template.template.spec,
    } as KubeObject),
  );
  const kubeconfigOf = async (sa: string): Promise<string> => {
    const path = join(dir, `${sa}.kubeconfig`);
    await writeFile(path, (await cp.kubeConfigForServiceAccount(namespace, sa)).exportConfig(), { mode: 0o600 });
    return path;
  };
  const kubeconfig = await kubeconfigOf(names.csiController);
  const hasSnapshotController = objects.some((o) => o.kind === 'ServiceAccount' && o.metadata.name === names.snapshotController);
  return {
    raw,
    objects,
    namespace,
    pod,
    kubeconfig,
    snapshotControllerKubeconfig: hasSnapshotController ? await kubeconfigOf(names.snapshotController) : kubeconfig,
  };
}
