import { expect } from 'chai';
import { isKernelDeviceName } from '../../../lib/device-names.js';

describe('lib/device-names isKernelDeviceName', () => {
  const kernel = ['/dev/sda', '/dev/sdab', '/dev/sdb1', '/dev/vdb', '/dev/xvdf', '/dev/xvdf2', '/dev/hda', '/dev/nvme0n1', '/dev/nvme10n2p3', '/dev/ubda', '/dev/ubdc1', '/dev/mmcblk0', '/dev/mmcblk0p1'];
  const stable = ['/dev/disk/by-id/wwn-0x5000c500a1b2c3d4', '/dev/disk/by-id/nvme-eui.0025388b71b2c3d4', '/dev/disk/by-path/pci-0000:00:1f.2-ata-1', '/dev/mapper/vg-lv', '/dev/dm-3', '/dev/md0', '/dev/loop0', '/dev/nvme0', '/dev/sd', 'sdb', '/dev/sdb/x'];
  for (const p of kernel) it(`${p} is a kernel name`, () => expect(isKernelDeviceName(p)).to.equal(true));
  for (const p of stable) it(`${p} is not`, () => expect(isKernelDeviceName(p)).to.equal(false));
});
