import { expect } from 'chai';
import type { NodeStatus } from '../../../api/generated/types.js';
import type { PrepareVgPod } from '../../../operator/caches.js';
import type { FactsNode, JobObject } from '../../../operator/nodes/facts.js';
import { nodePass, previousStatuses, type NodePassInput } from '../../../operator/nodes/pass.js';
import { formatRecord, NODE_STATE_ANNOTATION } from '../../../operator/nodes/record.js';
import { STORAGE_READY_LABEL } from '../../../synth/names.js';
import { resolveSpec } from '../../../synth/resolved-spec.js';
import { CONFIG_HASH_ANNOTATION, MODE_ANNOTATION, NODE_NAME_ANNOTATION } from '../../../synth/stack/prepare-vg-job.js';
import { initConfigHash, resolveNodeConfig } from '../../../lib/storage-config.js';
import { loadExample, withField } from '../../fixtures/examples.js';

const uid = 'cluster-uid-1';
const spec = resolveSpec(loadExample('minimal.yaml'));
const now = new Date('2026-12-01T12:00:00Z');
const hash = initConfigHash(resolveNodeConfig(spec.storage, {}).resourceToBeInited);

const node = (name: string, extra: { labels?: Record<string, string>; record?: string } = {}): FactsNode => ({
  apiVersion: 'v1', kind: 'Node',
  metadata: { name, uid: `uid-${name}`, labels: extra.labels ?? {}, ...(extra.record ? { annotations: { [NODE_STATE_ANNOTATION]: extra.record } } : {}) },
  status: { nodeInfo: { bootID: `boot-${name}` }, conditions: [{ type: 'Ready', status: 'True' }] },
});
const job = (name: string, forNode: string, owner: string, mode?: string): JobObject => ({
  apiVersion: 'batch/v1', kind: 'Job',
  metadata: { name, namespace: 'open-local', uid: `job-uid-${name}`, annotations: { [NODE_NAME_ANNOTATION]: forNode, [CONFIG_HASH_ANNOTATION]: hash, ...(mode ? { [MODE_ANNOTATION]: mode } : {}) }, ownerReferences: [{ apiVersion: 'csi.aliyun.com/v1alpha1', kind: 'OpenLocalCluster', name: 'c', uid: owner }] },
  status: { active: 1 },
});
const input = (over: Partial<NodePassInput>): NodePassInput => ({ clusterUid: uid, spec, nodes: [], jobs: [], pods: [], memory: undefined, volumesByNode: () => new Map(), now, ...over });

describe('operator/nodes/pass', () => {
  it('plans only this cluster\'s prepare Jobs, and starts no Job beside a pod whose Job is gone', () => {
    const stray = { metadata: { name: 'old-pod', namespace: 'open-local', labels: { 'batch.kubernetes.io/controller-uid': 'gone' } }, spec: { nodeName: 'c' }, status: { phase: 'Running' } } as PrepareVgPod;
    const pass = nodePass(input({
      nodes: [node('a'), node('b'), node('c')],
      jobs: [job('mine', 'a', uid), job('theirs', 'b', 'other-cluster'), job('cleanup', 'b', uid, 'remove')],
      pods: [stray],
    }));
    const byName = new Map(pass.plan.statuses.map((s) => [s.name, s]));
    expect(byName.get('a')).to.include({ phase: 'Preparing', reason: 'JobRunning' });
    expect(byName.get('b')).to.include({ phase: 'Preparing', reason: 'JobCreated' });
    expect(byName.get('c')).to.include({ phase: 'Preparing', reason: 'WaitingForOldPod' });
    expect(pass.actions).to.deep.equal([{ type: 'createJob', node: 'b', labels: {} }]);
  });

  it('resumes from the Nodes\' records after a start, returning the untrusted ones apart', () => {
    const ready: NodeStatus = { name: 'a', uid: 'uid-a', phase: 'Ready', reason: 'VolumeGroupsReady', configHash: 'h', attempts: 0, bootID: 'boot-a', lastTransitionTime: '2026-12-01T11:00:00Z' };
    const pass = nodePass(input({ nodes: [node('a', { record: formatRecord(uid, ready) }), node('b', { record: '{oops' }), node('c', { record: formatRecord('other', { ...ready, name: 'c' }) })] }));
    expect(pass.ignoredRecords.map((r) => [r.node, r.foreign])).to.deep.equal([['b', false], ['c', true]]);
    expect(pass.memory.clusterUid).to.equal(uid);
    expect([...pass.memory.statuses.keys()]).to.deep.equal(['a', 'b', 'c']);
  });

  it('takes the last plan over the records, and a record only for a node the plan did not have', () => {
    const planned: NodeStatus = { name: 'a', phase: 'Preparing', reason: 'JobRunning' };
    const recordedA: NodeStatus = { name: 'a', phase: 'Failed', reason: 'X', attempts: 3 };
    const recordedB: NodeStatus = { name: 'b', phase: 'Failed', reason: 'Y', attempts: 1 };
    const nodes = [{ name: 'a', labels: {}, deleting: false, markedReady: false, record: formatRecord(uid, recordedA) }, { name: 'b', labels: {}, deleting: false, markedReady: false, record: formatRecord(uid, recordedB) }];
    const memory = { clusterUid: uid, statuses: new Map([['a', planned]]) };
    expect([...previousStatuses(memory, uid, nodes).statuses.values()]).to.deep.equal([planned, recordedB]);
    // Another cluster's plan is not this one's: the records count.
    expect([...previousStatuses({ ...memory, clusterUid: 'other' }, uid, nodes).statuses.values()]).to.deep.equal([recordedA, recordedB]);
  });

  it('asks for the volumes only when it unmarks a node, and holds the mark of a node with volumes', () => {
    let asked = 0;
    const volumes = () => {
      asked++;
      return new Map([['a', ['pv-1']]]);
    };
    nodePass(input({ nodes: [node('a')], volumesByNode: volumes }));
    expect(asked).to.equal(0);
    const selective = resolveSpec(withField(loadExample('minimal.yaml'), 'spec.nodes.selector', { matchLabels: { storage: 'yes' } }));
    const marked = { ...node('a'), metadata: { ...node('a').metadata, labels: { [STORAGE_READY_LABEL]: 'true' } } };
    const pass = nodePass(input({ spec: selective, nodes: [marked], volumesByNode: volumes }));
    expect(asked).to.equal(1);
    expect(pass.held.map((h) => h.node)).to.deep.equal(['a']);
    expect(pass.patches).to.deep.equal([]);
  });
});
