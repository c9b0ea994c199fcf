import { expect } from 'chai';
import { parseLsblk, parseWipefs } from '../../../node-agent/prepare-vg/block-tools.js';

// Shapes recorded in the UML guest (util-linux 2.38): a partitioned disk, a PV with an LV and its snapshot.
const PARTITIONED = `{"blockdevices":[{"name":"/dev/ubdc","type":"disk","ro":false,"mountpoints":[null],"children":[
  {"name":"/dev/ubdc1","type":"part","ro":false,"mountpoints":["/mnt/a"]},{"name":"/dev/ubdc2","type":"part","ro":false,"mountpoints":[null],
   "children":[{"name":"/dev/mapper/vg-lv","type":"lvm","ro":false,"mountpoints":[null]}]}]}]}`;
const PV_WITH_SNAPSHOT = `{"blockdevices":[{"name":"/dev/ubdd","type":"disk","ro":false,"mountpoints":[null],"children":[
  {"name":"/dev/mapper/vgf-local--a-real","type":"lvm","ro":false,"mountpoints":[null],"children":[
    {"name":"/dev/mapper/vgf-local--a","type":"lvm","ro":false,"mountpoints":["/data","/data2"]},{"name":"/dev/mapper/vgf-snap--a","type":"lvm","ro":false,"mountpoints":[null]}]},
  {"name":"/dev/mapper/vgf-snap--a-cow","type":"lvm","ro":false,"mountpoints":[null],"children":[{"name":"/dev/mapper/vgf-snap--a","type":"lvm","ro":false,"mountpoints":[null]}]}]}]}`;

describe('node-agent/prepare-vg/block-tools', () => {
  it('finds partitions, holders below partitions and every mount in the tree', () => {
    expect(parseLsblk(PARTITIONED)).to.deep.equal({
      name: '/dev/ubdc',
      type: 'disk',
      readOnly: false,
      partitions: ['/dev/ubdc1', '/dev/ubdc2'],
      holders: ['/dev/mapper/vg-lv'],
      mounts: ['/dev/ubdc1 on /mnt/a'],
    });
  });

  it('lists each holder once, and mounts of LVs on a PV', () => {
    const t = parseLsblk(PV_WITH_SNAPSHOT);
    expect(t.partitions).to.deep.equal([]);
    expect(t.holders).to.deep.equal(['/dev/mapper/vgf-local--a', '/dev/mapper/vgf-local--a-real', '/dev/mapper/vgf-snap--a', '/dev/mapper/vgf-snap--a-cow']);
    expect(t.mounts).to.deep.equal(['/dev/mapper/vgf-local--a on /data', '/dev/mapper/vgf-local--a on /data2']);
  });

  it('reads a plain free disk, the older MOUNTPOINT column and ro flags', () => {
    expect(parseLsblk('{"blockdevices":[{"name":"/dev/sdb","type":"disk","ro":true,"mountpoint":null}]}')).to.deep.equal({ name: '/dev/sdb', type: 'disk', readOnly: true, partitions: [], holders: [], mounts: [] });
    expect(parseLsblk('{"blockdevices":[{"name":"/dev/sdb","type":"disk","ro":"0","mountpoint":"/x"}]}').mounts).to.deep.equal(['/dev/sdb on /x']);
  });

  it('throws when lsblk printed no device', () => {
    expect(() => parseLsblk('{"blockdevices":[]}')).to.throw(/no device/);
    expect(() => parseLsblk('lsblk: not a block device')).to.throw(/not JSON/);
  });

  it('parses wipefs signatures with labels and UUIDs, and no signatures', () => {
    const ext4 = '{"signatures":[{"device":"ubda","offset":"0x438","type":"ext4","uuid":"3c46","label":"data"}]}';
    expect(parseWipefs(ext4)).to.deep.equal([{ type: 'ext4', label: 'data', uuid: '3c46', offset: '0x438' }]);
    const dos = '{"signatures":[{"device":"ubdc","offset":"0x1fe","type":"dos","uuid":null,"label":null}]}';
    expect(parseWipefs(dos)).to.deep.equal([{ type: 'dos', label: undefined, offset: '0x1fe' }]);
    expect(parseWipefs('{"signatures":[\n\n]}')).to.deep.equal([]);
    expect(parseWipefs('')).to.deep.equal([]);
    expect(() => parseWipefs('{"x":1}')).to.throw(/no "signatures" array/);
  });
});
