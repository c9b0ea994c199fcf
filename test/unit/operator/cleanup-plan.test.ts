import { expect } from 'chai';
import type { NodeStatus } from '../../../api/generated/types.js';
import { planCleanup } from '../../../operator/nodes/cleanup-plan.js';
import type { JobFacts } from '../../../operator/nodes/plan.js';
import { formatResult, type VgResult } from '../../../node-agent/prepare-vg/result.js';

const prepared = (name: string): NodeStatus => ({ name, phase: 'Ready', configHash: 'h' });
const result = (node: string, ...vgs: VgResult[]) => formatResult({ version: 1, node, configHash: 'h', volumeGroups: vgs, mountPoints: [] });
const job = (node: string, state: JobFacts['state'], resultText?: string): JobFacts => ({ name: `remove-vg-${node}`, node, configHash: 'h', state, ...(resultText ? { resultText } : {}) });

describe('operator/nodes/cleanup-plan', () => {
  it('starts a cleanup Job on every prepared node that still exists, within the concurrency', () => {
    const p = planCleanup([prepared('a'), prepared('b'), prepared('c'), { name: 'never', phase: 'Failed' }], new Set(['a', 'b', 'never']), [], 1);
    expect(p.start).to.deep.equal(['a']);
    expect(p.done).to.equal(false);
    expect(p.progress).to.equal('removing volume groups: 0 of 2 nodes done');
  });

  it('is done when every target has a finished Job, and reports removed and kept volume groups', () => {
    const p = planCleanup([prepared('a'), prepared('b')], new Set(['a', 'b']), [
      job('a', 'Succeeded', result('a', { name: 'pool-0', state: 'Removed', devices: ['/dev/vdb'], message: '' })),
      job('b', 'Failed', result('b', { name: 'pool-0', state: 'Refused', devices: ['/dev/vdb'], message: 'holds 2 logical volumes: local-1, local-2' })),
    ], 5);
    expect(p.done).to.equal(true);
    expect(p.start).to.deep.equal([]);
    expect(p.outcomes).to.deep.equal([
      { node: 'a', removed: true, message: 'removed pool-0' },
      { node: 'b', removed: false, message: 'kept pool-0 (holds 2 logical volumes: local-1, local-2)' },
    ]);
  });

  it('treats a Job without a usable result as volume groups kept', () => {
    const p = planCleanup([prepared('a')], new Set(['a']), [{ ...job('a', 'Failed'), failureReason: 'DeadlineExceeded' }], 5);
    expect(p.outcomes[0]).to.deep.equal({ node: 'a', removed: false, message: 'cleanup Job remove-vg-a DeadlineExceeded without a result; volume groups kept' });
  });

  it('has nothing to do when no node was ever prepared', () => {
    expect(planCleanup([{ name: 'a', phase: 'Pending' }], new Set(['a']), [], 5)).to.include({ done: true });
  });

  it('waits for a prepare-vg still running on a node before starting its cleanup Job there', () => {
    const p = planCleanup([prepared('a'), prepared('b')], new Set(['a', 'b']), [], 5, new Set(['a']));
    expect(p.start).to.deep.equal(['b']);
    expect(p.done).to.equal(false);
    expect(p.progress).to.equal('removing volume groups: 0 of 2 nodes done; waiting for prepare-vg to finish on a');
  });
});
