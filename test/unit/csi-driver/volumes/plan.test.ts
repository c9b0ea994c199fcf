import { expect } from 'chai';
import type { LocalVolume, LocalVolumeSpec, LocalVolumeStatus } from '../../../../api/generated/types.js';
import type { LvFacts, VgFacts } from '../../../../csi-driver/node/volumes/lvm-facts.js';
import { COPYING_TAG, VOLUME_FINALIZER, cloneSourceSnapshot, isSettled, needsFreshFacts, ownerTag, planBeforeFacts, planVolume, type DeviceFacts, type VolumePlan } from '../../../../csi-driver/node/volumes/plan.js';

const MIB = 1024 * 1024;
const EXTENT = 4 * MIB;
const UID = 'u-1';
const OWN = ownerTag(UID);
const vg = (over: Partial<VgFacts> = {}): VgFacts => ({ name: 'vg0', tags: ['open-local'], pvCount: 2, free: 1024 * MIB, extentSize: EXTENT, ...over });
const lv = (name: string, over: Partial<LvFacts> = {}): LvFacts => ({ name, vgName: 'vg0', uuid: `uuid-${name}`, size: 100 * MIB, attr: '-wi-a-----', origin: '', tags: ['open-local', OWN], ...over });

function volume(spec: Partial<LocalVolumeSpec>, status?: LocalVolumeStatus, meta: { deleting?: boolean; finalizers?: string[] } = {}): LocalVolume {
  return {
    apiVersion: 'csi.aliyun.com/v1alpha1',
    kind: 'LocalVolume',
    metadata: { name: 'pv-a', uid: UID, generation: 3, finalizers: meta.finalizers ?? [VOLUME_FINALIZER], ...(meta.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { nodeName: 'n1', volumeType: 'LVM', vgName: 'vg0', size: String(100 * MIB), ...spec },
    ...(status ? { status } : {}),
  };
}

function plan(v: LocalVolume, lvs: LvFacts[] = [], vgs: VgFacts[] = [vg()], device?: DeviceFacts): VolumePlan {
  return planVolume(v, { node: 'n1', lvm: { vgs, lvs }, ...(device ? { device } : {}) });
}
const argvs = (p: VolumePlan) => p.actions.map((a) => (a.kind === 'lvm' ? a.argv.join(' ') : a.kind));
const READY = { phase: 'Ready', devicePath: '/dev/vg0/pv-a', lvUUID: 'uuid-pv-a', size: String(100 * MIB), observedGeneration: 3 } as const;

describe('csi-driver/node/volumes/plan', () => {
  describe('LVM volume', () => {
    it('adds the finalizer before anything else', () => {
      expect(argvs(plan(volume({}, undefined, { finalizers: [] })))).to.deep.equal(['addFinalizer']);
    });

    it('creates the LV with the open-local and owner tags, status untouched until it exists', () => {
      const p = plan(volume({}));
      expect(argvs(p)).to.deep.equal([`lvm lvcreate -n pv-a -L ${100 * MIB}b -Wy -y --addtag open-local --addtag ${OWN} vg0`]);
      expect(p.status).to.deep.equal({});
    });

    it('stripes over every PV of the VG for lvmType striping', () => {
      expect(argvs(plan(volume({ lvmType: 'striping' })))[0]).to.equal(`lvm lvcreate -n pv-a -L ${100 * MIB}b -Wy -y -i 2 --addtag open-local --addtag ${OWN} vg0`);
    });

    it('goes Ready with the LV UUID, path and size once the LV exists', () => {
      const p = plan(volume({}), [lv('pv-a')]);
      expect(p.actions).to.deep.equal([]);
      expect(p.status).to.deep.equal(READY);
    });

    it('asks for no action and the same status when already Ready (no write)', () => {
      const p = plan(volume({}, { ...READY }), [lv('pv-a')]);
      expect(p.actions).to.deep.equal([]);
      expect(p.status).to.deep.equal(READY);
    });

    it('refuses a VG that does not exist or lacks the open-local tag', () => {
      const missing = plan(volume({}), [], []);
      expect(missing.status).to.include({ phase: 'Failed', reason: 'VolumeGroupNotFound' });
      expect(missing.status.message).to.match(/vg0.*n1/);
      expect(plan(volume({}), [], [vg({ tags: [] })]).status).to.include({ phase: 'Failed', reason: 'NotOwned' });
    });

    it('fails with the free and needed bytes when the VG has no room (sizes rounded to extents)', () => {
      const p = plan(volume({ size: String(100 * MIB + 1) }), [], [vg({ free: 100 * MIB })]);
      expect(p.actions).to.deep.equal([]);
      expect(p.status).to.include({ phase: 'Failed', reason: 'InsufficientSpace' });
      expect(p.status.message).to.include(`${100 * MIB} bytes`).and.include(`${104 * MIB} bytes`).and.include('node n1');
    });

    it('takes over an LV it created before a crash (owner tag), not one of the same name without it', () => {
      expect(plan(volume({}), [lv('pv-a')]).status).to.include({ phase: 'Ready', lvUUID: 'uuid-pv-a' });
      const foreign = plan(volume({}), [lv('pv-a', { tags: ['open-local'] })]);
      expect(foreign.status).to.include({ phase: 'Failed', reason: 'NotOwned' });
      expect(foreign.actions).to.deep.equal([]);
    });

    it('extends when the wanted size grew, and only the LV with the recorded UUID', () => {
      const v = volume({ size: String(200 * MIB) }, { ...READY });
      expect(argvs(plan(v, [lv('pv-a')]))).to.deep.equal([`lvm lvextend -L ${200 * MIB}b vg0/pv-a`]);
      const other = plan(v, [lv('pv-a', { uuid: 'uuid-other' })]);
      expect(other.actions).to.deep.equal([]);
      expect(other.status).to.include({ phase: 'Failed', reason: 'NotOwned' });
      expect(other.status.message).to.include('uuid-other').and.include('uuid-pv-a');
      expect(plan(volume({ size: String(2000 * MIB) }, { ...READY }), [lv('pv-a')]).status).to.include({ reason: 'InsufficientSpace' });
    });

    it('never recreates an LV that vanished after it was recorded', () => {
      const p = plan(volume({}, { ...READY }), []);
      expect(p.actions).to.deep.equal([]);
      expect(p.status).to.include({ phase: 'Failed', reason: 'LVMissing' });
    });
  });

  describe('snapshot, restore, clone', () => {
    it('takes a read-only snapshot of snapshotOf, then is Ready with the source size', () => {
      const v = volume({ snapshotOf: 'src', size: String(20 * MIB) });
      expect(argvs(plan(v, [lv('src')]))).to.deep.equal([`lvm lvcreate -s -pr -n pv-a -L ${20 * MIB}b --addtag open-local --addtag ${OWN} vg0/src`]);
      expect(plan(v, []).status).to.include({ phase: 'Failed', reason: 'SourceNotFound' });
      const done = plan(v, [lv('src', { tags: [] }), lv('pv-a', { origin: 'src', size: 20 * MIB, attr: 'sri-a-s---' })]);
      expect(done.status).to.include({ phase: 'Ready', lvUUID: 'uuid-pv-a', size: String(100 * MIB) });
      const overflowed = plan(v, [lv('src'), lv('pv-a', { origin: 'src', attr: 'sri-I-s---' })]);
      expect(overflowed.status).to.include({ phase: 'Failed', reason: 'SnapshotInvalid' });
    });

    it('restores as the snapshot LV itself, read-only, owning nothing', () => {
      const v = volume({ source: { snapshot: 'snap-1' }, readOnly: true });
      expect(plan(v, []).status).to.include({ phase: 'Failed', reason: 'SourceNotFound' });
      const ready = plan(v, [lv('src'), lv('snap-1', { origin: 'src', size: 8 * MIB })]);
      expect(ready.actions).to.deep.equal([]);
      expect(ready.status).to.deep.equal({ phase: 'Ready', devicePath: '/dev/vg0/snap-1', size: String(100 * MIB), observedGeneration: 3 });
      expect(plan(volume({ source: { snapshot: 'snap-1' } }), [lv('src'), lv('snap-1', { origin: 'src' })]).status).to.include({ reason: 'InvalidSpec' });
    });

    it('clones: LV tagged as copying, snapshot of the source, copy, untag, drop the snapshot, then Ready', () => {
      const v = volume({ source: { volume: 'src' } });
      const src = lv('src', { tags: ['open-local'] });
      const first = plan(v, [src]);
      expect(argvs(first)).to.deep.equal([`lvm lvcreate -n pv-a -L ${100 * MIB}b -Wy -y --addtag open-local --addtag ${OWN} --addtag ${COPYING_TAG} vg0`]);
      expect(first.status).to.include({ phase: 'Pending', progress: 0 });
      const target = lv('pv-a', { tags: ['open-local', OWN, COPYING_TAG] });
      expect(argvs(plan(v, [src, target]))).to.deep.equal([`lvm lvcreate -s -pr -n ${cloneSourceSnapshot('pv-a')} -L ${32 * MIB}b --addtag open-local --addtag ${OWN} vg0/src`]);
      const temp = lv(cloneSourceSnapshot('pv-a'), { origin: 'src', size: 32 * MIB });
      const copy = plan(v, [src, target, temp]);
      expect(copy.actions).to.deep.equal([
        { kind: 'copy', from: '/dev/vg0/pv-a.clonesrc', to: '/dev/vg0/pv-a', bytes: 100 * MIB },
        { kind: 'lvm', argv: ['lvm', 'lvchange', '--deltag', COPYING_TAG, 'vg0/pv-a'], why: 'copy complete' },
      ]);
      expect(copy.status).to.include({ phase: 'Pending', lvUUID: 'uuid-pv-a' });
      const cleanup = plan(v, [src, lv('pv-a'), temp]);
      expect(argvs(cleanup)).to.deep.equal([`lvm lvremove --yes --select lv_uuid=uuid-pv-a.clonesrc`]);
      expect(cleanup.status.phase).to.not.equal('Ready');
      expect(plan(v, [src, lv('pv-a')]).status).to.include({ phase: 'Ready', progress: 100 });
    });

    it('never reports a clone Ready while it is copying, and restarts the copy from a fresh snapshot after an overflow', () => {
      const v = volume({ source: { volume: 'src' } }, { phase: 'Pending', progress: 40, lvUUID: 'uuid-pv-a' });
      const target = lv('pv-a', { tags: ['open-local', OWN, COPYING_TAG] });
      const broken = plan(v, [lv('src'), target, lv(cloneSourceSnapshot('pv-a'), { origin: 'src', attr: 'sri-I-s---' })]);
      expect(argvs(broken)).to.deep.equal([`lvm lvremove --yes --select lv_uuid=uuid-pv-a.clonesrc`]);
      expect(broken.status).to.include({ phase: 'Pending', progress: 40 });
      expect(plan(v, [target]).status).to.include({ phase: 'Failed', reason: 'SourceNotFound' });
    });

    it('refuses a clone smaller than its source', () => {
      expect(plan(volume({ source: { volume: 'src' }, size: String(50 * MIB) }), [lv('src')]).status).to.include({ phase: 'Failed', reason: 'InvalidSpec' });
    });
  });

  describe('adopt (Open-Local v0.7 LVs)', () => {
    it('records the existing LV even in a VG without the open-local tag, never creates it', () => {
      const v = volume({ adopt: true, vgName: 'yoda' }, undefined);
      const legacy = { vgName: 'yoda', tags: [] };
      const p = plan(v, [lv('pv-a', legacy)], [vg({ name: 'yoda', tags: [] })]);
      expect(p.status).to.include({ phase: 'Ready', lvUUID: 'uuid-pv-a', devicePath: '/dev/yoda/pv-a' });
      const missing = plan(v, [], [vg({ name: 'yoda', tags: [] })]);
      expect(missing.actions).to.deep.equal([]);
      expect(missing.status).to.include({ phase: 'Failed', reason: 'NotFound' });
    });
  });

  describe('delete', () => {
    const gone = (v: LocalVolume, lvs: LvFacts[]) => plan({ ...v, metadata: { ...v.metadata, deletionTimestamp: 'now' } }, lvs);

    it('removes the LV by its UUID, then the finalizer; only the finalizer once the LV is gone', () => {
      const v = volume({}, { ...READY });
      const p = gone(v, [lv('pv-a')]);
      expect(argvs(p)).to.deep.equal(['lvm lvremove --yes --select lv_uuid=uuid-pv-a', 'removeFinalizer']);
      expect(p.status).to.include({ phase: 'Deleting' });
      expect(argvs(gone(v, []))).to.deep.equal(['removeFinalizer']);
    });

    it('never removes another LV that took the name: Failed naming both UUIDs, finalizer kept', () => {
      const p = gone(volume({}, { ...READY }), [lv('pv-a', { uuid: 'uuid-new' })]);
      expect(p.actions).to.deep.equal([]);
      expect(p.status).to.include({ phase: 'Failed', reason: 'NotOwned' });
      expect(p.status.message).to.include('uuid-new').and.include('uuid-pv-a');
    });

    it('refuses an LV that has snapshots, naming them, phase unchanged', () => {
      const p = gone(volume({}, { ...READY }), [lv('pv-a'), lv('snap-2', { origin: 'pv-a' }), lv('snap-1', { origin: 'pv-a' })]);
      expect(p.actions).to.deep.equal([]);
      expect(p.status).to.include({ phase: 'Ready', reason: 'HasSnapshots' });
      expect(p.status.message).to.include('snap-1, snap-2');
    });

    it('removes an LV created before a crash by its owner tag; leaves a foreign one of that name', () => {
      expect(argvs(gone(volume({}), [lv('pv-a')]))).to.deep.equal(['lvm lvremove --yes --select lv_uuid=uuid-pv-a', 'removeFinalizer']);
      expect(argvs(gone(volume({}), [lv('pv-a', { tags: [] })]))).to.deep.equal(['removeFinalizer']);
    });

    it('removes a clone source snapshot first, owns nothing for a restore, and waits for nothing without finalizer', () => {
      expect(argvs(gone(volume({ source: { volume: 'src' } }, { ...READY }), [lv('pv-a'), lv(cloneSourceSnapshot('pv-a'), { origin: 'src' })]))).to.deep.equal([
        'lvm lvremove --yes --select lv_uuid=uuid-pv-a.clonesrc',
      ]);
      expect(argvs(gone(volume({ source: { snapshot: 'snap-1' }, readOnly: true }), [lv('snap-1', { origin: 'src' })]))).to.deep.equal(['removeFinalizer']);
      expect(argvs(plan(volume({}, undefined, { deleting: true, finalizers: [] }), [lv('pv-a')]))).to.deep.equal([]);
    });
  });

  describe('Device and MountPoint', () => {
    const dev = (status?: LocalVolumeStatus, deleting = false) => volume({ volumeType: 'Device', device: '/dev/sdb', vgName: undefined, size: undefined }, status, { deleting });
    const mp = (status?: LocalVolumeStatus, deleting = false) => volume({ volumeType: 'MountPoint', device: '/mnt/disk1', vgName: undefined, size: undefined }, status, { deleting });
    const at = (identity: string | undefined, problem?: string): DeviceFacts => ({ identity, ...(problem ? { problem } : {}) });

    it('records the identity and goes Ready with the device path', () => {
      expect(plan(dev(), [], [], at('WWN 0x5000')).status).to.deep.equal({ phase: 'Ready', devicePath: '/dev/sdb', deviceIdentity: 'WWN 0x5000', observedGeneration: 3 });
      expect(plan(mp(), [], [], at('fs UUID 1-2')).status).to.include({ phase: 'Ready', devicePath: '/mnt/disk1' });
      expect(plan(dev(), [], [], at(undefined, 'no WWN, serial or by-id name')).status).to.include({ phase: 'Failed', reason: 'DeviceNotFound', message: 'device /dev/sdb on node n1: no WWN, serial or by-id name' });
    });

    it('wipes on delete only the recorded device, then drops the finalizer', () => {
      const ready = { phase: 'Ready', devicePath: '/dev/sdb', deviceIdentity: 'WWN 0x5000' } as const;
      expect(argvs(plan(dev(ready, true), [], [], at('WWN 0x5000')))).to.deep.equal(['wipeDevice', 'removeFinalizer']);
      expect(plan(mp({ ...ready, deviceIdentity: 'fs UUID 1' }, true), [], [], at('fs UUID 1')).actions[0]).to.deep.equal({ kind: 'clearDirectory', directory: '/mnt/disk1' });
      const swapped = plan(dev(ready, true), [], [], at('WWN 0x6000'));
      expect(swapped.actions).to.deep.equal([]);
      expect(swapped.status).to.include({ phase: 'Failed', reason: 'IdentityMismatch' });
      expect(swapped.status.message).to.include('WWN 0x6000').and.include('WWN 0x5000');
      expect(argvs(plan(dev(ready, true), [], [], at(undefined)))).to.deep.equal(['removeFinalizer']);
      expect(argvs(plan(dev(undefined, true), [], [], at('WWN 0x5000')))).to.deep.equal(['removeFinalizer']);
    });

    it('refuses to keep serving a device that changed identity', () => {
      expect(plan(dev({ phase: 'Ready', deviceIdentity: 'WWN 0x5000' }), [], [], at('WWN 0x6000')).status).to.include({ phase: 'Failed', reason: 'IdentityMismatch' });
    });
  });

  describe('which facts a plan may be made from', () => {
    const creates = (p: VolumePlan) => p.actions.map((a) => (a.kind === 'lvm' ? a.creates : undefined));

    it('names the plain LV a create or a clone makes, with its tags; not a snapshot', () => {
      expect(creates(plan(volume({})))).to.deep.equal([{ vg: 'vg0', name: 'pv-a', tags: ['open-local', OWN] }]);
      expect(creates(plan(volume({ source: { volume: 'src' } }), [lv('src')]))).to.deep.equal([{ vg: 'vg0', name: 'pv-a', tags: ['open-local', OWN, COPYING_TAG] }]);
      expect(creates(plan(volume({ snapshotOf: 'src', size: String(20 * MIB) }), [lv('src')]))).to.deep.equal([undefined]);
    });

    it('lets kept facts decide only a create, the finalizer and a Ready verdict', () => {
      expect(needsFreshFacts(plan(volume({})))).to.equal(false);
      expect(needsFreshFacts(plan(volume({}, undefined, { finalizers: [] })))).to.equal(false);
      expect(needsFreshFacts(plan(volume({}), [lv('pv-a')]))).to.equal(false);
    });

    it('asks for facts read now before a removal, a resize, a snapshot, a release of the finalizer or any failure', () => {
      const deleting = volume({}, { ...READY }, { deleting: true });
      expect(argvs(plan(deleting, [lv('pv-a')]))[0]).to.match(/^lvm lvremove/);
      expect(needsFreshFacts(plan(deleting, [lv('pv-a')]))).to.equal(true);
      // An LV missing from kept facts must not release the finalizer: it may exist after all.
      expect(argvs(plan(deleting, []))).to.deep.equal(['removeFinalizer']);
      expect(needsFreshFacts(plan(deleting, []))).to.equal(true);
      expect(needsFreshFacts(plan(volume({ size: String(200 * MIB) }, { ...READY }), [lv('pv-a')]))).to.equal(true);
      expect(needsFreshFacts(plan(volume({ snapshotOf: 'src', size: String(20 * MIB) }), [lv('src')]))).to.equal(true);
      expect(needsFreshFacts(plan(volume({}), [], []))).to.equal(true);
      expect(needsFreshFacts(plan(volume({}, { ...READY }), []))).to.equal(true);
    });

    it('plans the finalizer and a released deletion without reading the node', () => {
      expect(planBeforeFacts(volume({}, undefined, { finalizers: [] }))?.actions).to.deep.equal([{ kind: 'addFinalizer' }]);
      expect(planBeforeFacts(volume({}, { ...READY }, { deleting: true, finalizers: [] }))).to.deep.equal({ status: READY, actions: [] });
      expect(planBeforeFacts(volume({}))).to.equal(undefined);
      expect(planBeforeFacts(volume({}, undefined, { deleting: true }))).to.equal(undefined);
    });

    it('settles a volume that is Ready, or deleting and released by us', () => {
      const ready = volume({}, { ...READY });
      expect(isSettled(ready, plan(ready, [lv('pv-a')]))).to.equal(true);
      const waiting = volume({}, { ...READY }, { deleting: true });
      const snapshotted = plan(waiting, [lv('pv-a'), lv('snap', { origin: 'pv-a' })]);
      expect(snapshotted.status).to.include({ reason: 'HasSnapshots' });
      expect(isSettled(waiting, snapshotted)).to.equal(false);
      const released = volume({}, { ...READY }, { deleting: true, finalizers: ['other'] });
      expect(isSettled(released, plan(released))).to.equal(true);
      const full = volume({}, undefined);
      expect(isSettled(full, plan(full, [], [vg({ free: 0 })]))).to.equal(false);
    });
  });
});
