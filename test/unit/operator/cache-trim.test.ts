import { expect } from 'chai';
import { trimJob, trimNode, trimPrepareVgPod, type CachedNode } from '../../../operator/cache-trim.js';
import { clusterJobFacts, jobFacts, NODE_BOOT_ID_ANNOTATION, NODE_UID_ANNOTATION, nodeFacts, podsByJobUid, type JobObject } from '../../../operator/nodes/facts.js';
import { CONFIG_HASH_ANNOTATION, MODE_ANNOTATION, NODE_NAME_ANNOTATION } from '../../../synth/stack/prepare-vg-job.js';
import { NODE_STATE_ANNOTATION } from '../../../operator/nodes/record.js';
import type { PrepareVgPod } from '../../../operator/caches.js';

/** A Node as a kubelet writes it, in the parts that matter here (images and heartbeats are most of a real one). */
const node = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: {
    name: 'node-a', uid: 'u1', resourceVersion: '42', labels: { 'kubernetes.io/hostname': 'node-a', zone: 'a' },
    annotations: { [NODE_STATE_ANNOTATION]: '{"phase":"Ready"}', 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    managedFields: [{ manager: 'kubelet' }],
  },
  spec: { unschedulable: true, podCIDR: '10.0.0.0/24', taints: [] },
  status: {
    nodeInfo: { bootID: 'boot-1', kernelVersion: '6.1', osImage: 'Debian' },
    conditions: [{ type: 'MemoryPressure', status: 'False', lastHeartbeatTime: 't' }, { type: 'Ready', status: 'True', lastHeartbeatTime: 't', reason: 'KubeletReady' }],
    images: Array.from({ length: 50 }, (_, i) => ({ names: [`registry/image-${i}`], sizeBytes: i })),
  },
} as unknown as CachedNode;

describe('operator/cache-trim', () => {
  it('keeps of a Node exactly what planning reads (same facts), and far fewer bytes', () => {
    const trimmed = trimNode(node);
    expect(nodeFacts(trimmed)).to.deep.equal(nodeFacts(node));
    expect(trimmed.metadata.annotations).to.deep.equal({ [NODE_STATE_ANNOTATION]: '{"phase":"Ready"}' });
    expect(trimmed.metadata.resourceVersion).to.equal('42');
    expect(JSON.stringify(trimmed).length).to.be.below(JSON.stringify(node).length / 5);
  });

  it('keeps of a prepare-vg Pod what jobFacts reads', () => {
    const pod = {
      metadata: { name: 'prepare-vg-a-x', namespace: 'open-local', uid: 'p1', resourceVersion: '7', labels: { 'batch.kubernetes.io/controller-uid': 'job-uid' }, managedFields: [{}] },
      spec: { nodeName: 'node-a', containers: [{ name: 'prepare-vg', image: 'x', env: [{ name: 'OPEN_LOCAL_INIT_CONFIG', value: '{}' }] }] },
      status: { phase: 'Failed', conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'False' }], containerStatuses: [{ name: 'prepare-vg', image: 'x', state: { terminated: { exitCode: 1, message: '{"version":1}' } } }] },
    } as unknown as PrepareVgPod;
    const job = { metadata: { name: 'prepare-vg-a', uid: 'job-uid', annotations: { 'csi.aliyun.com/node-name': 'node-a' } }, status: { conditions: [{ type: 'Failed', status: 'True' }] } };
    expect(jobFacts(job, podsByJobUid([trimPrepareVgPod(pod)]))).to.deep.equal(jobFacts(job, podsByJobUid([pod])));
    expect(trimPrepareVgPod(pod).spec).to.deep.equal({ nodeName: 'node-a' });
  });

  it('keeps of a prepare-VG Job what jobFacts, clusterJobFacts and deletion read, and far fewer bytes', () => {
    const job = {
      apiVersion: 'batch/v1', kind: 'Job',
      metadata: {
        name: 'prepare-vg-node-a-1234abcd', namespace: 'open-local', uid: 'job-uid', resourceVersion: '9', creationTimestamp: '2026-12-01T11:00:00Z',
        labels: { 'app.kubernetes.io/managed-by': 'open-local-operator' },
        annotations: { [NODE_NAME_ANNOTATION]: 'node-a', [CONFIG_HASH_ANNOTATION]: 'h1', [MODE_ANNOTATION]: 'prepare', [NODE_UID_ANNOTATION]: 'u1', [NODE_BOOT_ID_ANNOTATION]: 'boot-1', 'batch.kubernetes.io/job-tracking': '' },
        ownerReferences: [{ apiVersion: 'csi.aliyun.com/v1alpha1', kind: 'OpenLocalCluster', name: 'open-local', uid: 'cluster-uid', controller: true }],
        managedFields: [{ manager: 'kube-controller-manager', fieldsV1: { 'f:status': {} } }],
      },
      spec: { template: { spec: { nodeName: 'node-a', containers: [{ name: 'prepare-vg', image: 'x', env: Array.from({ length: 20 }, (_, i) => ({ name: `E${i}`, value: 'v'.repeat(40) })) }] } } },
      status: { failed: 1, startTime: 't', uncountedTerminatedPods: {}, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', lastTransitionTime: '2026-12-01T11:01:00Z', lastProbeTime: 't' }] },
    } as unknown as JobObject;
    const trimmed = trimJob(job);
    const pods = podsByJobUid([]);
    expect(jobFacts(trimmed, pods)).to.deep.equal(jobFacts(job, pods)).and.to.include({ state: 'Failed', failureReason: 'BackoffLimitExceeded', createdAt: '2026-12-01T11:00:00Z', nodeUid: 'u1', bootId: 'boot-1' });
    expect(clusterJobFacts([trimmed], pods, 'cluster-uid', 'prepare')).to.have.length(1);
    expect(trimmed).to.include({ apiVersion: 'batch/v1', kind: 'Job' });
    expect(trimmed.metadata).to.include({ name: job.metadata?.name, namespace: 'open-local', resourceVersion: '9' });
    expect(JSON.stringify(trimmed).length).to.be.below(JSON.stringify(job).length / 3);
  });
});
