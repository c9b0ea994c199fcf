import { expect } from 'chai';
import type { ResourceToBeInited } from '../../../api/generated/types.js';
import type { LvReport, VgReport } from '../../../node-agent/lvm/report.js';
import { planRemove, type RemovalFacts, type RemoveAction } from '../../../node-agent/prepare-vg/plan-remove.js';

const vg = (name: string, tags: string[] = ['open-local'], attr = 'wz--n-'): VgReport => ({ name, uuid: `uuid-${name}`, size: 1000, free: 1000, tags, attr, pvCount: 1, seqno: 7 });
const pv = (path: string, vgName: string) => ({ name: path, vgName, size: 100, free: 100, tags: [], attr: 'a--', path });
const lv = (name: string, vgName: string): LvReport => ({ name, vgName, size: 8, attr: '-wi-a-----', origin: '', snapPercent: undefined, tags: [], path: `/dev/${vgName}/${name}` });

function facts(more: Partial<Omit<RemovalFacts, 'devices'>> & { devices?: [string, string | undefined][] } = {}): RemovalFacts {
  return { vgs: more.vgs ?? [], pvs: more.pvs ?? [], lvs: more.lvs ?? [], devices: new Map(more.devices ?? []) };
}

/** "absent: <message>" | "refuse: <message>" | "remove /dev/a,/dev/b" */
function summary(a: RemoveAction): string {
  return a.kind === 'remove' ? `remove ${a.devices.join(',')}` : `${a.kind}: ${a.message}`;
}

const config = (devices: string[] = ['/dev/sdb', '/dev/sdc'], name = 'pool0'): ResourceToBeInited => ({ vgs: [{ name, devices }] });
const tagged2 = { vgs: [vg('pool0')], pvs: [pv('/dev/sdc', 'pool0'), pv('/dev/sdb', 'pool0')] };

describe('node-agent/prepare-vg/plan-remove (--remove)', () => {
  const table: [string, ResourceToBeInited, RemovalFacts, string | RegExp][] = [
    ['removes a tagged VG without LVs, then unlabels each of its PVs', config(), facts(tagged2), 'remove /dev/sdb,/dev/sdc'],
    ['unlabels the VG\'s own PVs, whatever the config lists (the VG may have been extended by hand)', config(['/dev/sdb']),
      facts({ vgs: [vg('pool0'), vg('other')], pvs: [pv('/dev/sdb', 'pool0'), pv('/dev/sdd', 'pool0'), pv('/dev/sde', 'other'), pv('/dev/sdf', '')] }), 'remove /dev/sdb,/dev/sdd'],
    ['reports a VG that is not there as removed: "not present" (a second run is a no-op)', config(), facts(), 'absent: not present'],
    ['DECISION: only mentions a listed device that still is an orphan PV (it cannot prove it labelled it)', config(['/dev/disk/by-id/wwn-1', '/dev/sdc']),
      facts({ pvs: [pv('/dev/sdb', ''), pv('/dev/sdc', 'vgdata')], vgs: [vg('vgdata', [])], devices: [['/dev/disk/by-id/wwn-1', '/dev/sdb'], ['/dev/sdc', '/dev/sdc']] }),
      'absent: not present; /dev/sdb still carries an LVM label of no volume group, left alone (run `pvremove` on it if it is not in use)'],
    ['refuses a VG without the open-local tag (Open-Local\'s own, or someone else\'s)', config(), facts({ vgs: [vg('pool0', [])], pvs: [pv('/dev/sdb', 'pool0')] }),
      'refuse: not created by open-local (no "open-local" tag); left alone'],
    ['refuses an untagged VG even when it holds no LV', config(), facts({ vgs: [vg('pool0', ['other'])] }), /^refuse: not created by open-local/],
    ['refuses a tagged VG holding one LV', config(), facts({ ...tagged2, lvs: [lv('local-abc', 'pool0')] }),
      'refuse: holds 1 logical volume: local-abc; delete their PersistentVolumes first'],
    ['refuses a tagged VG holding LVs, naming them sorted', config(), facts({ ...tagged2, lvs: [lv('local-b', 'pool0'), lv('snap-1', 'pool0'), lv('local-a', 'pool0'), lv('x', 'other')] }),
      'refuse: holds 3 logical volumes: local-a, local-b, snap-1; delete their PersistentVolumes first'],
    ['names at most five LVs', config(), facts({ ...tagged2, lvs: Array.from({ length: 8 }, (_, i) => lv(`local-${i}`, 'pool0')) }),
      'refuse: holds 8 logical volumes: local-0, local-1, local-2, local-3, local-4 and 3 more; delete their PersistentVolumes first'],
    ['ignores LVs of other VGs', config(), facts({ ...tagged2, lvs: [lv('home', 'vgdata')] }), 'remove /dev/sdb,/dev/sdc'],
    ['refuses a tagged, empty VG with a missing PV (partial)', config(), facts({ vgs: [vg('pool0', ['open-local'], 'wz-pn-')], pvs: [pv('/dev/sdb', 'pool0'), pv('[unknown]', 'pool0')] }),
      /^refuse: a physical volume of it is missing \(vg_attr wz-pn-\); not removed/],
    ['refuses when two VGs carry the name', config(), facts({ vgs: [vg('pool0'), { ...vg('pool0'), uuid: 'uuid-2' }] }), /^refuse: 2 volume groups are named pool0 .*left alone/],
    ['refuses the LV check before the partial check (the data is what matters)', config(), facts({ vgs: [vg('pool0', ['open-local'], 'wz-pn-')], lvs: [lv('a', 'pool0')] }), /^refuse: holds 1 logical volume: a;/],
  ];
  for (const [name, c, f, want] of table) {
    it(name, () => {
      const got = summary(planRemove(c, f)[0]!.action);
      if (typeof want === 'string') expect(got).to.equal(want);
      else expect(got).to.match(want);
    });
  }

  it('plans every VG of the config in order, each on its own', () => {
    const c: ResourceToBeInited = { vgs: [{ name: 'gone', devices: ['/dev/sdz'] }, { name: 'pool0', devices: ['/dev/sdb'] }, { name: 'busy', devices: ['/dev/sdd'] }, { name: 'theirs', devices: ['/dev/sde'] }] };
    const f = facts({ vgs: [vg('pool0'), vg('busy'), vg('theirs', [])], pvs: [pv('/dev/sdb', 'pool0'), pv('/dev/sdd', 'busy'), pv('/dev/sde', 'theirs')], lvs: [lv('v', 'busy')] });
    expect(planRemove(c, f).map((p) => `${p.name} ${summary(p.action)}`)).to.deep.equal([
      'gone absent: not present',
      'pool0 remove /dev/sdb',
      'busy refuse: holds 1 logical volume: v; delete their PersistentVolumes first',
      'theirs refuse: not created by open-local (no "open-local" tag); left alone',
    ]);
  });

  it('plans nothing for a config without VGs (mount points are never part of a removal)', () => {
    expect(planRemove({ mountpoints: [{ path: '/mnt/open-local/d1', device: '/dev/sdd' }] }, facts())).to.deep.equal([]);
  });
});
