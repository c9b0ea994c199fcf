import { expect } from 'chai';
import { devNumbers, lvUuidOfDmUuid } from '../../../../csi-driver/node/volumes/active-lv.js';

describe('csi-driver/node/volumes/active-lv', () => {
  it('takes the LV UUID out of a top-level LV dm uuid, dashed as lvs prints it', () => {
    // lvm2's dm uuid of a top-level LV: "LVM-", the VG UUID and the LV UUID, each 32 characters without dashes.
    const dm = 'LVM-pK0vV6TQmSXUjyoCOGdy4nH1zL2S8a9bHx3dSeKq2ZfI6lh3RlcRj7Ay2Hmt2xVz\n';
    expect(lvUuidOfDmUuid(dm)).to.equal('Hx3dSe-Kq2Z-fI6l-h3Rl-cRj7-Ay2H-mt2xVz');
  });

  it('refuses what is not a plain LV: a layer (-real, -cow), another dm target, a short id', () => {
    expect(lvUuidOfDmUuid('LVM-pK0vV6TQmSXUjyoCOGdy4nH1zL2S8a9bHx3dSeKq2ZfI6lh3RlcRj7Ay2Hmt2xVz-real')).to.equal(undefined);
    expect(lvUuidOfDmUuid('CRYPT-LUKS2-0123456789abcdef0123456789abcdef-luks')).to.equal(undefined);
    expect(lvUuidOfDmUuid('LVM-pK0vV6TQmSXUjyoCOGdy4nH1zL2S8a9b')).to.equal(undefined);
  });

  it('splits dev_t as glibc does, small and large numbers', () => {
    expect(devNumbers(0xfd03n)).to.equal('253:3');
    // major 259, minor 300: the bits above the classic 8/8 split.
    expect(devNumbers((259n << 8n) | (300n & 0xffn) | ((300n & ~0xffn) << 12n))).to.equal('259:300');
  });
});
