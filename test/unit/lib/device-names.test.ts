import { expect } from 'chai';
import { isKernelDeviceName } from '../../../lib/device-names.js';

describe('lib/device-names', () => {
  it('recognises kernel names of every disk family, and their partitions', () => {
    const kernel = ['/dev/sdb', '/dev/sdaa', '/dev/sdb1', '/dev/vdc', '/dev/vdc12', '/dev/xvdf', '/dev/hda2', '/dev/nvme0n1', '/dev/nvme10n2p3', '/dev/ubda', '/dev/ubdb1', '/dev/mmcblk0', '/dev/mmcblk1p2', '/dev//sdb', '/dev/./vdb'];
    expect(kernel.filter((p) => !isKernelDeviceName(p))).to.deep.equal([]);
  });

  it('does not flag stable names, mapper devices or other paths', () => {
    const stable = [
      '/dev/disk/by-id/wwn-0x5000c500a1b2c3d4',
      '/dev/disk/by-id/nvme-Samsung_SSD_980_S64DNX0R123456',
      '/dev/disk/by-path/pci-0000:00:1f.2-ata-1',
      '/dev/disk/by-uuid/0b1e6f3c-1d2a-4c5b-9e8f-7a6b5c4d3e2f',
      '/dev/mapper/vg-lv',
      '/dev/dm-3',
      '/dev/sdb/x',
      '/dev/md0',
      '/dev/loop0',
      '/dev/nvme0',
      '/dev/sd',
      '/mnt/sdb',
      'sdb',
    ];
    expect(stable.filter(isKernelDeviceName)).to.deep.equal([]);
  });
});
