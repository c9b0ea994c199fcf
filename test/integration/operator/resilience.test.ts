// The operator survives what production throws at it: being killed mid-reconcile (a new process converges
// without duplicate Jobs) and an API-server restart (watches recover by themselves).
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { expect } from 'chai';
import { crdManifests } from '../../../api/generated/crds.js';
import type { OpenLocalCluster } from '../../../api/generated/types.js';
import { KubeApi } from '../../../lib/kube-api.js';
import type { KubeObject } from '../../../lib/kube-object.js';
import { loadKubeConfig } from '../../../lib/kube-config.js';
import { startOperator, type RunningOperator } from '../../../operator/run.js';
import { startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { loadExample } from '../../fixtures/examples.js';
import { createNode, eventually } from '../support/kubelet-play.js';
import { installCrds, rawApi } from '../support/raw-api.js';
import { volumeSnapshotClassCrd } from '../support/snapshot-crds.js';

const GV = 'csi.aliyun.com/v1alpha1';
const cli = resolve(import.meta.dirname, '..', '..', '..', 'bin', 'open-local.js');

describe('operator resilience', function () {
  let cp: ControlPlane;
  let api: KubeApi;
  let child: ChildProcess | undefined;
  let op: RunningOperator | undefined;

  const jobs = async () => (await api.list<KubeObject>('batch/v1', 'Job', { namespace: 'open-local' })).items;
  const spawnOperator = (): ChildProcess =>
    spawn(process.execPath, [cli, 'operator', `--kubeconfig=${cp.kubeconfigPath}`, '--leader-elect=false', '--http-addr=127.0.0.1:0', '--log-level=warn'], { stdio: 'ignore' });

  before(async function () {
    cp = await startControlPlane();
    // The cluster has the snapshot CRDs (the default spec creates a VolumeSnapshotClass).
    await installCrds(rawApi(cp), [...crdManifests, volumeSnapshotClassCrd]);
    api = new KubeApi(loadKubeConfig(cp.kubeconfigPath));
    for (let i = 0; i < 8; i++) await createNode(api, `node-${i}`);
  });

  after(async function () {
    child?.kill('SIGKILL');
    await op?.stop();
    await (cp as ControlPlane | undefined)?.stop();
  });

  it('converges after a SIGKILL mid-reconcile, with exactly one Job per node', async function () {
    child = spawnOperator();
    await api.request('POST', `/apis/${GV}/openlocalclusters`, { body: loadExample('minimal.yaml') });
    // Kill it while it is applying and starting Jobs (concurrency 5 of 8 nodes).
    await eventually('the first Job', async () => ((await jobs()).length > 0 ? true : undefined));
    child.kill('SIGKILL');
    child = spawnOperator();
    const all = await eventually('5 Jobs (the concurrency limit)', async () => {
      const j = await jobs();
      return j.length >= 5 ? j : undefined;
    });
    await new Promise((r) => setTimeout(r, 1000));
    const names = (await jobs()).map((j) => j.metadata?.annotations?.['csi.aliyun.com/node-name']);
    expect(new Set(names).size, 'one Job per node').to.equal(names.length);
    expect(names.length).to.equal(5);
    expect(all.length).to.equal(5);
    const c = await eventually('status for 8 nodes', async () => {
      const x = await api.get<OpenLocalCluster>(GV, 'OpenLocalCluster', 'open-local');
      return x?.status?.nodes?.length === 8 ? x : undefined;
    });
    expect(c.status?.nodes?.filter((n) => n.phase === 'Preparing').length).to.equal(5);
    expect(c.status?.nodes?.filter((n) => n.phase === 'Pending').length).to.equal(3);
    child.kill('SIGKILL');
    child = undefined;
  });

  it('recovers from an API-server restart by itself: a node added afterwards gets its Job', async function () {
    op = await startOperator({ kubeconfig: cp.kubeconfigPath, httpAddress: '127.0.0.1:0', leaderElect: false, leaseNamespace: 'default', identity: 'restart-test', logLevel: 'silent' });
    await op.controller.queue.idle();
    await cp.restartApiServer(2000);
    // Both changes reach the operator only through its (re-established) watches.
    await createNode(api, 'node-new');
    await api.mergePatch({ apiVersion: GV, kind: 'OpenLocalCluster', metadata: { name: 'open-local' } }, { spec: { prepareVolumeGroups: { concurrency: 100 } } });
    const all = await eventually('a Job for every node, node-new included', async () => {
      const j = await jobs();
      return j.length === 9 ? j : undefined;
    }, 60_000);
    expect(all.some((j) => j.metadata?.annotations?.['csi.aliyun.com/node-name'] === 'node-new')).to.equal(true);
  });
});
