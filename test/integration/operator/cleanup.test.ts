// cleanup.policy RemoveVolumeGroups on a real API server: deletion runs `prepare-vg --remove` on every node
// open-local prepared, reports removed and kept volume groups as events, and only then lets the CR go.
import { expect } from 'chai';
import { crdManifests } from '../../../api/generated/crds.js';
import type { OpenLocalCluster } from '../../../api/generated/types.js';
import { KubeApi } from '../../../lib/kube-api.js';
import type { KubeObject } from '../../../lib/kube-object.js';
import { loadKubeConfig } from '../../../lib/kube-config.js';
import { startOperator, type RunningOperator } from '../../../operator/run.js';
import { formatResult } from '../../../node-agent/prepare-vg/result.js';
import { startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { loadExample, withField } from '../../fixtures/examples.js';
import { createNode, eventually, finishPrepareVgJob, prepareResult } from '../support/kubelet-play.js';
import { installCrds, rawApi } from '../support/raw-api.js';
import { volumeSnapshotClassCrd } from '../support/snapshot-crds.js';

const GV = 'csi.aliyun.com/v1alpha1';
type Job = KubeObject & { spec?: { template?: { metadata?: { labels?: Record<string, string> }; spec?: { containers?: { args?: string[] }[] } } } };

describe('cleanup policy RemoveVolumeGroups', function () {
  let cp: ControlPlane;
  let api: KubeApi;
  let op: RunningOperator;
  const jobs = async (prefix: string) => (await api.list<Job>('batch/v1', 'Job', { namespace: 'open-local' })).items.filter((j) => j.metadata?.name?.startsWith(prefix) && !j.metadata.deletionTimestamp);

  before(async function () {
    cp = await startControlPlane();
    await installCrds(rawApi(cp), [...crdManifests, volumeSnapshotClassCrd]);
    api = new KubeApi(loadKubeConfig(cp.kubeconfigPath));
    for (const n of ['node-a', 'node-b']) await createNode(api, n);
    op = await startOperator({ kubeconfig: cp.kubeconfigPath, httpAddress: '127.0.0.1:0', leaderElect: false, leaseNamespace: 'default', identity: 'test', logLevel: 'warn' });
  });

  after(async function () {
    await (op as RunningOperator | undefined)?.stop();
    await (cp as ControlPlane | undefined)?.stop();
  });

  it('removes empty volume groups, keeps those holding volumes, reports both, then deletes the cluster', async function () {
    const cluster = withField(loadExample('minimal.yaml'), 'spec.cleanup', { policy: 'RemoveVolumeGroups', confirm: 'remove-volume-groups-on-every-node' });
    await api.request('POST', `/apis/${GV}/openlocalclusters`, { body: cluster });
    const prepare = await eventually('2 prepare Jobs', async () => ((await jobs('prepare-vg-')).length === 2 ? jobs('prepare-vg-') : undefined));
    for (const j of prepare) {
      const node = j.metadata?.annotations?.['csi.aliyun.com/node-name'] ?? '';
      await finishPrepareVgJob(api, j, prepareResult(node, j.metadata?.annotations?.['csi.aliyun.com/storage-config-hash'] ?? ''), true);
    }
    await eventually('nodes ready', async () => ((await api.get<OpenLocalCluster>(GV, 'OpenLocalCluster', 'open-local'))?.status?.nodeCounts?.ready === 2 ? true : undefined));

    await api.delete({ apiVersion: GV, kind: 'OpenLocalCluster', metadata: { name: 'open-local' } });
    const cleanup = await eventually('2 cleanup Jobs', async () => ((await jobs('remove-vg-')).length === 2 ? jobs('remove-vg-') : undefined));
    for (const j of cleanup) expect(j.spec?.template?.spec?.containers?.[0]?.args).to.include('--remove');
    const deleting = await api.get<OpenLocalCluster>(GV, 'OpenLocalCluster', 'open-local');
    expect(deleting?.status?.phase).to.equal('Deleting');
    expect(deleting?.status?.conditions?.find((c) => c.type === 'Progressing')?.message).to.equal('removing volume groups: 0 of 2 nodes done');

    for (const j of cleanup) {
      const node = j.metadata?.annotations?.['csi.aliyun.com/node-name'] ?? '';
      const hash = j.metadata?.annotations?.['csi.aliyun.com/storage-config-hash'] ?? '';
      const kept = node === 'node-b';
      const vg = kept
        ? { name: 'open-local-pool-0', state: 'Refused' as const, devices: ['/dev/vdb'], message: 'holds 1 logical volume: local-1; delete their PersistentVolumes first' }
        : { name: 'open-local-pool-0', state: 'Removed' as const, devices: ['/dev/vdb'], message: '' };
      await finishPrepareVgJob(api, j, JSON.parse(formatResult({ version: 1, node, configHash: hash, volumeGroups: [vg], mountPoints: [] })) as Parameters<typeof finishPrepareVgJob>[2], !kept);
    }
    await eventually('cluster gone', async () => ((await api.get(GV, 'OpenLocalCluster', 'open-local')) === undefined ? true : undefined));
    const events = (await api.list<KubeObject & { reason?: string; message?: string; type?: string }>('v1', 'Event', { namespace: 'default' })).items;
    expect(events.find((e) => e.reason === 'VolumeGroupsRemoved')?.message).to.equal('node-a: removed open-local-pool-0');
    expect(events.find((e) => e.reason === 'VolumeGroupsKept')).to.include({ type: 'Warning', message: 'node-b: kept open-local-pool-0 (holds 1 logical volume: local-1; delete their PersistentVolumes first)' });
  });
});

describe('cleanup policy RemoveVolumeGroups with the operand namespace already gone', function () {
  let cp: ControlPlane;
  let api: KubeApi;
  let op: RunningOperator;
  const jobs = async (prefix: string) => (await api.list<Job>('batch/v1', 'Job', { namespace: 'open-local' })).items.filter((j) => j.metadata?.name?.startsWith(prefix) && !j.metadata.deletionTimestamp);

  before(async function () {
    // The namespace controller empties and removes a deleted namespace, as in a real cluster.
    cp = await startControlPlane({ withControllerManager: { controllers: ['namespace-controller'] } });
    await installCrds(rawApi(cp), [...crdManifests, volumeSnapshotClassCrd]);
    api = new KubeApi(loadKubeConfig(cp.kubeconfigPath));
    for (const n of ['node-a', 'node-b']) await createNode(api, n);
    op = await startOperator({ kubeconfig: cp.kubeconfigPath, httpAddress: '127.0.0.1:0', leaderElect: false, leaseNamespace: 'default', identity: 'test', logLevel: 'warn' });
  });

  after(async function () {
    await (op as RunningOperator | undefined)?.stop();
    await (cp as ControlPlane | undefined)?.stop();
  });

  it('re-creates the namespace and what a cleanup Job needs there, runs the cleanup, then deletes the cluster', async function () {
    const cluster = withField(loadExample('minimal.yaml'), 'spec.cleanup', { policy: 'RemoveVolumeGroups', confirm: 'remove-volume-groups-on-every-node' });
    await api.request('POST', `/apis/${GV}/openlocalclusters`, { body: cluster });
    const prepare = await eventually('2 prepare Jobs', async () => ((await jobs('prepare-vg-')).length === 2 ? jobs('prepare-vg-') : undefined));
    for (const j of prepare) {
      const node = j.metadata?.annotations?.['csi.aliyun.com/node-name'] ?? '';
      await finishPrepareVgJob(api, j, prepareResult(node, j.metadata?.annotations?.['csi.aliyun.com/storage-config-hash'] ?? ''), true);
    }
    await eventually('nodes ready', async () => ((await api.get<OpenLocalCluster>(GV, 'OpenLocalCluster', 'open-local'))?.status?.nodeCounts?.ready === 2 ? true : undefined));

    // `kubectl delete -f` of a file holding both: the namespace goes first, the cluster right after.
    await api.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'open-local' } });
    await api.delete({ apiVersion: GV, kind: 'OpenLocalCluster', metadata: { name: 'open-local' } });
    const cleanup = await eventually('2 cleanup Jobs in the re-created namespace', async () => ((await jobs('remove-vg-')).length === 2 ? jobs('remove-vg-') : undefined), 120_000);
    const ns = await api.get('v1', 'Namespace', 'open-local');
    expect(ns?.metadata?.deletionTimestamp).to.equal(undefined);
    // finishPrepareVgJob creates the Job's pod: admission refuses it unless the Job's ServiceAccount exists.
    for (const j of cleanup) {
      const node = j.metadata?.annotations?.['csi.aliyun.com/node-name'] ?? '';
      const hash = j.metadata?.annotations?.['csi.aliyun.com/storage-config-hash'] ?? '';
      const vg = { name: 'open-local-pool-0', state: 'Removed' as const, devices: ['/dev/vdb'], message: '' };
      await finishPrepareVgJob(api, j, JSON.parse(formatResult({ version: 1, node, configHash: hash, volumeGroups: [vg], mountPoints: [] })) as Parameters<typeof finishPrepareVgJob>[2], true);
    }
    await eventually('cluster gone', async () => ((await api.get(GV, 'OpenLocalCluster', 'open-local')) === undefined ? true : undefined));
    const events = (await api.list<KubeObject & { reason?: string; message?: string }>('v1', 'Event', { namespace: 'default' })).items;
    expect(events.filter((e) => e.reason === 'VolumeGroupsRemoved').map((e) => e.message).sort()).to.deep.equal(['node-a: removed open-local-pool-0', 'node-b: removed open-local-pool-0']);
  });
});
