// Which LocalVolumes are orphans (their claim deleted before a PV was made) and may be deleted: only what provably
// never backed a PV. Every "no" here is a volume that might hold someone's data.
import { expect } from 'chai';
import type { LocalVolume } from '../../../../api/generated/types.js';
import { orphanedVolumes, type OrphanFacts } from '../../../../csi-driver/controller/orphans.js';

const UID = '0f6b2c7e-1a2b-4c3d-8e9f-001122334455';
const NEW_UID = '9a8b7c6d-5e4f-4a3b-9c2d-ffeeddccbbaa';
const NOW = Date.parse('2026-11-30T12:00:00Z');
const LONG_AGO = '2026-11-30T11:00:00Z';

function volume(over: { name?: string; claim?: string | null; created?: string; status?: LocalVolume['status']; snapshotOf?: string; deleting?: boolean; csiName?: string } = {}): LocalVolume {
  const name = over.name ?? `local-${UID}`;
  const annotations: Record<string, string> = { 'csi.aliyun.com/csi-name': over.csiName ?? name };
  if (over.claim !== null) annotations['csi.aliyun.com/pvc'] = over.claim ?? 'apps/data';
  return {
    metadata: { name, annotations, creationTimestamp: over.created ?? LONG_AGO, ...(over.deleting ? { deletionTimestamp: LONG_AGO } : {}) },
    spec: { nodeName: 'node-a', volumeType: 'Device', device: '/dev/vdc', size: '1073741824', ...(over.snapshotOf ? { snapshotOf: over.snapshotOf } : {}) },
    ...(over.status ? { status: over.status } : {}),
  };
}

function orphans(volumes: LocalVolume[], facts: Partial<OrphanFacts> = {}): string[] {
  return orphanedVolumes({ localVolumes: volumes, pvHandles: new Set(), claimUid: () => undefined, now: NOW, graceMs: 10 * 60_000, ...facts }).map((o) => `${o.volume.metadata?.name ?? ''}: ${o.why}`);
}

describe('orphaned volumes (claim deleted before its PV was made)', () => {
  it('a volume still Pending, or Failed before its node made anything, whose claim is gone', () => {
    expect(orphans([volume({ status: { phase: 'Pending' } })])).to.deep.equal([`local-${UID}: claim apps/data was deleted before a PV was made for this volume`]);
    expect(orphans([volume()])).to.have.length(1);
    expect(orphans([volume({ status: { phase: 'Failed', reason: 'DeviceNotFound' } })])).to.have.length(1);
  });

  it('a volume whose claim of that name is a new claim (another UID)', () => {
    expect(orphans([volume({ status: { phase: 'Pending' } })], { claimUid: () => NEW_UID })).to.deep.equal([
      `local-${UID}: claim apps/data is a new claim (UID ${NEW_UID}); this volume was made for UID ${UID}, which was deleted before a PV was made`,
    ]);
  });

  it('never a volume whose claim is the one it was made for, or whose name does not say which claim that was', () => {
    expect(orphans([volume({ status: { phase: 'Pending' } })], { claimUid: () => UID })).to.deep.equal([]);
    expect(orphans([volume({ name: 'my-volume', status: { phase: 'Pending' } })], { claimUid: () => NEW_UID })).to.deep.equal([]);
  });

  it('never a volume that was Ready once: Ready, resizing, or Failed after its node recorded its LV or disk (a Retain volume whose PV an admin deleted)', () => {
    expect(orphans([volume({ status: { phase: 'Ready', deviceIdentity: 'wwn-1' } })])).to.deep.equal([]);
    expect(orphans([volume({ status: { phase: 'Resizing', lvUUID: 'u' } })])).to.deep.equal([]);
    expect(orphans([volume({ status: { phase: 'Failed', reason: 'IdentityMismatch', deviceIdentity: 'wwn-1' } })])).to.deep.equal([]);
    expect(orphans([volume({ status: { phase: 'Failed', reason: 'LVMissing', lvUUID: 'u' } })])).to.deep.equal([]);
  });

  it('never a volume a PV points at, whatever the PV is called', () => {
    expect(orphans([volume({ status: { phase: 'Pending' } })], { pvHandles: new Set([`local-${UID}`]) })).to.deep.equal([]);
  });

  it('never within the grace period, nor without a creation time', () => {
    expect(orphans([volume({ created: '2026-11-30T11:55:00Z' })])).to.deep.equal([]);
    expect(orphans([volume({ created: 'not a time' })])).to.deep.equal([]);
    expect(orphans([volume({ created: '2026-11-30T11:49:59Z' })])).to.have.length(1);
  });

  it('never a snapshot, a volume made without a claim (csi-sanity, other COs), or one already being deleted', () => {
    expect(orphans([volume({ snapshotOf: 'local-x' })])).to.deep.equal([]);
    expect(orphans([volume({ claim: null })])).to.deep.equal([]);
    expect(orphans([volume({ deleting: true })])).to.deep.equal([]);
  });
});
