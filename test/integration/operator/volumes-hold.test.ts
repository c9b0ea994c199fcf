// Nothing is removed from under live volumes (real API server): a node holding open-local volumes keeps its node
// plugins when the selector stops matching it, and deleting the OpenLocalCluster waits for its volumes.
import { expect } from 'chai';
import { crdManifests } from '../../../api/generated/crds.js';
import type { OpenLocalCluster } from '../../../api/generated/types.js';
import { KubeApi } from '../../../lib/kube-api.js';
import type { KubeObject } from '../../../lib/kube-object.js';
import { loadKubeConfig } from '../../../lib/kube-config.js';
import { FINALIZER } from '../../../operator/controller.js';
import { startOperator, type RunningOperator } from '../../../operator/run.js';
import { STORAGE_READY_LABEL } from '../../../synth/names.js';
import { startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { loadExample, withField } from '../../fixtures/examples.js';
import { createNode, eventually, finishPrepareVgJob, prepareResult } from '../support/kubelet-play.js';
import { installCrds, rawApi } from '../support/raw-api.js';
import { volumeSnapshotClassCrd } from '../support/snapshot-crds.js';

const GV = 'csi.aliyun.com/v1alpha1';

const persistentVolume = (name: string, node: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name },
  spec: {
    capacity: { storage: '1Gi' },
    accessModes: ['ReadWriteOnce'],
    persistentVolumeReclaimPolicy: 'Delete',
    storageClassName: 'open-local-lvm',
    csi: { driver: 'local.csi.aliyun.com', volumeHandle: name, volumeAttributes: { volumeType: 'LVM', vgName: 'open-local-pool-0' } },
    nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } },
  },
} as KubeObject);

