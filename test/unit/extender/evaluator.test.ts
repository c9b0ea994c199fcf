import { expect } from 'chai';
import { fitNode } from '../../../extender/allocator/allocate.js';
import { podClaims } from '../../../extender/allocator/claims.js';
import { Evaluator } from '../../../extender/evaluator.js';
import { ClusterState } from '../../../extender/state/cluster-state.js';
import { localVolume, lvmPv, nls, podWithClaims, pvc, storageClass } from './objects.js';

describe('extender/evaluator', () => {
  const setup = () => {
    const state = new ClusterState();
    state.onStorageClass('add', storageClass('lvm', { volumeType: 'LVM' }));
    state.onNodeLocalStorage('add', nls('n1', { vgs: { vg: 100 } }));
    state.onPersistentVolumeClaim('add', pvc('ns', 'data', 'lvm', '20Gi'));
    const pod = podWithClaims('ns', 'p', ['data']);
    return { state, pod: { ...pod, metadata: { ...pod.metadata, uid: 'uid-1' } }, evaluator: new Evaluator(state, { strategy: 'binpack' }) };
  };

  it("scores prioritize's nodes as filter placed them", () => {
    const { pod, evaluator } = setup();
    expect(evaluator.filter(pod, ['n1', 'ghost'])).to.deep.equal({ feasible: ['n1'], failed: { ghost: 'no open-local storage on this node (no NodeLocalStorage status)' } });
    expect(evaluator.score(pod, ['n1'])).to.deep.equal({ scores: [2] });
  });

  it('scores again when the cluster changed between filter and prioritize', () => {
    const { state, pod, evaluator } = setup();
    evaluator.filter(pod, ['n1']);
    state.onPersistentVolume('add', lvmPv('pvc-x', 'n1', 'vg', '60Gi'));
    expect(evaluator.score(pod, ['n1'])).to.deep.equal({ scores: [8] });
  });

  it('scores a node filter was not asked about, and 0 where the pod does not fit', () => {
    const { state, pod, evaluator } = setup();
    state.onNodeLocalStorage('add', nls('small', { vgs: { vg: 10 } }));
    expect(evaluator.score(pod, ['small', 'n1'])).to.deep.equal({ scores: [0, 2] });
  });

  it("scores prioritize's nodes by name when they come in another order than filter's", () => {
    const { state, pod, evaluator } = setup();
    state.onNodeLocalStorage('add', nls('n2', { vgs: { vg: 50 } }));
    state.onNodeLocalStorage('add', nls('n3', { vgs: { vg: 25 } }));
    const fresh = new Evaluator(state, { strategy: 'binpack' });
    const expected = (fresh.score(pod, ['n3', 'n1', 'n2']) as { scores: number[] }).scores;
    expect(expected).to.deep.equal([8, 2, 4]);
    expect(evaluator.filter(pod, ['n1', 'n2', 'n3'])).to.deep.equal({ feasible: ['n1', 'n2', 'n3'], failed: {} });
    expect(evaluator.score(pod, ['n3', 'n1', 'n2'])).to.deep.equal({ scores: expected });
    expect(evaluator.score(pod, ['n2', 'ghost', 'n3'])).to.deep.equal({ scores: [4, 0, 8] });
  });

  it('answers as the allocator does from the state, however the nodes it keeps views of change between requests', () => {
    const { state, pod, evaluator } = setup();
    state.onNodeLocalStorage('add', nls('n2', { vgs: { vg: 50, other: 30 } }));
    const names = ['n1', 'n2', 'later'];
    const expected = () => {
      const resolved = podClaims(pod, state);
      if ('error' in resolved) throw new Error(resolved.error);
      const feasible: string[] = [];
      const failed: Record<string, string> = {};
      for (const node of names) {
        const fit = fitNode(state.storage(node), state.usage(node), resolved.claims, { strategy: 'binpack' });
        if (fit.fits) feasible.push(node);
        else failed[node] = fit.reason;
      }
      return { feasible, failed };
    };
    const changes: [string, () => void][] = [
      ['a PV fills most of n1', () => { state.onPersistentVolume('add', lvmPv('pv-1', 'n1', 'vg', '90Gi')); }],
      ['a LocalVolume being created fills n2', () => { state.onLocalVolume('add', localVolume('local-2', 'n2', 'vg', 45 * 2 ** 30)); }],
      ['n2 grows', () => { state.onNodeLocalStorage('update', nls('n2', { vgs: { vg: 500 } })); }],
      ['a node the requests named gets storage', () => { state.onNodeLocalStorage('add', nls('later', { vgs: { vg: 100 } })); }],
      ['a PVC is promised to it', () => { state.onPersistentVolumeClaim('add', pvc('ns', 'sent', 'lvm', '95Gi', { uid: 'u9', annotations: { 'volume.kubernetes.io/selected-node': 'later' } })); }],
      ['the PV leaves n1', () => { state.onPersistentVolume('delete', lvmPv('pv-1', 'n1', 'vg', '90Gi')); }],
      ['the promised PVC is deleted', () => { state.onPersistentVolumeClaim('delete', pvc('ns', 'sent', 'lvm', '95Gi', { uid: 'u9' })); }],
      ['n1 loses its storage', () => { state.onNodeLocalStorage('delete', nls('n1', { vgs: {} })); }],
    ];
    expect(evaluator.filter(pod, names)).to.deep.equal(expected());
    for (const [what, change] of changes) {
      change();
      // A new array with equal names, as each request parses its own.
      expect(evaluator.filter(pod, [...names]), what).to.deep.equal(expected());
    }
  });
});
