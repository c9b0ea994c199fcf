import { expect } from 'chai';
import { deviceUses } from '../../../../csi-driver/node/device-use.js';
import { parseLsblk } from '../../../../node-agent/prepare-vg/block-tools.js';

describe('csi-driver/node/device-use', () => {
  it('names partitions, holders and mounts of a disk', () => {
    const json = JSON.stringify({ blockdevices: [{ name: '/dev/sdb', type: 'disk', ro: false, mountpoints: [null], children: [
      { name: '/dev/sdb1', type: 'part', ro: false, mountpoints: ['/boot'] },
      { name: '/dev/mapper/vg-lv', type: 'lvm', ro: false, mountpoints: [null] },
    ] }] });
    expect(deviceUses(parseLsblk(json))).to.deep.equal(['partition /dev/sdb1', 'holder /dev/mapper/vg-lv', 'mounted: /dev/sdb1 on /boot']);
  });
  it('finds nothing on a free disk', () => {
    expect(deviceUses(parseLsblk(JSON.stringify({ blockdevices: [{ name: '/dev/sdc', type: 'disk', ro: false, mountpoints: [null] }] })))).to.deep.equal([]);
  });
});
