import { expect } from 'chai';
import type { ResourceToBeInited } from '../../../api/generated/types.js';
import type { VgReport } from '../../../node-agent/lvm/report.js';
import type { BlockTree, Signature } from '../../../node-agent/prepare-vg/block-tools.js';
import type { DeviceFacts, MountedAt, NodeFacts } from '../../../node-agent/prepare-vg/inspect.js';
import { mountPointFsUuid } from '../../../node-agent/prepare-vg/fs-uuid.js';
import type { HostRecord } from '../../../node-agent/prepare-vg/host-records.js';
import { planPrepare, type MountAction, type VgAction } from '../../../node-agent/prepare-vg/plan.js';

const tree = (name: string, over: Partial<BlockTree> = {}): BlockTree => ({ name, type: 'disk', readOnly: false, partitions: [], holders: [], mounts: [], ...over });
const sig = (type: string, label?: string, uuid?: string): Signature => ({ type, label, ...(uuid ? { uuid } : {}), offset: '0x0' });
const D1 = '/mnt/open-local/d1';
/** The UUID of mount point D1's filesystem. */
const D1_UUID = mountPointFsUuid(D1);
/** A free disk; `path` differs from `requested` for a symlink. */
type DevOver = Partial<Omit<DeviceFacts, 'tree'>> & { tree?: Partial<BlockTree> };
const dev = (requested: string, over: DevOver = {}, path = requested): DeviceFacts => {
  const { tree: t, ...rest } = over;
  return { requested, path, tree: tree(path, t), signatures: [], pvOf: undefined, ...rest };
};
const vg = (name: string, tags: string[] = ['open-local']): VgReport => ({ name, uuid: `uuid-${name}`, size: 1000, free: 1000, tags, attr: 'wz--n-', pvCount: 1, seqno: 1 });
const pv = (path: string, vgName: string) => ({ name: path, vgName, size: 100, free: 100, tags: [], attr: 'a--', path });

type NodePv = NodeFacts['pvs'][number];
/** Mount point D1's filesystem is on no disk unless `d1On` says where. */
function facts(devices: DeviceFacts[], more: { vgs?: VgReport[]; pvs?: NodePv[]; mountedAt?: [string, MountedAt][]; d1On?: string[]; hostRecords?: [string, HostRecord][] } = {}): NodeFacts {
  return {
    devices: new Map(devices.map((d) => [d.requested, d])),
    vgs: more.vgs ?? [],
    pvs: more.pvs ?? [],
    mountedAt: new Map(more.mountedAt ?? []),
    mountFs: new Map([[D1, { uuid: D1_UUID, on: more.d1On ?? [] }]]),
    hostRecords: new Map(more.hostRecords ?? []),
  };
}

/** "create /dev/a,/dev/b wipe /dev/c" | "ready" | "ready: <message>" | "refuse: <message>" */
function summary(a: VgAction | MountAction): string {
  switch (a.kind) {
    case 'ready':
      return 'message' in a && a.message !== undefined ? `ready: ${a.message}` : 'ready';
    case 'refuse':
      return `refuse: ${a.message}`;
    case 'mount':
      return `mount ${a.device} ${a.fsType}${a.format ? ' format' : ''}${a.wipe ? ` wipe ${[...a.wipe.partitions, a.wipe.device].join(',')}` : ''}${a.options.length ? ` -o ${a.options.join(',')}` : ''}`;
    default:
      return `${a.kind} ${a.add.join(',')}${a.wipe.length ? ` wipe ${a.wipe.map((w) => [...w.partitions, w.device].join(',')).join(' ')}` : ''}`;
  }
}

const vgConfig = (devices: string[], forceDevices?: string[], name = 'pool0'): ResourceToBeInited => ({ vgs: [{ name, devices: devices, ...(forceDevices ? { forceDevices } : {}) }] });

