import { expect } from 'chai';
import type { NodeStatus } from '../../../api/generated/types.js';
import type { NodeFacts } from '../../../operator/nodes/plan.js';
import { unreachableNodes } from '../../../operator/nodes/unreachable.js';
import { computeStatus, type Observation } from '../../../operator/status/conditions.js';
import { byNode } from '../../fixtures/node-statuses.js';

const fact = (name: string, ready?: NodeFacts['ready']): NodeFacts => ({ name, labels: {}, deleting: false, markedReady: true, ...(ready ? { ready } : {}) });
const status = (name: string, phase: NodeStatus['phase']): NodeStatus => ({ name, phase });

describe('operator/nodes/unreachable', () => {
  it('lists prepared nodes whose Node went NotReady or Unknown, by name, with the Ready status', () => {
    const nodes = [fact('c', 'Unknown'), fact('a', 'True'), fact('b', 'False'), fact('d')];
    const statuses = [status('a', 'Ready'), status('b', 'Ready'), status('c', 'Ready'), status('d', 'Ready')];
    expect(unreachableNodes(nodes, byNode(statuses))).to.deep.equal(['b (Ready=False)', 'c (Ready=Unknown)']);
  });

  it('leaves out nodes not prepared yet (NodesPrepared names those)', () => {
    expect(unreachableNodes([fact('a', 'Unknown'), fact('b', 'False')], byNode([status('a', 'Pending'), status('b', 'Failed')]))).to.deep.equal([]);
  });

  it('makes the cluster Degraded and not Ready, naming the node (a powered-off storage node is not "Ready")', () => {
    const o: Observation = {
      generation: 1, deleting: false, specErrors: [], applyErrors: [], components: [{ name: 'x', ready: true }], extenderEnabled: false, storageWarnings: [],
      nodes: [status('dev-node-0', 'Ready'), status('dev-node-1', 'Ready')],
      unreachableNodes: unreachableNodes([fact('dev-node-0', 'True'), fact('dev-node-1', 'Unknown')], byNode([status('dev-node-0', 'Ready'), status('dev-node-1', 'Ready')])),
    };
    const s = computeStatus(o, undefined, new Date('2026-11-29T12:00:00Z'));
    expect(s.phase).to.equal('Degraded');
    const degraded = s.conditions?.find((c) => c.type === 'Degraded');
    expect(degraded).to.include({ status: 'True', reason: 'NodeNotReady' });
    expect(degraded?.message).to.equal('dev-node-1 (Ready=Unknown) not Ready: volumes there cannot be used until the node is back');
    expect(s.conditions?.find((c) => c.type === 'Ready')).to.include({ status: 'False', reason: 'NodeNotReady' });
    expect(computeStatus({ ...o, unreachableNodes: [] }, undefined, new Date()).phase).to.equal('Ready');
  });
});
