import { expect } from 'chai';
import type { ComponentStatus, NodeStatus } from '../../../api/generated/types.js';
import { computeStatus, type Observation } from '../../../operator/status/conditions.js';

const now = new Date('2026-11-29T08:00:00Z');
const readyNode = (name: string): NodeStatus => ({ name, phase: 'Ready' });
const up = (name: string): ComponentStatus => ({ name, ready: true });
const base: Observation = { generation: 2, deleting: false, specErrors: [], applyErrors: [], nodes: [readyNode('a')], components: [up('x')], extenderEnabled: false, storageWarnings: [] };
const conditions = (o: Partial<Observation>) => computeStatus({ ...base, ...o }, undefined, now).conditions ?? [];
const get = (o: Partial<Observation>, type: string) => conditions(o).find((c) => c.type === type);

describe('operator/status/conditions: adoption, refused changes, volumes', () => {
  it('adds no adoption or volume condition while nothing calls for one', () => {
    expect(conditions({}).map((c) => c.type)).to.not.include.members(['AdoptionRequired', 'NodeRemovalBlocked', 'DeletionBlocked']);
  });

  it('a same-name object open-local did not create: AdoptionRequired=True (ObjectExists), Degraded, not Ready', () => {
    const o = { adoptionRequired: ['StorageClass/open-local-lvm exists and was not created by open-local; ...'] };
    expect(get(o, 'AdoptionRequired')).to.include({ status: 'True', reason: 'ObjectExists' });
    expect(get(o, 'AdoptionRequired')?.message).to.include('StorageClass/open-local-lvm');
    expect(get(o, 'Degraded')).to.include({ status: 'True', reason: 'AdoptionRequired' });
    expect(get(o, 'Ready')).to.include({ status: 'False', reason: 'AdoptionRequired' });
    expect(computeStatus({ ...base, ...o }, undefined, now).phase).to.equal('Degraded');
  });

  it('a change the API server refuses (immutable field): Degraded (ChangeRefused) naming the object', () => {
    const o = { invalidApplies: ['StorageClass/open-local-lvm: the API server refuses the change (parameters: Forbidden)'] };
    expect(get(o, 'Degraded')).to.include({ status: 'True', reason: 'ChangeRefused' });
    expect(get(o, 'Degraded')?.message).to.include('StorageClass/open-local-lvm').and.include('parameters');
  });

  it('nodes held by volumes: NodeRemovalBlocked=True (VolumesExist) naming them, without degrading the cluster', () => {
    const o = { heldNodes: 'node-a (local-1)' };
    expect(get(o, 'NodeRemovalBlocked')).to.include({ status: 'True', reason: 'VolumesExist' });
    expect(get(o, 'NodeRemovalBlocked')?.message).to.include('node-a (local-1)').and.include('PersistentVolumeClaims');
    expect(get(o, 'Degraded')?.status).to.equal('False');
  });

  it('deletion waiting for volumes: DeletionBlocked=True (VolumesExist) with the message, phase Deleting', () => {
    const o = { deleting: true, deletionBlocked: '2 open-local volumes still exist on node-a: ...' };
    expect(get(o, 'DeletionBlocked')).to.include({ status: 'True', reason: 'VolumesExist', message: '2 open-local volumes still exist on node-a: ...' });
    expect(computeStatus({ ...base, ...o }, undefined, now).phase).to.equal('Deleting');
  });

  it('keeps lastTransitionTime while the condition stays (a steady status costs no write)', () => {
    const o = { ...base, adoptionRequired: ['x'] };
    const first = computeStatus(o, undefined, now);
    const again = computeStatus(o, first, new Date('2026-11-29T09:00:00Z'));
    expect(again).to.deep.equal(first);
  });
});
