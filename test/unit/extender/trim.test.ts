import { expect } from 'chai';
import { inlineUsesOfPod } from '../../../extender/allocator/volume-use.js';
import { trimForCache } from '../../../extender/trim.js';

describe('extender/trim', () => {
  it('drops managedFields and the last-applied copy, keeping other annotations', () => {
    const pv = { metadata: { name: 'pv', managedFields: [{ manager: 'x' }], annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', keep: 'me' } }, spec: { capacity: { storage: '1Gi' } } };
    trimForCache('PersistentVolume', pv);
    expect(pv).to.deep.equal({ metadata: { name: 'pv', annotations: { keep: 'me' } }, spec: { capacity: { storage: '1Gi' } } });
  });
  it('keeps of a pod only what inline-volume accounting reads, with the same result', () => {
    const pod = {
      metadata: { name: 'p', namespace: 'ns' },
      spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'i' }], volumes: [{ name: 'cfg', configMap: { name: 'x' } }, { name: 'scratch', csi: { driver: 'local.csi.aliyun.com', volumeAttributes: { vgName: 'vg', size: '2Gi' } } }] },
      status: { phase: 'Running', conditions: [{ type: 'Ready' }] },
    };
    const before = inlineUsesOfPod(pod);
    trimForCache('Pod', pod);
    expect(pod).to.deep.equal({ metadata: { name: 'p', namespace: 'ns' }, spec: { nodeName: 'n1', volumes: [pod.spec.volumes[0]] }, status: { phase: 'Running' } });
    expect(inlineUsesOfPod(pod)).to.deep.equal(before).and.to.have.length(1);
  });
});
