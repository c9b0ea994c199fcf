import { expect } from 'chai';
import { EPHEMERAL_TAG, lvcreateEphemeralArgv, lvremoveByUuidArgv } from '../../../../csi-driver/node/node-lvm.js';

describe('csi-driver/node/node-lvm', () => {
  it('creates inline LVs tagged, in bytes, and removes them by UUID only', () => {
    expect(lvcreateEphemeralArgv('vg', 'csi-1', 1073741824)).to.deep.equal(['lvm', 'lvcreate', '--name', 'csi-1', '--size', '1073741824b', '--addtag', EPHEMERAL_TAG, '-W', 'y', '--yes', 'vg']);
    expect(lvremoveByUuidArgv('vg', 'U-1')).to.deep.equal(['lvm', 'lvremove', '--yes', '--select', 'lv_uuid=U-1', 'vg']);
  });
});
