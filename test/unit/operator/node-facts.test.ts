import { expect } from 'chai';
import { jobFacts, nodeFacts, podsByJobUid, strayPods } from '../../../operator/nodes/facts.js';
import type { PrepareVgPod } from '../../../operator/caches.js';

const job = (uid: string) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'prepare-vg-a', namespace: 'open-local', uid, creationTimestamp: '2026-11-23T12:00:00Z', annotations: { 'csi.aliyun.com/node-name': 'a', 'csi.aliyun.com/storage-config-hash': 'h', 'csi.aliyun.com/node-uid': 'node-uid-1' } },
});
const pod = (name: string, jobUid: string | undefined, status: PrepareVgPod['status'], nodeName = 'a'): PrepareVgPod => ({
  metadata: { name, labels: { 'job-name': 'prepare-vg-a', 'batch.kubernetes.io/job-name': 'prepare-vg-a', ...(jobUid ? { 'batch.kubernetes.io/controller-uid': jobUid, 'controller-uid': jobUid } : {}) } },
  spec: { nodeName },
  status,
});
const terminated = (message: string): PrepareVgPod['status'] => ({ phase: 'Succeeded', containerStatuses: [{ name: 'prepare-vg', state: { terminated: { exitCode: 0, message } } }] });

describe('operator/nodes/facts', () => {
  it("reads only its own pod (by the Job's UID): a re-created Job of the same name never sees the old pod's result", () => {
    const old = pod('prepare-vg-a-old', 'job-uid-1', terminated('{"old":true}'));
    expect(jobFacts(job('job-uid-2'), podsByJobUid([old]))).to.not.have.property('resultText');
    expect(jobFacts(job('job-uid-2'), podsByJobUid([old]))).to.not.have.property('pod');
    expect(jobFacts(job('job-uid-1'), podsByJobUid([old]))).to.include({ resultText: '{"old":true}', pod: 'Finished' });
  });

  it('tells a pod that has not started (and why) from a running one, and reads the node incarnation it was for', () => {
    const waiting = pod('p', 'u', { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', message: '0/3 nodes are available' }] });
    expect(jobFacts(job('u'), podsByJobUid([waiting]))).to.include({ pod: 'Pending', podWaiting: '0/3 nodes are available', createdAt: '2026-11-23T12:00:00Z', nodeUid: 'node-uid-1' });
    expect(jobFacts(job('u'), podsByJobUid([pod('p', 'u', { phase: 'Running' })]))).to.include({ pod: 'Running' });
  });

  it('finds prepare-vg pods still running on a node whose Job is gone', () => {
    const pods = [pod('orphan', 'gone', { phase: 'Running' }, 'a'), pod('mine', 'live', { phase: 'Running' }, 'b'), pod('done', 'gone', { phase: 'Failed' }, 'c'), pod('unlabelled', undefined, { phase: 'Pending' }, 'd')];
    expect([...strayPods(pods, new Set(['live']))]).to.deep.equal([['a', 'orphan'], ['d', 'unlabelled']]);
  });

  it('keeps kubelet heartbeats out of the node facts, but not the Ready status, the UID or a cordon', () => {
    const node = (heartbeat: string, status = 'True', unschedulable = false) => ({
      metadata: { name: 'a', uid: 'uid-1', labels: {} },
      spec: { unschedulable },
      status: { nodeInfo: { bootID: 'boot-1' }, conditions: [{ type: 'Ready', status, lastHeartbeatTime: heartbeat, lastTransitionTime: '2026-11-23T00:00:00Z' }] },
    });
    expect(nodeFacts(node('2026-11-23T12:00:00Z'))).to.deep.equal(nodeFacts(node('2026-11-23T12:00:10Z')));
    expect(nodeFacts(node('x'))).to.deep.equal({ name: 'a', uid: 'uid-1', labels: {}, deleting: false, markedReady: false, bootId: 'boot-1', ready: 'True' });
    expect(nodeFacts(node('x', 'Unknown', true))).to.include({ ready: 'Unknown', unschedulable: true });
  });
});
