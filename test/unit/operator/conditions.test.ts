import { expect } from 'chai';
import type { ComponentStatus, NodeStatus } from '../../../api/generated/types.js';
import { transitionEvents } from '../../../operator/events.js';
import { computeStatus, type Observation } from '../../../operator/status/conditions.js';

const now = new Date('2026-11-23T12:00:00Z');
const readyNode = (name: string): NodeStatus => ({ name, phase: 'Ready' });
const up = (name: string): ComponentStatus => ({ name, ready: true });
const base: Observation = { generation: 3, deleting: false, specErrors: [], applyErrors: [], nodes: [readyNode('a'), readyNode('b')], components: [up('x'), up('y')], extenderEnabled: true, storageWarnings: [] };
const get = (o: Observation, type: string) => computeStatus(o, undefined, now).conditions?.find((c) => c.type === type);

describe('operator/status/conditions', () => {
  const table: [string, Partial<Observation>, string, string, string][] = [
    ['all nodes and components ready', {}, 'Ready', 'True', 'Ready'],
    ['one node failed (not "Ready if any node is")', { nodes: [readyNode('a'), { name: 'b', phase: 'Failed', reason: 'DeviceRefused', message: 'ext4' }] }, 'Degraded', 'False', 'DeviceRefused'],
    ['a node still preparing', { nodes: [readyNode('a'), { name: 'b', phase: 'Preparing' }] }, 'Progressing', 'False', 'Preparing'],
    ['no eligible node', { nodes: [] }, 'Pending', 'False', 'NoEligibleNodes'],
    ['a component unavailable', { components: [up('x'), { name: 'y', ready: false, message: '0/1 available' }] }, 'Progressing', 'False', 'ComponentsUnavailable'],
    ['an apply failed', { applyErrors: ['VolumeSnapshotClass/x: not served'] }, 'Degraded', 'False', 'ApplyFailed'],
    ['an unusable spec', { specErrors: ['spec.x: bad'] }, 'Degraded', 'False', 'InvalidSpec'],
    ['a duplicate', { duplicateOf: 'first' }, 'Degraded', 'False', 'Duplicate'],
    ['deletion', { deleting: true }, 'Deleting', 'False', 'Deleting'],
  ];
  for (const [name, over, phase, ready, reason] of table) {
    it(`${name} → phase ${phase}, Ready=${ready} (${reason})`, () => {
      const o = { ...base, ...over };
      const s = computeStatus(o, undefined, now);
      expect(s.phase).to.equal(phase);
      expect(get(o, 'Ready')).to.include({ status: ready, reason });
    });
  }

  it('names the failing nodes and what went wrong in the message', () => {
    const o = { ...base, nodes: [readyNode('a'), { name: 'b', phase: 'Failed' as const, reason: 'DeviceRefused', message: '/dev/vdb has ext4' }] };
    expect(get(o, 'NodesPrepared')?.message).to.equal('1 of 2 nodes failed: b (/dev/vdb has ext4)');
  });

  it('reports the extender configuration as Unknown (not verifiable), or True when disabled', () => {
    expect(get(base, 'SchedulerExtenderConfigured')).to.include({ status: 'Unknown', reason: 'NotVerified' });
    expect(get({ ...base, extenderEnabled: false }, 'SchedulerExtenderConfigured')).to.include({ status: 'True', reason: 'ExtenderDisabled' });
  });

  it('keeps lastTransitionTime while a status holds, so a steady cluster yields an identical status', () => {
    const first = computeStatus(base, undefined, now);
    const second = computeStatus(base, first, new Date(now.getTime() + 60_000));
    expect(second).to.deep.equal(first);
    const changed = computeStatus({ ...base, applyErrors: ['x'] }, first, new Date(now.getTime() + 60_000));
    expect(changed.conditions?.find((c) => c.type === 'Degraded')?.lastTransitionTime).to.equal(new Date(now.getTime() + 60_000).toISOString());
    expect(changed.conditions?.find((c) => c.type === 'NodesPrepared')?.lastTransitionTime).to.equal(now.toISOString());
  });

  it('stamps observedGeneration on the status and on every condition, and counts nodes', () => {
    const s = computeStatus(base, undefined, now);
    expect(s.observedGeneration).to.equal(3);
    expect(s.conditions?.every((c) => c.observedGeneration === 3)).to.equal(true);
    expect(s.nodeCounts).to.deep.equal({ total: 2, ready: 2, failed: 0, preparing: 0, pending: 0 });
  });

  it('reports a forced kernel device name as StorageConfigWarnings, a Warning event on transition, never Degraded', () => {
    const warned = { ...base, storageWarnings: [{ field: 'spec.storage.globalConfig.resourceToBeInited.vgs[0].forceDevices[0]', message: 'spec.storage.globalConfig.resourceToBeInited.vgs[0].forceDevices[0]: /dev/sdb is forced by its kernel name' }] };
    const s = computeStatus(warned, undefined, now);
    expect(s.phase).to.equal('Ready');
    expect(get(warned, 'Degraded')).to.include({ status: 'False' });
    expect(get(warned, 'StorageConfigWarnings')).to.include({ status: 'True', reason: 'KernelDeviceNameForced' });
    expect(get(warned, 'StorageConfigWarnings')?.message).to.include('forceDevices[0]: /dev/sdb');
    expect(get(base, 'StorageConfigWarnings')).to.include({ status: 'False', reason: 'NoWarnings' });

    const quiet = computeStatus(base, undefined, now);
    const events = transitionEvents(quiet.conditions, s.conditions ?? [], quiet.phase, s.phase ?? '');
    expect(events).to.deep.equal([{ type: 'Warning', reason: 'KernelDeviceNameForced', message: `StorageConfigWarnings=True: ${get(warned, 'StorageConfigWarnings')?.message ?? ''}` }]);
    expect(transitionEvents(s.conditions, computeStatus(warned, s, new Date(now.getTime() + 60_000)).conditions ?? [], s.phase, s.phase ?? '')).to.deep.equal([]);
    expect(transitionEvents(s.conditions, quiet.conditions ?? [], s.phase, quiet.phase ?? '')).to.deep.equal([{ type: 'Normal', reason: 'NoWarnings', message: 'StorageConfigWarnings=False: every forced device is named by a stable name' }]);
  });
});
