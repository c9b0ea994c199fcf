import { expect } from 'chai';
import { bindArgv, mountArgv, parseFindmntMountpoint, umountArgv } from '../../../../csi-driver/node/mounter.js';

describe('csi-driver/node/mounter', () => {
  it('builds mount, bind and umount argv with -- before paths', () => {
    expect(mountArgv('/dev/vg/v', '/k/s', 'xfs', ['rw', 'nouuid'])).to.deep.equal(['mount', '-t', 'xfs', '-o', 'rw,nouuid', '--', '/dev/vg/v', '/k/s']);
    expect(bindArgv('/k/s', '/k/t', true, [])).to.deep.equal(['mount', '-o', 'bind,ro', '--', '/k/s', '/k/t']);
    expect(bindArgv('/dev/vg/v', '/k/t', false, [])).to.deep.equal(['mount', '-o', 'bind,rw', '--', '/dev/vg/v', '/k/t']);
    expect(umountArgv('/k/t')).to.deep.equal(['umount', '--', '/k/t']);
  });
  it('takes the top mount of findmnt --mountpoint', () => {
    const json = JSON.stringify({ filesystems: [
      { target: '/k/t', source: '/dev/mapper/vg-a', fstype: 'ext4', options: 'rw,relatime' },
      { target: '/k/t', source: '/dev/mapper/vg-b', fstype: 'xfs', options: 'ro,nouuid' },
    ] });
    expect(parseFindmntMountpoint(json)).to.deep.equal({ target: '/k/t', source: '/dev/mapper/vg-b', fsType: 'xfs', options: ['ro', 'nouuid'] });
    expect(parseFindmntMountpoint('')).to.be.undefined;
  });
});
