import { expect } from 'chai';
import { Evaluator } from '../../../extender/evaluator.js';
import { ClusterState } from '../../../extender/state/cluster-state.js';
import { lvmPv, nls, podWithClaims, pvc, storageClass } from './objects.js';

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
});