describe('volumes hold nodes and deletion', function () {
  let cp: ControlPlane;
  let api: KubeApi;
  let op: RunningOperator;
  const cluster = () => api.get<OpenLocalCluster>(GV, 'OpenLocalCluster', 'open-local');
  const condition = (c: OpenLocalCluster | undefined, type: string) => c?.status?.conditions?.find((x) => x.type === type);
  const marked = async (n: string) => (await api.get('v1', 'Node', n))?.metadata?.labels?.[STORAGE_READY_LABEL] === 'true';

  before(async function () {
    cp = await startControlPlane();
    await installCrds(rawApi(cp), [...crdManifests, volumeSnapshotClassCrd]);
    api = new KubeApi(loadKubeConfig(cp.kubeconfigPath));
    for (const n of ['node-a', 'node-b', 'node-c']) await createNode(api, n, { storage: 'yes' });
    op = await startOperator({ kubeconfig: cp.kubeconfigPath, httpAddress: '127.0.0.1:0', leaderElect: false, leaseNamespace: 'default', identity: 'test', logLevel: 'warn' });
  });

  after(async function () {
    await (op as RunningOperator | undefined)?.stop();
    await (cp as ControlPlane | undefined)?.stop();
  });

  it('keeps the node plugins on nodes holding a PersistentVolume or LocalVolume when the selector stops matching them', async function () {
    await api.request('POST', `/apis/${GV}/openlocalclusters`, { body: withField(loadExample('minimal.yaml'), 'spec.nodes', { selector: { matchLabels: { storage: 'yes' } } }) });
    const jobs = await eventually('3 prepare Jobs', async () => {
      const items = (await api.list('batch/v1', 'Job', { namespace: 'open-local' })).items;
      return items.length === 3 ? items : undefined;
    });
    for (const j of jobs) await finishPrepareVgJob(api, j, prepareResult(j.metadata?.annotations?.['csi.aliyun.com/node-name'] ?? '', j.metadata?.annotations?.['csi.aliyun.com/storage-config-hash'] ?? ''), true);
    await eventually('3 nodes marked', async () => ((await marked('node-a')) && (await marked('node-b')) && (await marked('node-c')) ? true : undefined));

    await api.request('POST', '/api/v1/persistentvolumes', { body: persistentVolume('local-pv-a', 'node-a') });
    // A PV of another driver on node-c holds nothing.
    await api.request('POST', '/api/v1/persistentvolumes', { body: { ...persistentVolume('other-pv-c', 'node-c'), spec: { ...(persistentVolume('x', 'node-c') as { spec: Record<string, unknown> }).spec, csi: { driver: 'ebs.csi.aws.com', volumeHandle: 'v' } } } });
    await api.request('POST', `/apis/${GV}/localvolumes`, { body: { apiVersion: GV, kind: 'LocalVolume', metadata: { name: 'local-lv-b' }, spec: { nodeName: 'node-b', volumeType: 'LVM', vgName: 'open-local-pool-0', size: '1073741824' } } });
    // Every node leaves the selector.
    for (const n of ['node-a', 'node-b', 'node-c']) await api.mergePatch({ apiVersion: 'v1', kind: 'Node', metadata: { name: n } }, { metadata: { labels: { storage: 'no' } } });

    await eventually('node-c unmarked', async () => ((await marked('node-c')) ? undefined : true));
    const held = await eventually('NodeRemovalBlocked', async () => {
      const c = await cluster();
      return condition(c, 'NodeRemovalBlocked') ? c : undefined;
    });
    expect(await marked('node-a')).to.equal(true);
    expect(await marked('node-b')).to.equal(true);
    expect(condition(held, 'NodeRemovalBlocked')).to.include({ status: 'True', reason: 'VolumesExist' });
    expect(condition(held, 'NodeRemovalBlocked')?.message).to.include('node-a (local-pv-a)').and.include('node-b (local-lv-b)').and.not.include('node-c');
  });

  it('keeps the OpenLocalCluster (and its finalizer) while volumes exist, says why, and lets it go once they are deleted', async function () {
    await api.delete({ apiVersion: GV, kind: 'OpenLocalCluster', metadata: { name: 'open-local' } });
    const blocked = await eventually('DeletionBlocked', async () => {
      const c = await cluster();
      return condition(c, 'DeletionBlocked') ? c : undefined;
    });
    expect(blocked.metadata?.finalizers).to.include(FINALIZER);
    expect(condition(blocked, 'DeletionBlocked')).to.include({ status: 'True', reason: 'VolumesExist' });
    const message = condition(blocked, 'DeletionBlocked')?.message ?? '';
    expect(message).to.include('2 open-local volumes').and.include('local-pv-a').and.include('local-lv-b').and.include('PersistentVolumeClaims').and.include(FINALIZER);
    const events = await eventually('a Warning event', async () => {
      const list = (await api.list<KubeObject & { reason?: string; type?: string; message?: string }>('v1', 'Event', { namespace: 'default' })).items.filter((e) => e.reason === 'DeletionBlocked');
      return list.length > 0 ? list : undefined;
    });
    expect(events[0]).to.include({ type: 'Warning', message });
    // Nothing was removed meanwhile: the operands and the node marks are still there.
    expect(await api.get('apps/v1', 'DaemonSet', 'open-local-node', 'open-local')).to.not.equal(undefined);
    expect(await marked('node-a')).to.equal(true);

    await api.delete({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'local-pv-a' } });
    // No pv-protection controller runs here: drop its finalizer as it would once no pod uses the volume.
    await api.mergePatch({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'local-pv-a' } }, { metadata: { finalizers: null } });
    await eventually('one volume left', async () => ((condition(await cluster(), 'DeletionBlocked')?.message ?? '').startsWith('1 open-local volume still exists') ? true : undefined));
    await api.delete({ apiVersion: GV, kind: 'LocalVolume', metadata: { name: 'local-lv-b' } });
    await eventually('cluster gone', async () => ((await cluster()) === undefined ? true : undefined));
    expect(await marked('node-a')).to.equal(false);
  });
});
