// Adoption is explicit (real API server): a same-name object open-local did not create (a Helm install of
// Open-Local's StorageClass and CSIDriver) is never taken over by server-side apply with force, never pruned or
// deleted; the user hands it over with a label. An immutable-field conflict is a condition, not a hot loop.
import { expect } from 'chai';
import type { Counter } from 'prom-client';
import { crdManifests } from '../../../api/generated/crds.js';
import type { OpenLocalCluster } from '../../../api/generated/types.js';
import { KubeApi } from '../../../lib/kube-api.js';
import type { KubeObject } from '../../../lib/kube-object.js';
import { loadKubeConfig } from '../../../lib/kube-config.js';
import { startOperator, type RunningOperator } from '../../../operator/run.js';
import { renderStack } from '../../../synth/render.js';
import { startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { loadExample } from '../../fixtures/examples.js';
import { createNode, eventually } from '../support/kubelet-play.js';
import { installCrds, rawApi } from '../support/raw-api.js';
import { volumeSnapshotClassCrd } from '../support/snapshot-crds.js';

const GV = 'csi.aliyun.com/v1alpha1';
const HELM = { 'app.kubernetes.io/managed-by': 'Helm' };
const HAND_OVER = { 'app.kubernetes.io/managed-by': 'open-local-operator' };
type Managed = KubeObject & { parameters?: Record<string, string> };
const managers = (o: KubeObject | undefined): (string | undefined)[] => ((o?.metadata?.managedFields ?? []) as { manager?: string }[]).map((f) => f.manager);

describe('adoption of same-name objects open-local did not create', function () {
  let cp: ControlPlane;
  let api: KubeApi;
  let op: RunningOperator;
  const cluster = () => api.get<OpenLocalCluster>(GV, 'OpenLocalCluster', 'open-local');
  const condition = (c: OpenLocalCluster | undefined, type: string) => c?.status?.conditions?.find((x) => x.type === type);
  const storageClass = () => api.get<Managed>('storage.k8s.io/v1', 'StorageClass', 'open-local-lvm');
  const csiDriver = () => api.get<Managed>('storage.k8s.io/v1', 'CSIDriver', 'local.csi.aliyun.com');
  const snapshotClass = () => api.get<Managed>('snapshot.storage.k8s.io/v1', 'VolumeSnapshotClass', 'open-local-lvm');
  const requests = async (filter: (labels: Partial<Record<string, string | number>>) => boolean): Promise<number> => {
    const metric = op.registry.getSingleMetric('open_local_kube_requests_total') as Counter | undefined;
    return ((await metric?.get())?.values ?? []).filter((v) => filter(v.labels)).reduce((n, v) => n + v.value, 0);
  };
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      op.controller.queue.add('open-local');
      await op.controller.queue.idle();
    }
  };

  before(async function () {
    cp = await startControlPlane();
    await installCrds(rawApi(cp), [...crdManifests, volumeSnapshotClassCrd]);
    api = new KubeApi(loadKubeConfig(cp.kubeconfigPath));
    await createNode(api, 'node-a');
    // What a Helm install of Open-Local left: its StorageClass (other parameters), its CSIDriver and
    // VolumeSnapshotClass (same content).
    const rendered = renderStack(loadExample('minimal.yaml'));
    const driver = rendered.find((o) => o.kind === 'CSIDriver');
    await api.request('POST', '/apis/storage.k8s.io/v1/csidrivers', { body: { ...driver, metadata: { name: 'local.csi.aliyun.com', labels: HELM } } });
    const snapshotClass = rendered.find((o) => o.kind === 'VolumeSnapshotClass');
    await api.request('POST', '/apis/snapshot.storage.k8s.io/v1/volumesnapshotclasses', { body: { ...snapshotClass, metadata: { name: 'open-local-lvm', labels: HELM } } });
    await api.request('POST', '/apis/storage.k8s.io/v1/storageclasses', {
      body: { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'open-local-lvm', labels: HELM }, provisioner: 'local.csi.aliyun.com', parameters: { volumeType: 'LVM', vgName: 'helm-pool' }, volumeBindingMode: 'WaitForFirstConsumer' },
    });
    op = await startOperator({ kubeconfig: cp.kubeconfigPath, httpAddress: '127.0.0.1:0', leaderElect: false, leaseNamespace: 'default', identity: 'test', logLevel: 'warn' });
  });

  after(async function () {
    await (op as RunningOperator | undefined)?.stop();
    await (cp as ControlPlane | undefined)?.stop();
  });

  it('leaves them untouched, says which and how to hand them over, and applies everything else', async function () {
    const scBefore = await storageClass();
    const driverBefore = await csiDriver();
    await api.request('POST', `/apis/${GV}/openlocalclusters`, { body: loadExample('minimal.yaml') });
    const c = await eventually('AdoptionRequired', async () => {
      const got = await cluster();
      return (condition(got, 'AdoptionRequired')?.message ?? '').includes('CSIDriver') ? got : undefined;
    });
    const message = condition(c, 'AdoptionRequired')?.message ?? '';
    expect(condition(c, 'AdoptionRequired')).to.include({ status: 'True', reason: 'ObjectExists' });
    expect(message).to.include('StorageClass/open-local-lvm exists and was not created by open-local (managed by Helm)').and.include('kubectl label --overwrite storageclass open-local-lvm app.kubernetes.io/managed-by=open-local-operator');
    expect(message).to.include('CSIDriver/local.csi.aliyun.com').and.include('VolumeSnapshotClass/open-local-lvm');
    expect(condition(c, 'Degraded')).to.include({ status: 'True', reason: 'AdoptionRequired' });
    for (const [before, after] of [[scBefore, await storageClass()], [driverBefore, await csiDriver()]]) {
      expect(after?.metadata?.resourceVersion, after?.kind).to.equal(before?.metadata?.resourceVersion);
      expect(managers(after)).to.not.include('open-local-operator');
    }
    expect(await api.get('apps/v1', 'DaemonSet', 'open-local-node', 'open-local')).to.not.equal(undefined);
  });

  it('costs no request at all while they wait for a hand-over (a watch on their names, no GET per reconcile)', async function () {
    await settle();
    const before = await requests(() => true);
    await settle();
    expect(await requests(() => true)).to.equal(before);
  });

  it('adopts a handed-over object without owning it, and reports an immutable-field conflict once instead of retrying it', async function () {
    await api.mergePatch({ apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', metadata: { name: 'local.csi.aliyun.com' } }, { metadata: { labels: HAND_OVER } });
    const adopted = await eventually('CSIDriver adopted', async () => {
      const d = await csiDriver();
      return d?.metadata?.annotations?.['csi.aliyun.com/adopted'] === 'true' ? d : undefined;
    });
    expect(adopted.metadata?.ownerReferences ?? []).to.deep.equal([]);
    expect(managers(adopted)).to.include('open-local-operator');

    await api.mergePatch({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'open-local-lvm' } }, { metadata: { labels: HAND_OVER } });
    const refused = await eventually('the refused change reported', async () => {
      const got = await cluster();
      return (condition(got, 'Degraded')?.message ?? '').includes('StorageClass/open-local-lvm: the API server refuses the change') ? got : undefined;
    });
    expect(condition(refused, 'AdoptionRequired')?.message).to.not.include('StorageClass/open-local-lvm');
    expect(condition(refused, 'Degraded')?.message).to.include('parameters').and.include('delete the object');
    const refusals = () => requests((l) => l.verb === 'PATCH' && l.code === '422');
    await settle();
    const before = await refusals();
    expect(before).to.be.at.least(1);
    await settle();
    expect(await refusals()).to.equal(before);

    // The user resolves it by deleting the old class: open-local creates its own (its delete event brings it back).
    await api.delete({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'open-local-lvm' } });
    const recreated = await eventually('StorageClass re-created by open-local', async () => {
      const sc = await storageClass();
      return sc?.metadata?.ownerReferences?.some((r) => r.kind === 'OpenLocalCluster') ? sc : undefined;
    });
    expect(recreated.parameters?.vgName).to.not.equal('helm-pool');
    await eventually('the refusal cleared', async () => ((condition(await cluster(), 'Degraded')?.message ?? '').includes('StorageClass/open-local-lvm') ? undefined : true));
  });

  it('never prunes an adopted object the spec no longer renders', async function () {
    await api.mergePatch({ apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshotClass', metadata: { name: 'open-local-lvm' } }, { metadata: { labels: HAND_OVER } });
    await eventually('VolumeSnapshotClass adopted', async () => ((await snapshotClass())?.metadata?.annotations?.['csi.aliyun.com/adopted'] === 'true' ? true : undefined));
    await api.mergePatch({ apiVersion: GV, kind: 'OpenLocalCluster', metadata: { name: 'open-local' } }, { spec: { csi: { snapshots: { enabled: false } }, extender: { enabled: false } } });
    // Pruning ran in the same reconcile: the extender Deployment (open-local's own) is gone.
    await eventually('extender pruned', async () => ((await api.get('apps/v1', 'Deployment', 'open-local-scheduler-extender', 'open-local')) === undefined ? true : undefined));
    await op.controller.queue.idle();
    expect(await snapshotClass()).to.not.equal(undefined);
  });

  it('never deletes the adopted object with the cluster; deletes what it created', async function () {
    await api.delete({ apiVersion: GV, kind: 'OpenLocalCluster', metadata: { name: 'open-local' } });
    await eventually('cluster gone', async () => ((await cluster()) === undefined ? true : undefined));
    expect(await csiDriver()).to.not.equal(undefined);
    expect(await snapshotClass()).to.not.equal(undefined);
    expect(await storageClass()).to.equal(undefined);
  });
});
