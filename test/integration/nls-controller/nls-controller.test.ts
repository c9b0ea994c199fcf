// Open-Local's NLS controller against a real API server: one NodeLocalStorage per node, spec from the init
// config, following node labels, node removal, init-config changes and manual edits.
import { expect } from 'chai';
import { crdManifests } from '../../../api/generated/crds.js';
import type { NodeLocalStorage } from '../../../api/generated/types.js';
import { KubeApi } from '../../../lib/kube-api.js';
import { loadKubeConfig } from '../../../lib/kube-config.js';
import { createLogger } from '../../../lib/log.js';
import { NlsController } from '../../../operator/nls-controller/controller.js';
import { startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { createNode, eventually } from '../support/kubelet-play.js';
import { installCrds, rawApi } from '../support/raw-api.js';

const GV = 'csi.aliyun.com/v1alpha1';

describe('NLS controller on a real API server', function () {
  let cp: ControlPlane;
  let api: KubeApi;
  let controller: NlsController;
  const nls = (node: string) => api.get<NodeLocalStorage>(GV, 'NodeLocalStorage', node);
  const nlsc = {
    apiVersion: GV,
    kind: 'NodeLocalStorageInitConfig',
    metadata: { name: 'open-local' },
    spec: {
      globalConfig: { listConfig: { vgs: { include: ['open-local-pool-[0-9]+'] } }, resourceToBeInited: { vgs: [{ name: 'open-local-pool-0', devices: ['/dev/vdb'] }] } },
      nodesConfig: [{ selector: { matchLabels: { disk: 'nvme' } }, listConfig: { devices: { include: ['/dev/nvme.+'] } } }],
    },
  };

  before(async function () {
    cp = await startControlPlane();
    await installCrds(rawApi(cp), crdManifests);
    const kc = loadKubeConfig(cp.kubeconfigPath);
    api = new KubeApi(kc);
    await api.apply(nlsc, 'test');
    await createNode(api, 'n1');
    await createNode(api, 'n2', { disk: 'nvme' });
    controller = new NlsController(api, { initConfig: 'open-local', updateNls: true }, createLogger('test', 'warn'));
    await controller.start();
  });

  after(async function () {
    await (controller as NlsController | undefined)?.stop();
    await (cp as ControlPlane | undefined)?.stop();
  });

  it('creates one NodeLocalStorage per node, spec from the matching block', async function () {
    const n1 = await eventually('NLS n1', () => nls('n1'));
    const n2 = await eventually('NLS n2', () => nls('n2'));
    expect(n1.spec).to.deep.equal({ nodeName: 'n1', ...nlsc.spec.globalConfig });
    expect(n2.spec).to.deep.equal({ nodeName: 'n2', listConfig: { devices: { include: ['/dev/nvme.+'] } } });
  });

  it('follows a node label change', async function () {
    await api.mergePatch({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } }, { metadata: { labels: { disk: 'nvme' } } });
    await eventually('n1 re-resolved', async () => ((await nls('n1'))?.spec?.listConfig?.devices ? true : undefined));
    expect((await nls('n1'))?.spec?.resourceToBeInited).to.equal(undefined);
  });

  it('reverts a manual spec edit, and leaves status alone', async function () {
    await api.mergePatch({ apiVersion: GV, kind: 'NodeLocalStorage', metadata: { name: 'n2' } }, { spec: { listConfig: { vgs: { include: ['sneaky'] } } } });
    await api.mergePatch({ apiVersion: GV, kind: 'NodeLocalStorage', metadata: { name: 'n2' } }, { status: { nodeStorageInfo: { phase: 'Running' } } }, 'status');
    await eventually('edit reverted', async () => ((await nls('n2'))?.spec?.listConfig?.vgs === undefined ? true : undefined));
    expect((await nls('n2'))?.status?.nodeStorageInfo?.phase).to.equal('Running');
  });

  it('applies an init-config change to every node', async function () {
    await api.apply({ ...nlsc, spec: { ...nlsc.spec, nodesConfig: [] } }, 'test');
    for (const n of ['n1', 'n2']) {
      await eventually(`${n} back to globalConfig`, async () => ((await nls(n))?.spec?.resourceToBeInited ? true : undefined));
    }
  });

  it('deletes the NodeLocalStorage of a removed node', async function () {
    await api.request('DELETE', '/api/v1/nodes/n2');
    await eventually('NLS n2 gone', async () => ((await nls('n2')) === undefined ? true : undefined));
    expect(await nls('n1')).to.not.equal(undefined);
  });
});
