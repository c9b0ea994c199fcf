// "Operator blind at start": Nodes already exist, the operator starts while the API server fails its first Node
// LISTs, and the OpenLocalCluster is applied at once. The operator must not reconcile on an empty cache: the
// first status it writes already lists every node, and each node gets its prepare-VG Job.
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crdManifests } from '../../../api/generated/crds.js';
import type { OpenLocalCluster } from '../../../api/generated/types.js';
import { Informer } from '../../../lib/informer.js';
import { KubeApi } from '../../../lib/kube-api.js';
import type { KubeObject } from '../../../lib/kube-object.js';
import { loadKubeConfig } from '../../../lib/kube-config.js';
import { createLogger } from '../../../lib/log.js';
import { startOperator, type RunningOperator } from '../../../operator/run.js';
import { startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { loadExample } from '../../fixtures/examples.js';
import { startApiProxy, type ApiProxy } from '../support/api-proxy.js';
import { createNode, eventually } from '../support/kubelet-play.js';
import { until } from '../support/until.js';
import { installCrds, rawApi } from '../support/raw-api.js';
import { volumeSnapshotClassCrd } from '../support/snapshot-crds.js';

const GV = 'csi.aliyun.com/v1alpha1';
const NODES = ['node-a', 'node-b', 'node-c'];

describe('operator starting on a cluster with existing nodes', function () {
  let cp: ControlPlane;
  let api: KubeApi;
  let proxy: ApiProxy;
  let dir: string;
  let op: RunningOperator | undefined;
  let statuses: Informer<OpenLocalCluster> | undefined;

  before(async function () {
    cp = await startControlPlane();
    await installCrds(rawApi(cp), [...crdManifests, volumeSnapshotClassCrd]);
    api = new KubeApi(loadKubeConfig(cp.kubeconfigPath));
    for (const n of NODES) await createNode(api, n);
    dir = await mkdtemp(join(tmpdir(), 'operator-startup-'));
    proxy = await startApiProxy(cp, dir);
  });

  after(async function () {
    await op?.stop();
    await statuses?.stop();
    await (proxy as ApiProxy | undefined)?.close();
    await (cp as ControlPlane | undefined)?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes no status before it has listed the nodes, and starts a prepare-VG Job on each', async function () {
    // Every status the operator writes, in order, as the node names it lists.
    const written: string[][] = [];
    statuses = new Informer<OpenLocalCluster>(api, { apiVersion: GV, kind: 'OpenLocalCluster' }, createLogger('test', 'silent'));
    statuses.onEvent((_e, c) => {
      if (c.status) written.push((c.status.nodes ?? []).map((n) => n.name).sort());
    });
    await statuses.start();
    await statuses.synced;

    // Four failures hold the Node cache empty for the first 15 s of backoff (1 + 2 + 4 + 8 s).
    proxy.failLists('/api/v1/nodes', [429, 500, 500, 500]);
    const starting = startOperator({ kubeconfig: proxy.kubeconfigPath, httpAddress: '127.0.0.1:0', leaderElect: false, leaseNamespace: 'default', identity: 'test', logLevel: 'silent' });
    await api.request('POST', `/apis/${GV}/openlocalclusters`, { body: loadExample('minimal.yaml') });
    op = await starting;

    const jobs = await eventually('3 prepare-VG Jobs', async () => {
      const items = (await api.list<KubeObject>('batch/v1', 'Job', { namespace: 'open-local' })).items;
      return items.length === 3 ? items : undefined;
    }, 120_000);
    expect(jobs.map((j) => j.metadata?.annotations?.['csi.aliyun.com/node-name']).sort()).to.deep.equal(NODES);
    await until('a status listing the nodes', () => written.some((w) => w.length === 3));
    expect(proxy.listCount('/api/v1/nodes'), 'the failed LISTs were retried').to.be.at.least(5);
    expect(written.length).to.be.above(0);
    for (const [i, nodes] of written.entries()) expect(nodes, `status write #${i + 1}`).to.deep.equal(NODES);
  });
});
