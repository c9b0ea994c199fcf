// The NLS controller started on a cluster that already has Nodes and NodeLocalStorages, while the API server
// fails the first LISTs: it must judge nothing before its caches hold the full lists, so no NodeLocalStorage is
// deleted or rewritten, and a user's annotation survives.
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crdManifests } from '../../../api/generated/crds.js';
import type { NodeLocalStorage, NodeLocalStorageInitConfig } from '../../../api/generated/types.js';
import { KubeApi } from '../../../lib/kube-api.js';
import { loadKubeConfig } from '../../../lib/kube-config.js';
import { createLogger } from '../../../lib/log.js';
import { NlsController } from '../../../operator/nls-controller/controller.js';
import { desiredNlsSpec } from '../../../operator/nls-controller/desired.js';
import { startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { startApiProxy, type ApiProxy } from '../support/api-proxy.js';
import { createNode } from '../support/kubelet-play.js';
import { installCrds, rawApi } from '../support/raw-api.js';

const GV = 'csi.aliyun.com/v1alpha1';
const NODES = ['n1', 'n2', 'n3'];

describe('NLS controller starting on existing NodeLocalStorages', function () {
  let cp: ControlPlane;
  let api: KubeApi;
  let proxy: ApiProxy;
  let dir: string;
  let controller: NlsController | undefined;
  const nlsc: NodeLocalStorageInitConfig = {
    apiVersion: GV,
    kind: 'NodeLocalStorageInitConfig',
    metadata: { name: 'open-local' },
    spec: { globalConfig: { listConfig: { vgs: { include: ['open-local-pool-[0-9]+'] } }, resourceToBeInited: { vgs: [{ name: 'open-local-pool-0', devices: ['/dev/vdb'] }] } } },
  };

  before(async function () {
    cp = await startControlPlane();
    await installCrds(rawApi(cp), crdManifests);
    api = new KubeApi(loadKubeConfig(cp.kubeconfigPath));
    await api.apply(nlsc, 'test');
    for (const name of NODES) {
      await createNode(api, name);
      await api.request('POST', `/apis/${GV}/nodelocalstorages`, {
        body: { apiVersion: GV, kind: 'NodeLocalStorage', metadata: { name, annotations: { 'example.com/owner': 'storage-team' } }, spec: desiredNlsSpec(nlsc, { name, labels: { 'kubernetes.io/hostname': name } }) },
      });
    }
    dir = await mkdtemp(join(tmpdir(), 'nls-startup-'));
    proxy = await startApiProxy(cp, dir);
  });

  after(async function () {
    await controller?.stop();
    await (proxy as ApiProxy | undefined)?.close();
    await (cp as ControlPlane | undefined)?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('neither deletes nor rewrites them when the first LISTs fail', async function () {
    const before = new Map((await api.list<NodeLocalStorage>(GV, 'NodeLocalStorage')).items.map((n) => [n.metadata?.name, n]));
    proxy.failLists('/api/v1/nodes', [429, 500]);
    proxy.failLists(`/apis/${GV}/nodelocalstorageinitconfigs`, [500]);
    const kc = proxy.kubeConfig();
    controller = new NlsController(new KubeApi(kc), { initConfig: 'open-local', updateNls: true }, createLogger('test', 'silent'));
    await controller.start();
    await controller.queue.idle();
    expect(proxy.listCount('/api/v1/nodes'), 'the failed LISTs were retried').to.equal(3);
    const after = (await api.list<NodeLocalStorage>(GV, 'NodeLocalStorage')).items;
    expect(after.map((n) => n.metadata?.name).sort()).to.deep.equal(NODES);
    for (const nls of after) {
      const was = before.get(nls.metadata?.name);
      expect(nls.metadata?.uid, `${nls.metadata?.name} re-created`).to.equal(was?.metadata?.uid);
      expect(nls.metadata?.resourceVersion, `${nls.metadata?.name} rewritten`).to.equal(was?.metadata?.resourceVersion);
      expect(nls.metadata?.annotations?.['example.com/owner']).to.equal('storage-team');
    }
  });
});
