import { expect } from 'chai';
import type { NodeStatus } from '../../../api/generated/types.js';
import { formatRecord, NODE_STATE_ANNOTATION, nodePatches, parseRecord } from '../../../operator/nodes/record.js';
import type { NodeFacts } from '../../../operator/nodes/plan.js';
import { STORAGE_READY_LABEL } from '../../../synth/names.js';
import { byNode } from '../../fixtures/node-statuses.js';

const uid = 'cluster-uid-1';
const node = (name: string, extra: Partial<NodeFacts> = {}): NodeFacts => ({ name, labels: {}, deleting: false, markedReady: false, ...extra });
const ready: NodeStatus = { name: 'a', uid: 'node-uid', phase: 'Ready', reason: 'VolumeGroupsReady', configHash: 'h1', bootID: 'boot-1', attempts: 0, lastTransitionTime: '2026-11-23T12:00:00Z', volumeGroups: [{ name: 'vg', state: 'Created', devices: ['/dev/vdb'] }] };

describe('operator/nodes/record', () => {
  it('reads back what it wrote, for the same cluster only', () => {
    const text = formatRecord(uid, ready);
    expect(parseRecord(text, uid, 'a')).to.deep.equal({ status: ready });
    expect(parseRecord(text, 'another-uid', 'a')).to.include({ foreign: true });
    expect(parseRecord(undefined, uid, 'a')).to.equal(undefined);
  });

  const bad: [string, string][] = [
    ['not JSON', '{oops'],
    ['a list', '[]'],
    ['another node\'s name', formatRecord(uid, { ...ready, name: 'b' })],
    ['an unknown phase', formatRecord(uid, { ...ready, phase: 'Done' as NodeStatus['phase'] })],
    ['attempts that are not a count', formatRecord(uid, { ...ready, attempts: -1 })],
  ];
  for (const [what, text] of bad) {
    it(`ignores a record with ${what}, saying why`, () => {
      const parsed = parseRecord(text, uid, 'a');
      expect(parsed).to.have.property('ignored').that.includes(NODE_STATE_ANNOTATION);
    });
  }

  it('marks a node and records it in one patch when it becomes Ready', () => {
    const { patches, actions } = nodePatches({ clusterUid: uid, nodes: [node('a')], statuses: byNode([ready]), actions: [{ type: 'markReady', node: 'a' }, { type: 'deleteJob', name: 'j' }] });
    expect(patches).to.deep.equal([{ node: 'a', labels: { [STORAGE_READY_LABEL]: 'true' }, annotations: { [NODE_STATE_ANNOTATION]: formatRecord(uid, ready) } }]);
    expect(actions).to.deep.equal([{ type: 'deleteJob', name: 'j' }]);
  });

  it('writes nothing for a node whose record is current, nor for transient phases (steady state costs no request)', () => {
    const { patches } = nodePatches({
      clusterUid: uid,
      nodes: [node('a', { markedReady: true, record: formatRecord(uid, ready) }), node('b'), node('c', { record: formatRecord(uid, { name: 'c', phase: 'Failed', attempts: 1 }) })],
      statuses: byNode([ready, { name: 'b', phase: 'Preparing', reason: 'JobRunning' }, { name: 'c', phase: 'Preparing', reason: 'JobCreated', attempts: 2 }]),
      actions: [],
    });
    expect(patches).to.deep.equal([]);
  });

  it('records a failure without touching the mark unless the plan unmarks', () => {
    const failed: NodeStatus = { name: 'b', phase: 'Failed', reason: 'DeviceRefused', attempts: 1 };
    const { patches } = nodePatches({ clusterUid: uid, nodes: [node('b')], statuses: byNode([failed]), actions: [] });
    expect(patches).to.deep.equal([{ node: 'b', annotations: { [NODE_STATE_ANNOTATION]: formatRecord(uid, failed) } }]);
  });

  it('drops the record of a node that left with its mark, and keeps both on a node held for its volumes', () => {
    const record = formatRecord(uid, ready);
    const left = nodePatches({ clusterUid: uid, nodes: [node('a', { markedReady: true, record })], statuses: byNode([]), actions: [{ type: 'unmarkReady', node: 'a' }] });
    expect(left.patches).to.deep.equal([{ node: 'a', labels: { [STORAGE_READY_LABEL]: null }, annotations: { [NODE_STATE_ANNOTATION]: null } }]);
    const held = nodePatches({ clusterUid: uid, nodes: [node('a', { markedReady: true, record })], statuses: byNode([]), actions: [] });
    expect(held.patches).to.deep.equal([]);
  });
});
