import { expect } from 'chai';
import { useOfPv, inlineUsesOfPod } from '../../../extender/allocator/volume-use.js';
import { claimOfPvc } from '../../../extender/allocator/claims.js';
import { ClusterState } from '../../../extender/state/cluster-state.js';
import { trimForCache } from '../../../extender/trim.js';
import { lvmPv, pvc, storageClass } from './objects.js';

const apiMeta = { resourceVersion: '42', uid: 'u', creationTimestamp: '2026-01-01T00:00:00Z', managedFields: [{ manager: 'x' }], labels: { a: 'b' }, finalizers: ['kubernetes.io/pv-protection'] };

describe('extender/trim', () => {
  it('keeps of a PV what the allocator reads, with the same result', () => {
    const pv = lvmPv('pv', 'n1', 'vg', '10Gi', { namespace: 'ns', name: 'data' });
    Object.assign(pv.metadata ?? {}, apiMeta, { annotations: { 'csi.aliyun.com/pv-allocated': '{"vgName":"vg2"}', other: 'x' } });
    Object.assign(pv.spec.csi?.volumeAttributes ?? {}, { 'csi.storage.k8s.io/fstype': 'ext4', iops: '100' });
    const before = useOfPv(pv);
    const cached = trimForCache('PersistentVolume', pv) as typeof pv;
    expect(useOfPv(cached)).to.deep.equal(before).and.to.include({ vgName: 'vg2' });
    expect(cached.metadata).to.deep.equal({ name: 'pv', uid: 'u', resourceVersion: '42', annotations: { 'csi.aliyun.com/pv-allocated': '{"vgName":"vg2"}' } });
    expect(cached.spec.csi?.volumeAttributes).to.deep.equal({ volumeType: 'LVM', vgName: 'vg' });
    expect(pv.metadata?.managedFields, 'the listed object is left as it was').to.have.length(1);
  });

  it('keeps of a PVC what claims read, with the same claim', () => {
    const state = new ClusterState();
    state.onStorageClass('add', storageClass('lvm', { volumeType: 'LVM' }));
    const claim = pvc('ns', 'data', 'lvm', '5Gi', { annotations: { 'volume.kubernetes.io/selected-node': 'n1', noise: 'x' } });
    Object.assign(claim.metadata ?? {}, apiMeta);
    const before = claimOfPvc(claim, state);
    const cached = trimForCache('PersistentVolumeClaim', claim) as typeof claim;
    expect(claimOfPvc(cached, state)).to.deep.equal(before);
    expect(cached.metadata?.annotations).to.deep.equal({ 'volume.kubernetes.io/selected-node': 'n1' });
    expect(cached.spec).to.not.have.property('accessModes');
  });

  it('keeps of a pod only its node, inline CSI volumes and phase, with the same usage', () => {
    const pod = {
      metadata: { name: 'p', namespace: 'ns', ...apiMeta },
      spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'i' }], volumes: [{ name: 'cfg', configMap: { name: 'x' } }, { name: 'scratch', csi: { driver: 'local.csi.aliyun.com', volumeAttributes: { vgName: 'vg', size: '2Gi' } } }] },
      status: { phase: 'Running', conditions: [{ type: 'Ready' }] },
    };
    const before = inlineUsesOfPod(pod);
    const cached = trimForCache('Pod', pod) as typeof pod;
    expect(cached).to.deep.equal({ metadata: { name: 'p', namespace: 'ns', uid: 'u', resourceVersion: '42' }, spec: { nodeName: 'n1', volumes: [pod.spec.volumes[1]] }, status: { phase: 'Running' } });
    expect(inlineUsesOfPod(cached)).to.deep.equal(before).and.to.have.length(1);
  });
});