describe('node-agent/prepare-vg/plan', () => {
  describe('volume groups', () => {
    const table: [string, ResourceToBeInited, NodeFacts, string | RegExp][] = [
      ['creates a VG over free disks', vgConfig(['/dev/sdb', '/dev/sdc']), facts([dev('/dev/sdb'), dev('/dev/sdc')]), 'create /dev/sdb,/dev/sdc'],
      ['uses the resolved path of a /dev/disk/by-id symlink', vgConfig(['/dev/disk/by-id/wwn-1']), facts([dev('/dev/disk/by-id/wwn-1', {}, '/dev/sdb')]), 'create /dev/sdb'],
      ['is Ready when every device already is a PV of its own (tagged) VG', vgConfig(['/dev/disk/by-id/wwn-1', '/dev/sdc']),
        facts([dev('/dev/disk/by-id/wwn-1', { signatures: [sig('LVM2_member')], pvOf: 'pool0', tree: { holders: ['/dev/mapper/pool0-local--x'] } }, '/dev/sdb'), dev('/dev/sdc', { signatures: [sig('LVM2_member')], pvOf: 'pool0' })],
          { vgs: [vg('pool0')], pvs: [pv('/dev/sdb', 'pool0'), pv('/dev/sdc', 'pool0')] }), 'ready'],
      ['extends its VG with a newly listed free device', vgConfig(['/dev/sdb', '/dev/sdc']),
        facts([dev('/dev/sdb', { signatures: [sig('LVM2_member')], pvOf: 'pool0' }), dev('/dev/sdc')], { vgs: [vg('pool0')], pvs: [pv('/dev/sdb', 'pool0')] }), 'extend /dev/sdc'],
      ['refuses a VG of that name without the open-local tag, even to extend it with a free disk', vgConfig(['/dev/sdb', '/dev/sdc']),
        facts([dev('/dev/sdb', { signatures: [sig('LVM2_member')], pvOf: 'pool0' }), dev('/dev/sdc')], { vgs: [vg('pool0', [])], pvs: [pv('/dev/sdb', 'pool0')] }),
        'refuse: volume group pool0 exists but was not created by open-local (no "open-local" tag) and /dev/sdc is not one of its physical volumes; it is left untouched. To let open-local extend it, run `vgchange --addtag open-local pool0` on the node'],
      ['COMPAT uses an untagged (Open-Local) VG as is when every listed device already is one of its PVs', vgConfig(['/dev/sdb', '/dev/sdc']),
        facts([dev('/dev/sdb', { signatures: [sig('LVM2_member')], pvOf: 'pool0', tree: { holders: ['/dev/mapper/pool0-pv--1'] } }), dev('/dev/sdc', { signatures: [sig('LVM2_member')], pvOf: 'pool0' })],
          { vgs: [vg('pool0', [])], pvs: [pv('/dev/sdb', 'pool0'), pv('/dev/sdc', 'pool0')] }),
        'ready: existing volume group used as is; it is not tagged open-local, so open-local will never extend or remove it (run `vgchange --addtag open-local pool0` to let it)'],
      ['COMPAT matches an untagged VG\'s PVs by resolved path (/dev/disk/by-id) and ignores its PVs the config does not list', vgConfig(['/dev/disk/by-id/wwn-1']),
        facts([dev('/dev/disk/by-id/wwn-1', { signatures: [sig('LVM2_member')], pvOf: 'pool0' }, '/dev/sdb')], { vgs: [vg('pool0', ['other-tag'])], pvs: [pv('/dev/sdb', 'pool0'), pv('/dev/sdd', 'pool0')] }),
        /^ready: existing volume group used as is; it is not tagged open-local/],
      ['COMPAT DECISION: never wipes for an untagged VG, even a forced free-looking device it lacks', vgConfig(['/dev/sdb', '/dev/sdc'], ['/dev/sdc']),
        facts([dev('/dev/sdb', { signatures: [sig('LVM2_member')], pvOf: 'pool0' }), dev('/dev/sdc', { signatures: [sig('ext4')] })], { vgs: [vg('pool0', [])], pvs: [pv('/dev/sdb', 'pool0')] }),
        /^refuse: volume group pool0 exists but was not created by open-local \(no "open-local" tag\) and \/dev\/sdc is not one/],
      ['COMPAT refuses an untagged VG whose listed device is gone, naming it', vgConfig(['/dev/sdb', '/dev/disk/by-id/gone']),
        facts([dev('/dev/sdb', { signatures: [sig('LVM2_member')], pvOf: 'pool0' }), { requested: '/dev/disk/by-id/gone', path: undefined, tree: undefined, signatures: [], pvOf: undefined }],
          { vgs: [vg('pool0', [])], pvs: [pv('/dev/sdb', 'pool0')] }),
        /and \/dev\/disk\/by-id\/gone is not one of its physical volumes; it is left untouched/],
      ['COMPAT names every missing device of an untagged VG', vgConfig(['/dev/sdb', '/dev/disk/by-id/wwn-3', '/dev/sdd']),
        facts([dev('/dev/sdb', { pvOf: 'pool0' }), dev('/dev/disk/by-id/wwn-3', {}, '/dev/sdc'), dev('/dev/sdd')], { vgs: [vg('pool0', [])], pvs: [pv('/dev/sdb', 'pool0')] }),
        /and \/dev\/disk\/by-id\/wwn-3 \(\/dev\/sdc\), \/dev\/sdd are not among its physical volumes/],
      ['refuses a disk holding a filesystem, pointing at forceDevices', vgConfig(['/dev/sdb']), facts([dev('/dev/sdb', { signatures: [sig('ext4', 'data')] })]),
        'refuse: /dev/sdb has a ext4 signature (label "data") (list it in forceDevices to DESTROY its content and use it); no device of volume group pool0 was touched'],
      ['refuses a partitioned disk', vgConfig(['/dev/sdb']), facts([dev('/dev/sdb', { signatures: [sig('gpt'), sig('PMBR')], tree: { partitions: ['/dev/sdb1', '/dev/sdb2'] } })]),
        /^refuse: \/dev\/sdb has partitions \/dev\/sdb1, \/dev\/sdb2; has a gpt signature; has a PMBR signature/],
      ['refuses a PV of another VG', vgConfig(['/dev/sdb']), facts([dev('/dev/sdb', { signatures: [sig('LVM2_member')], pvOf: 'vgdata' })], { vgs: [vg('vgdata', [])], pvs: [pv('/dev/sdb', 'vgdata')] }),
        /^refuse: \/dev\/sdb has a LVM2_member signature; is a physical volume of volume group vgdata/],
      ['refuses a PV of another open-local VG, even when forced (its volumes would break)', vgConfig(['/dev/sdb'], ['/dev/sdb'], 'pool1'),
        facts([dev('/dev/sdb', { signatures: [sig('LVM2_member')], pvOf: 'pool0' })], { vgs: [vg('pool0')], pvs: [pv('/dev/sdb', 'pool0')] }),
        /^refuse: \/dev\/sdb is a physical volume of open-local volume group pool0 \(move it out with vgreduce first\); has a LVM2_member signature/],
      ['wipes a forced PV of a foreign VG (a disk from an old machine)', vgConfig(['/dev/sdb'], ['/dev/sdb']),
        facts([dev('/dev/sdb', { signatures: [sig('LVM2_member')], pvOf: 'oldvg' })], { vgs: [vg('oldvg', [])], pvs: [pv('/dev/sdb', 'oldvg')] }), 'create /dev/sdb wipe /dev/sdb'],
      ['refuses a PV of no VG', vgConfig(['/dev/sdb']), facts([dev('/dev/sdb', { signatures: [sig('LVM2_member')], pvOf: '' })]), /is an LVM physical volume of no volume group/],
      ['refuses a RAID member', vgConfig(['/dev/sdb']), facts([dev('/dev/sdb', { signatures: [sig('linux_raid_member')] })]), /has a linux_raid_member signature/],
      ['refuses a missing device, even when forced', vgConfig(['/dev/disk/by-id/gone'], ['/dev/disk/by-id/gone']), facts([{ requested: '/dev/disk/by-id/gone', path: undefined, tree: undefined, signatures: [], pvOf: undefined }]),
        'refuse: /dev/disk/by-id/gone does not exist; no device of volume group pool0 was touched'],
      ['refuses a mounted device, even when forced', vgConfig(['/dev/sdb'], ['/dev/sdb']), facts([dev('/dev/sdb', { signatures: [sig('ext4')], tree: { mounts: ['/dev/sdb on /data'] } })]),
        /^refuse: \/dev\/sdb is mounted \(\/dev\/sdb on \/data\); has a ext4 signature; no device/],
      ['refuses a disk whose partition is mounted, even when forced', vgConfig(['/dev/sda'], ['/dev/sda']), facts([dev('/dev/sda', { tree: { partitions: ['/dev/sda1'], mounts: ['/dev/sda1 on /'] } })]), /is mounted \(\/dev\/sda1 on \/\)/],
      ['refuses a device in use by device-mapper, even when forced', vgConfig(['/dev/sdb'], ['/dev/sdb']), facts([dev('/dev/sdb', { signatures: [sig('LVM2_member')], pvOf: 'vgdata', tree: { holders: ['/dev/mapper/vgdata-home'] } })]),
        /is in use by \/dev\/mapper\/vgdata-home/],
      ['refuses a read-only device', vgConfig(['/dev/sdb']), facts([dev('/dev/sdb', { tree: { readOnly: true } })]), /\/dev\/sdb is read-only/],
      ['refuses an LV as a PV', vgConfig(['/dev/dm-3']), facts([dev('/dev/dm-3', { tree: { type: 'lvm' } })]), /is a lvm device, not a disk or partition/],
      ['refuses a device that could not be inspected', vgConfig(['/dev/sdb']), facts([{ ...dev('/dev/sdb'), inspectError: 'wipefs: timed out' }]), /could not be inspected: wipefs: timed out/],
      ['refuses one disk listed twice under two names', vgConfig(['/dev/disk/by-id/wwn-1', '/dev/sdb']), facts([dev('/dev/disk/by-id/wwn-1', {}, '/dev/sdb'), dev('/dev/sdb')]),
        /is the same device as another entry \(volume group pool0 as \/dev\/disk\/by-id\/wwn-1, volume group pool0 as \/dev\/sdb\)/],
      ['DECISION all-or-nothing: one refused device leaves the free ones untouched too', vgConfig(['/dev/sdb', '/dev/sdc']), facts([dev('/dev/sdb'), dev('/dev/sdc', { signatures: [sig('xfs')] })]),
        /^refuse: \/dev\/sdc has a xfs signature .*no device of volume group pool0 was touched$/],
      ['wipes and uses a device listed in forceDevices (partitions first)', vgConfig(['/dev/sdb', '/dev/sdc'], ['/dev/sdc']),
        facts([dev('/dev/sdb'), dev('/dev/sdc', { signatures: [sig('dos')], tree: { partitions: ['/dev/sdc1'] } })]), 'create /dev/sdb,/dev/sdc wipe /dev/sdc1,/dev/sdc'],
      ['forces only the exact device listed: another signed one is still refused', vgConfig(['/dev/sdb', '/dev/sdc'], ['/dev/sdc']),
        facts([dev('/dev/sdb', { signatures: [sig('ext4')] }), dev('/dev/sdc', { signatures: [sig('ext4')] })]), /^refuse: \/dev\/sdb has a ext4 signature/],
      ['never wipes a forced device that already is a PV of its VG (second run)', vgConfig(['/dev/sdc'], ['/dev/sdc']),
        facts([dev('/dev/sdc', { signatures: [sig('LVM2_member')], pvOf: 'pool0' })], { vgs: [vg('pool0')], pvs: [pv('/dev/sdc', 'pool0')] }), 'ready'],
      ['extends with a forced device after wiping it', vgConfig(['/dev/sdb', '/dev/sdc'], ['/dev/sdc']),
        facts([dev('/dev/sdb', { pvOf: 'pool0' }), dev('/dev/sdc', { signatures: [sig('swap')] })], { vgs: [vg('pool0')], pvs: [pv('/dev/sdb', 'pool0')] }), 'extend /dev/sdc wipe /dev/sdc'],
    ];
    for (const [name, config, f, want] of table) {
      it(name, () => {
        const got = summary(planPrepare(config, f).vgs[0]!.action);
        if (typeof want === 'string') expect(got).to.equal(want);
        else expect(got).to.match(want);
      });
    }

    it('refuses a device shared by two VGs in both, but a PV keeps its own VG Ready', () => {
      const config: ResourceToBeInited = { vgs: [{ name: 'a', devices: ['/dev/sdb'] }, { name: 'b', devices: ['/dev/sdb'], forceDevices: ['/dev/sdb'] }] };
      const fresh = planPrepare(config, facts([dev('/dev/sdb')]));
      expect(fresh.vgs.map((v) => summary(v.action))).to.satisfy((s: string[]) => s.every((x) => x.includes('is the same device as another entry')));
      const existing = planPrepare(config, facts([dev('/dev/sdb', { signatures: [sig('LVM2_member')], pvOf: 'a' })], { vgs: [vg('a')], pvs: [pv('/dev/sdb', 'a')] }));
      expect(summary(existing.vgs[0]!.action)).to.equal('ready');
      expect(summary(existing.vgs[1]!.action)).to.match(/is the same device as another entry/);
    });

    it('COMPAT never lets another VG force a PV of an untagged VG the config uses as is', () => {
      const config: ResourceToBeInited = { vgs: [{ name: 'pool0', devices: ['/dev/sdb'] }, { name: 'pool1', devices: ['/dev/sdc'], forceDevices: ['/dev/sdc'] }] };
      const f = facts([dev('/dev/sdb', { signatures: [sig('LVM2_member')], pvOf: 'pool0' }), dev('/dev/sdc', { signatures: [sig('LVM2_member')], pvOf: 'pool0' })],
        { vgs: [vg('pool0', [])], pvs: [pv('/dev/sdb', 'pool0'), pv('/dev/sdc', 'pool0')] });
      const plan = planPrepare(config, f);
      expect(summary(plan.vgs[0]!.action)).to.match(/^ready: existing volume group used as is/);
      expect(summary(plan.vgs[1]!.action)).to.equal('refuse: /dev/sdc is a physical volume of volume group pool0, which the config names (move it out with vgreduce first); has a LVM2_member signature; no device of volume group pool1 was touched');
      // The same disk is still forceable when its (foreign) VG is not in the config: an old machine's disk.
      const alone = planPrepare({ vgs: [config.vgs![1]!] }, f);
      expect(summary(alone.vgs[0]!.action)).to.equal('create /dev/sdc wipe /dev/sdc');
    });

    it('COMPAT refuses to format a PV of an untagged VG the config uses, even with force', () => {
      const config: ResourceToBeInited = { vgs: [{ name: 'pool0', devices: ['/dev/sdb'] }], mountpoints: [{ path: '/mnt/open-local/d1', device: '/dev/sdc', force: true }] };
      const f = facts([dev('/dev/sdb', { pvOf: 'pool0' }), dev('/dev/sdc', { signatures: [sig('LVM2_member')], pvOf: 'pool0' })], { vgs: [vg('pool0', [])], pvs: [pv('/dev/sdb', 'pool0'), pv('/dev/sdc', 'pool0')] });
      expect(summary(planPrepare(config, f).mountPoints[0]!.action)).to.match(/^refuse: \/dev\/sdc is a physical volume of volume group pool0, which the config names/);
    });

    it('plans nothing for an empty config', () => {
      expect(planPrepare({}, facts([]))).to.deep.equal({ vgs: [], mountPoints: [] });
    });
  });

  describe('disk identity (records on PVs)', () => {
    const tagged = (path: string, vgName: string, tags: string[], over: Partial<NodePv> = {}): NodePv => ({ ...pv(path, vgName), uuid: `uuid-${path.slice(5)}`, tags, ...over });
    const action = (config: ResourceToBeInited, f: NodeFacts) => planPrepare(config, f).vgs[0]!.action;

    it('THE REPRODUCED LOSS: refuses a forced kernel name that now points to another disk (ext4 data), naming both identities', () => {
      // pool0 was built on a forced /dev/sdb; after a reboot that disk is /dev/sdc and /dev/sdb is another disk holding ext4.
      const f = facts(
        [dev('/dev/sdb', { signatures: [{ type: 'ext4', label: 'data', uuid: 'fs-9', offset: '0x438' }], identity: { wwn: 'naa.2', byId: [] } })],
        { vgs: [vg('pool0')], pvs: [tagged('/dev/sdc', 'pool0', ['open-local.dev=/dev/sdb', 'open-local.wwn=naa.1'])] },
      );
      const a = action(vgConfig(['/dev/sdb'], ['/dev/sdb']), f);
      expect(a.kind).to.equal('refuse');
      expect(summary(a)).to.equal(
        'refuse: /dev/sdb was added to volume group pool0 as PV uuid-sdc of volume group pool0 (WWN naa.1), now at /dev/sdc, and now points to another disk (/dev/sdb: WWN naa.2; signatures ext4 UUID fs-9 label "data"): refused, nothing is wiped or added on the strength of a name. If the disk moved, name it by a stable path (/dev/disk/by-id/...) in the config; if it is gone for good, run `vgreduce --removemissing pool0` first; has a ext4 signature (label "data"); no device of volume group pool0 was touched',
      );
    });

    it('refuses a name whose recorded disk is missing, even a blank disk now at that name', () => {
      const f = facts([dev('/dev/sdb')], { vgs: [vg('pool0')], pvs: [tagged('[unknown]', 'pool0', ['open-local.dev=/dev/sdb'], { attr: 'a-m', uuid: 'pv-gone' })] });
      expect(summary(action(vgConfig(['/dev/sdb']), f))).to.match(/^refuse: \/dev\/sdb was added to volume group pool0 as PV pv-gone of volume group pool0 \(no WWN, serial or by-id name\), now missing, and now points to another disk \(\/dev\/sdb: no WWN, serial or by-id name; no signature\)/);
    });

    it('says the name points to no device when its link is gone while the recorded disk is still a member', () => {
      const f = facts([{ requested: '/dev/disk/by-id/wwn-1', path: undefined, tree: undefined, signatures: [], pvOf: undefined }], { vgs: [vg('pool0')], pvs: [tagged('/dev/sdc', 'pool0', ['open-local.dev=/dev/disk/by-id/wwn-1'])] });
      expect(summary(action(vgConfig(['/dev/disk/by-id/wwn-1']), f))).to.match(/^refuse: \/dev\/disk\/by-id\/wwn-1 was added to volume group pool0 as PV uuid-sdc of volume group pool0 \(no WWN, serial or by-id name\), now at \/dev\/sdc, and now points to no device: .*; does not exist; no device/);
    });

    it('refuses a name recorded in another VG too (the config moved it), forced or not', () => {
      const f = facts([dev('/dev/sdb', { signatures: [sig('xfs')] })], { vgs: [vg('old')], pvs: [tagged('/dev/sdd', 'old', ['open-local.dev=/dev/sdb'])] });
      expect(summary(action(vgConfig(['/dev/sdb'], ['/dev/sdb'], 'pool1'), f))).to.match(/^refuse: \/dev\/sdb was added to volume group old as PV uuid-sdd/);
    });

    it('refuses a forced device that is a PV recorded under another name of a foreign VG', () => {
      const f = facts([dev('/dev/sdb', { signatures: [sig('LVM2_member')], pvOf: 'renamed' })], { vgs: [vg('renamed', [])], pvs: [tagged('/dev/sdb', 'renamed', ['open-local.dev=/dev/sdx'])] });
      expect(summary(action(vgConfig(['/dev/sdb'], ['/dev/sdb']), f))).to.match(/^refuse: \/dev\/sdb is recorded as \/dev\/sdx of volume group renamed/);
    });

    it('refuses a forced device whose WWN is recorded on another PV', () => {
      const f = facts([dev('/dev/sdb', { signatures: [sig('ext4')], identity: { wwn: 'naa.1', byId: [] } })], { vgs: [vg('pool0')], pvs: [tagged('[unknown]', 'pool0', ['open-local.dev=/dev/disk/by-id/x', 'open-local.wwn=naa.1'], { attr: 'a-m', uuid: 'pv-gone' })] });
      expect(summary(action(vgConfig(['/dev/sdb'], ['/dev/sdb']), f))).to.match(/^refuse: \/dev\/sdb has WWN naa\.1, which is recorded on another PV pv-gone of volume group pool0 \(WWN naa\.1\), now missing/);
    });

    it('DISK GONE WITH ITS VG: refuses a forced name the host record says was a PV, now another disk', () => {
      // pool0 had one disk, /dev/sdb; it died, so LVM shows no pool0 at all, and the next disk took the name.
      const f = facts([dev('/dev/sdb', { signatures: [sig('ext4', 'data', 'fs-9')] })], { hostRecords: [['/dev/sdb', { pvUuid: 'pv-1', vg: 'pool0', wwn: 'naa.1' }]] });
      expect(summary(action(vgConfig(['/dev/sdb'], ['/dev/sdb']), f))).to.match(
        /^refuse: \/dev\/sdb was initialised by prepare-vg on this node as PV pv-1 of volume group pool0 \(WWN naa\.1\), and now points to another disk \(\/dev\/sdb: no WWN, serial or by-id name; signatures ext4 UUID fs-9 label "data"\): refused, .*or remove \/dev\/sdb from prepare-vg's record file on the node/,
      );
    });

    it('takes a name whose host record matches the disk there (the PV by UUID), or names with no record', () => {
      const f = facts([dev('/dev/sdb', { signatures: [{ type: 'LVM2_member', label: undefined, uuid: 'pv-1', offset: '0x218' }], pvOf: '' }), dev('/dev/sdc')], { hostRecords: [['/dev/sdb', { pvUuid: 'pv-1', vg: 'pool0' }]] });
      expect(summary(action(vgConfig(['/dev/sdb', '/dev/sdc'], ['/dev/sdb']), f))).to.equal('create /dev/sdb,/dev/sdc wipe /dev/sdb');
    });

    it('records the configured path, WWN and serial of every device it adds', () => {
      const f = facts([dev('/dev/disk/by-id/wwn-1', { identity: { wwn: 'naa.1', serial: 'S1', byId: ['/dev/disk/by-id/wwn-1'] } }, '/dev/sdb'), dev('/dev/sdc', { signatures: [sig('ext4')] })]);
      const a = action(vgConfig(['/dev/disk/by-id/wwn-1', '/dev/sdc'], ['/dev/sdc']), f);
      expect(a).to.deep.include({ kind: 'create', add: ['/dev/sdb', '/dev/sdc'] });
      expect(a.kind === 'create' ? a.record : undefined).to.deep.equal([
        { device: '/dev/sdb', tags: ['open-local.dev=/dev/disk/by-id/wwn-1', 'open-local.wwn=naa.1', 'open-local.serial=S1'] },
        { device: '/dev/sdc', tags: ['open-local.dev=/dev/sdc'] },
      ]);
    });

    it('records members of its own VG added by an older open-local, once; never those of an untagged VG', () => {
      const old = facts([dev('/dev/sdb', { pvOf: 'pool0' }), dev('/dev/sdc', { pvOf: 'pool0' })], { vgs: [vg('pool0')], pvs: [tagged('/dev/sdb', 'pool0', []), tagged('/dev/sdc', 'pool0', ['open-local.dev=/dev/sdc'])] });
      expect(action(vgConfig(['/dev/sdb', '/dev/sdc']), old)).to.deep.equal({ kind: 'ready', record: [{ device: '/dev/sdb', tags: ['open-local.dev=/dev/sdb'] }] });
      const legacy = facts([dev('/dev/sdb', { pvOf: 'pool0' })], { vgs: [vg('pool0', [])], pvs: [tagged('/dev/sdb', 'pool0', [])] });
      expect(action(vgConfig(['/dev/sdb']), legacy)).to.deep.include({ kind: 'ready', record: [] });
    });

    it('is Ready when two members swapped names (nothing to add, nothing touched)', () => {
      const f = facts([dev('/dev/sdb', { pvOf: 'pool0' }), dev('/dev/sdc', { pvOf: 'pool0' })],
        { vgs: [vg('pool0')], pvs: [tagged('/dev/sdb', 'pool0', ['open-local.dev=/dev/sdc']), tagged('/dev/sdc', 'pool0', ['open-local.dev=/dev/sdb'])] });
      expect(action(vgConfig(['/dev/sdb', '/dev/sdc'], ['/dev/sdb', '/dev/sdc']), f)).to.deep.equal({ kind: 'ready', record: [] });
    });
  });

  describe('mount points', () => {
    const mp = (over: Partial<NonNullable<ResourceToBeInited['mountpoints']>[number]> = {}): ResourceToBeInited => ({ mountpoints: [{ path: '/mnt/open-local/d1', device: '/dev/sdd', ...over }] });
    const table: [string, ResourceToBeInited, NodeFacts, string | RegExp][] = [
      ['formats a free device (ext4 by default) and mounts it', mp(), facts([dev('/dev/sdd')]), 'mount /dev/sdd ext4 format'],
      ['passes fsType and options', mp({ fsType: 'xfs', options: ['noatime', 'prjquota'] }), facts([dev('/dev/sdd')]), 'mount /dev/sdd xfs format -o noatime,prjquota'],
      ['is Ready when the device is mounted there with the wanted fsType', mp(), facts([dev('/dev/sdd', { signatures: [sig('ext4', 'open-local')], tree: { mounts: ['/dev/sdd on /mnt/open-local/d1'] } })], { mountedAt: [['/mnt/open-local/d1', { source: '/dev/sdd', fsType: 'ext4' }]] }), 'ready'],
      ['refuses when mounted there with another fsType', mp({ fsType: 'xfs' }), facts([dev('/dev/sdd')], { mountedAt: [['/mnt/open-local/d1', { source: '/dev/sdd', fsType: 'ext4' }]] }), /is mounted on \/mnt\/open-local\/d1 as ext4, not xfs/],
      ['refuses when the path is a mount point of another device', mp(), facts([dev('/dev/sdd')], { mountedAt: [['/mnt/open-local/d1', { source: '/dev/sde', fsType: 'ext4' }]] }), /already a mount point of \/dev\/sde/],
      ['refuses a device with a foreign filesystem, pointing at force', mp(), facts([dev('/dev/sdd', { signatures: [sig('ext4', 'data')] })]), /has a ext4 signature \(label "data"\) \(set force: true to DESTROY/],
      ['mounts its own open-local filesystem (its UUID) without formatting (after a reboot)', mp(), facts([dev('/dev/sdd', { signatures: [sig('ext4', 'open-local', D1_UUID)] })], { d1On: ['/dev/sdd'] }), 'mount /dev/sdd ext4'],
      ['DECISION: never reformats its own filesystem, even with force', mp({ force: true }), facts([dev('/dev/sdd', { signatures: [sig('ext4', 'open-local', D1_UUID)] })], { d1On: ['/dev/sdd'] }), 'mount /dev/sdd ext4'],
      ['does not take its own UUID with another type for its own', mp({ fsType: 'xfs' }), facts([dev('/dev/sdd', { signatures: [sig('ext4', 'open-local', D1_UUID)] })], { d1On: ['/dev/sdd'] }), /^refuse: \/dev\/sdd holds an open-local ext4 filesystem/],
      ['wipes and formats a signed device with force', mp({ force: true }), facts([dev('/dev/sdd', { signatures: [sig('xfs', 'old')] })]), 'mount /dev/sdd ext4 format wipe /dev/sdd'],
      ['refuses a device mounted elsewhere, even with force', mp({ force: true }), facts([dev('/dev/sdd', { tree: { mounts: ['/dev/sdd on /var/lib/docker'] } })]), /is mounted \(\/dev\/sdd on \/var\/lib\/docker\)/],
      ['refuses a device that is also a VG device', { ...vgConfig(['/dev/sdd']), ...mp() }, facts([dev('/dev/sdd')]), /is the same device as another entry/],
      ['refuses a missing device', mp(), facts([{ requested: '/dev/sdd', path: undefined, tree: undefined, signatures: [], pvOf: undefined }]), 'refuse: /dev/sdd does not exist'],
      ['SWAP: refuses, even with force, a device while the mount point\'s filesystem is on another disk', mp({ force: true }), facts([dev('/dev/sdd', { signatures: [sig('ext4', 'data', 'fs-9')] }), dev('/dev/sde')], { d1On: ['/dev/sde'] }),
        `refuse: the filesystem of mount point /mnt/open-local/d1 (UUID ${D1_UUID}) is on /dev/sde, not on /dev/sdd, which now holds another disk (/dev/sdd: no WWN, serial or by-id name; signatures ext4 UUID fs-9 label "data"): refused even with force; nothing was mounted, formatted or wiped. Name the disk by a stable path (/dev/disk/by-id/...) in the config`],
      ['SWAP: refuses a blank disk too while the filesystem is elsewhere', mp(), facts([dev('/dev/sdd')], { d1On: ['/dev/sde'] }), /^refuse: the filesystem of mount point \/mnt\/open-local\/d1 .* is on \/dev\/sde/],
      ['SWAP: never mounts or formats another open-local filesystem of the same type, even with force', mp({ force: true }), facts([dev('/dev/sdd', { signatures: [sig('ext4', 'open-local', 'other-uuid')] })]),
        `refuse: /dev/sdd holds an open-local ext4 filesystem (UUID other-uuid) that is not mount point /mnt/open-local/d1's (UUID ${D1_UUID}): another mount point's disk, or one made by an older open-local; refused even with force, nothing was touched. If it is this mount point's filesystem, hand it over with \`tune2fs -U ${D1_UUID} /dev/sdd\``],
      ['DISK GONE: refuses, even with force, a device the host record says held the mount point\'s filesystem', mp({ force: true }), facts([dev('/dev/sdd', { signatures: [sig('ext4', 'data', 'fs-9')] })], { hostRecords: [['/dev/sdd', { fsUuid: D1_UUID, mountPoint: D1 }]] }),
        new RegExp(`^refuse: /dev/sdd was initialised by prepare-vg on this node as filesystem UUID ${D1_UUID} of mount point /mnt/open-local/d1 \\(no WWN, serial or by-id name\\), and now points to another disk`)],
      ['refuses a mount path under a system directory', mp({ path: '/etc/open-local' }), facts([dev('/dev/sdd')]), 'refuse: /etc/open-local may not be a mount point: it is under the system directory /etc; nothing was done'],
      ['refuses a mount path under the default kubelet directory', mp({ path: '/var/lib/kubelet/pods/x' }), facts([dev('/dev/sdd')]), /may not be a mount point: it is under the kubelet directory \/var\/lib\/kubelet/],
    ];
    for (const [name, config, f, want] of table) {
      it(name, () => {
        const got = summary(planPrepare(config, f).mountPoints[0]!.action);
        if (typeof want === 'string') expect(got).to.equal(want);
        else expect(got).to.match(want);
      });
    }

    it('formats with the mount point\'s UUID', () => {
      expect(planPrepare(mp(), facts([dev('/dev/sdd')])).mountPoints[0]!.action).to.deep.include({ kind: 'mount', format: true, fsUuid: D1_UUID });
    });

    it('refuses a mount path under the kubelet directory the cluster configures', () => {
      const config = mp({ path: '/data/kubelet/x' });
      expect(summary(planPrepare(config, facts([dev('/dev/sdd')]), { kubeletDir: '/data/kubelet' }).mountPoints[0]!.action)).to.match(/under the kubelet directory \/data\/kubelet/);
    });
  });
});
