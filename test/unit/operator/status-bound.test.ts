import { expect } from 'chai';
import type { ComponentStatus, NodeStatus } from '../../../api/generated/types.js';
import { MAX_LISTED_NODES, MAX_NODE_MESSAGE, nodesNeedingAttention } from '../../../operator/status/attention.js';
import { computeStatus, type Observation } from '../../../operator/status/conditions.js';

const now = new Date('2026-11-23T12:00:00Z');
const components: ComponentStatus[] = ['open-local-controller', 'open-local-node', 'open-local-csi-controller'].map((name) => ({ name, kind: 'Deployment', ready: true, desired: 1, available: 1 }));
const name = (i: number) => `ip-10-0-${Math.floor(i / 250)}-${i % 250}.eu-west-1.compute.internal`;
/** prepare-vg's result message can reach the kubelet's 4 KiB termination-message limit. */
const longMessage = `/dev/nvme1n1: has an ext4 filesystem signature; list it in forceDevices to wipe it. ${'x'.repeat(4000)}`;

/** A fleet in the worst mix for the status: every phase, every node with a long message and volume groups. */
function fleet(n: number): NodeStatus[] {
  const phases = ['Ready', 'Failed', 'Pending', 'Preparing'] as const;
  return Array.from({ length: n }, (_, i) => ({
    name: name(i),
    uid: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
    phase: phases[i % 4] ?? 'Ready',
    reason: 'DeviceRefused',
    message: longMessage,
    configHash: '0123456789abcdef',
    attempts: 3,
    retryAt: '2026-11-23T12:10:00Z',
    bootID: '7b4c3a29-8f5e-4c1d-9a2b-3e4f5a6b7c8d',
    lastTransitionTime: '2026-11-23T11:00:00Z',
    volumeGroups: [{ name: 'open-local-pool-0', state: 'Refused' as const, devices: ['/dev/nvme1n1', '/dev/nvme2n1'], size: '3840755982336', message: longMessage }],
  }));
}
const observe = (nodes: readonly NodeStatus[]): Observation => ({ generation: 1, deleting: false, specErrors: [], applyErrors: [], nodes, components, extenderEnabled: true, storageWarnings: [] });
/** The bytes the operator sends for a status write: the merge patch body `{ status }`. */
const writeBytes = (nodes: readonly NodeStatus[]) => Buffer.byteLength(JSON.stringify({ status: computeStatus(observe(nodes), undefined, now) }));

describe('operator/status: bounded at any fleet size', () => {
  it('stays under 64 KiB at 5,000 nodes, whatever their phases and messages', () => {
    const status = computeStatus(observe(fleet(5000)), undefined, now);
    expect(Buffer.byteLength(JSON.stringify(status))).to.be.below(64 * 1024);
    expect(status.nodes).to.have.length(MAX_LISTED_NODES);
    expect(status.nodesNotListed).to.equal(3750 - MAX_LISTED_NODES);
    expect(status.nodeCounts).to.deep.equal({ total: 5000, ready: 1250, failed: 1250, preparing: 1250, pending: 1250 });
  });

  it('writes the same number of bytes when one node changes, at 100 nodes as at 5,000', () => {
    const sizes = [100, 1000, 5000].map((n) => {
      const nodes: NodeStatus[] = fleet(n).map((s) => ({ ...s, phase: 'Ready' }));
      nodes[n - 1] = { ...nodes[n - 1], name: name(n - 1), phase: 'Failed' };
      return writeBytes(nodes);
    });
    // Only the digits of the counts differ.
    expect(Math.max(...sizes) - Math.min(...sizes)).to.be.at.most(16);
    expect(Math.max(...sizes)).to.be.below(8 * 1024);
  });

  it('lists Failed nodes first, then Pending, then Preparing, by name, without their volume groups', () => {
    const { listed, notListed } = nodesNeedingAttention(
      [
        { name: 'd', phase: 'Preparing' },
        { name: 'c', phase: 'Pending' },
        { name: 'b', phase: 'Failed', message: longMessage, volumeGroups: [{ name: 'vg', state: 'Refused' }], configHash: 'h', bootID: 'b' },
        { name: 'a', phase: 'Ready' },
        { name: 'a2', phase: 'Failed' },
      ],
      3,
    );
    expect(listed.map((n) => n.name)).to.deep.equal(['a2', 'b', 'c']);
    expect(notListed).to.equal(1);
    expect(listed[1]).to.not.have.any.keys('volumeGroups', 'configHash', 'bootID');
    expect(listed[1]?.message).to.have.length(MAX_NODE_MESSAGE);
  });
});
