import { expect } from 'chai';
import { boundedList, describeHeld, guardUnmarks, nodeOfPersistentVolume, volumesByNode, type VolumeObject } from '../../../operator/nodes/volume-guard.js';
import type { NodeAction } from '../../../operator/nodes/plan.js';

const pv = (name: string, node: string | undefined, driver = 'local.csi.aliyun.com', viaAttributes = false): VolumeObject => ({
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name },
  spec: {
    csi: { driver, volumeAttributes: viaAttributes && node ? { 'volume.kubernetes.io/selected-node': node } : {} },
    ...(!viaAttributes && node ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } } } : {}),
  },
});
const lv = (name: string, node: string): VolumeObject => ({ apiVersion: 'csi.aliyun.com/v1alpha1', kind: 'LocalVolume', metadata: { name }, spec: { nodeName: node } });

describe('volume guard (nothing removed from under live volumes)', () => {
  it('finds the node of an open-local PV from its node affinity, else its volume attributes; other drivers are ignored', () => {
    expect(nodeOfPersistentVolume(pv('a', 'node-a'))).to.equal('node-a');
    expect(nodeOfPersistentVolume(pv('b', 'node-b', undefined, true))).to.equal('node-b');
    expect(nodeOfPersistentVolume(pv('c', 'node-c', 'ebs.csi.aws.com'))).to.equal(undefined);
    expect(nodeOfPersistentVolume(pv('d', undefined))).to.equal(undefined);
  });

  it('groups volumes by node, naming a PV and its LocalVolume once', () => {
    const byNode = volumesByNode([pv('local-2', 'node-b'), pv('local-1', 'node-a'), pv('other', 'node-c', 'x')], [lv('local-1', 'node-a'), lv('local-3', 'node-a')]);
    expect([...byNode]).to.deep.equal([['node-a', ['local-1', 'local-3']], ['node-b', ['local-2']]]);
  });

  it('keeps the node plugins on nodes that hold volumes and lets every other action through', () => {
    const actions: NodeAction[] = [
      { type: 'unmarkReady', node: 'node-a' },
      { type: 'unmarkReady', node: 'node-b' },
      { type: 'markReady', node: 'node-c' },
      { type: 'deleteJob', name: 'prepare-vg-node-a' },
    ];
    const out = guardUnmarks(actions, new Map([['node-a', ['local-1']]]));
    expect(out.actions).to.deep.equal(actions.slice(1));
    expect(out.held).to.deep.equal([{ node: 'node-a', volumes: ['local-1'] }]);
    expect(guardUnmarks(actions, new Map()).actions).to.deep.equal(actions);
  });

  it('bounds the lists in messages', () => {
    expect(boundedList(['a', 'b', 'c', 'd', 'e', 'f', 'g'])).to.equal('a, b, c, d, e and 2 more');
    expect(describeHeld([{ node: 'n1', volumes: ['v1', 'v2', 'v3', 'v4'] }])).to.equal('n1 (v1, v2, v3 and 1 more)');
  });
});
