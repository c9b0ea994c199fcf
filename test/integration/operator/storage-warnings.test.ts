// A device forced by its kernel name is reported where the user looks (a condition and a Warning event on the
// OpenLocalCluster), without degrading the cluster, and the warning clears when the config names the disk by id.
import { expect } from 'chai';
import { crdManifests } from '../../../api/generated/crds.js';
import type { OpenLocalCluster } from '../../../api/generated/types.js';
import { KubeApi } from '../../../lib/kube-api.js';
import type { KubeObject } from '../../../lib/kube-object.js';
import { loadKubeConfig } from '../../../lib/kube-config.js';
import { startOperator, type RunningOperator } from '../../../operator/run.js';
import { startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { loadExample, withField } from '../../fixtures/examples.js';
import { installCrds, rawApi } from '../support/raw-api.js';
import { volumeSnapshotClassCrd } from '../support/snapshot-crds.js';
import { createNode, eventually } from '../support/kubelet-play.js';

const GV = 'csi.aliyun.com/v1alpha1';
const FIELD = 'spec.storage.globalConfig.resourceToBeInited.vgs[0].forceDevices[0]';

describe('storage config warnings on a real API server', function () {
  let cp: ControlPlane;
  let api: KubeApi;
  let op: RunningOperator;

  const warning = async () => (await api.get<OpenLocalCluster>(GV, 'OpenLocalCluster', 'open-local'))?.status?.conditions?.find((c) => c.type === 'StorageConfigWarnings');

  before(async function () {
    cp = await startControlPlane();
    await installCrds(rawApi(cp), [...crdManifests, volumeSnapshotClassCrd]);
    api = new KubeApi(loadKubeConfig(cp.kubeconfigPath));
    await createNode(api, 'node-a');
    op = await startOperator({ kubeconfig: cp.kubeconfigPath, httpAddress: '127.0.0.1:0', leaderElect: false, leaseNamespace: 'default', identity: 'test', logLevel: 'warn' });
  });

  after(async function () {
    await (op as RunningOperator | undefined)?.stop();
    await (cp as ControlPlane | undefined)?.stop();
  });

  it('warns about a device forced by kernel name with a condition and a Warning event, and is not Degraded', async function () {
    const cluster = withField(loadExample('minimal.yaml'), 'spec.storage.globalConfig.resourceToBeInited.vgs', [{ name: 'open-local-pool-0', devices: ['/dev/sdb'], forceDevices: ['/dev/sdb'] }]);
    await api.request('POST', `/apis/${GV}/openlocalclusters`, { body: cluster });
    const c = await eventually('the warning condition', async () => {
      const w = await warning();
      return w?.status === 'True' ? w : undefined;
    });
    expect(c.reason).to.equal('KernelDeviceNameForced');
    expect(c.message).to.include(`${FIELD}: /dev/sdb`).and.include('/dev/disk/by-id/');
    const status = (await api.get<OpenLocalCluster>(GV, 'OpenLocalCluster', 'open-local'))?.status;
    expect(status?.phase).to.not.equal('Degraded');
    expect(status?.conditions?.find((x) => x.type === 'Degraded')?.status).to.equal('False');
    const events = await eventually('the Warning event', async () => {
      const list = await api.list<KubeObject & { type?: string; reason?: string; message?: string }>('v1', 'Event', { namespace: 'default' });
      const found = list.items.filter((e) => e.reason === 'KernelDeviceNameForced');
      return found.length > 0 ? found : undefined;
    });
    expect(events[0]).to.include({ type: 'Warning' });
    expect(events[0]?.message).to.include(FIELD);
  });

  it('clears the warning once the device is named by id', async function () {
    await api.mergePatch({ apiVersion: GV, kind: 'OpenLocalCluster', metadata: { name: 'open-local' } }, { spec: { storage: { globalConfig: { resourceToBeInited: { vgs: [{ name: 'open-local-pool-0', devices: ['/dev/disk/by-id/wwn-0x5000c500a1b2c3d4'], forceDevices: ['/dev/disk/by-id/wwn-0x5000c500a1b2c3d4'] }] } } } } });
    const c = await eventually('the warning cleared', async () => {
      const w = await warning();
      return w?.status === 'False' ? w : undefined;
    });
    expect(c.reason).to.equal('NoWarnings');
  });
});
