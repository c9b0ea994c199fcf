import { expect } from 'chai';
import { EPHEMERAL_TAG, lvcreateEphemeralArgv, lvremoveByUuidArgv, parseLvInfo } from '../../../../csi-driver/node/node-lvm.js';

describe('csi-driver/node/node-lvm', () => {
  it('parses lvs JSON with sizes in bytes and tags as a list', () => {
    const json = JSON.stringify({ report: [{ lv: [{ lv_name: 'csi-1', vg_name: 'vg', lv_uuid: 'U-1', lv_size: '1073741824', lv_tags: `${EPHEMERAL_TAG},x`, lv_attr: '-wi-a-----' }] }] });
    expect(parseLvInfo(json)).to.deep.equal([{ name: 'csi-1', vg: 'vg', uuid: 'U-1', size: 1073741824, tags: [EPHEMERAL_TAG, 'x'], attr: '-wi-a-----' }]);
    expect(() => parseLvInfo(JSON.stringify({ report: [{ lv: [{ lv_name: 'a', vg_name: 'b', lv_size: '1.5g' }] }] }))).to.throw(/lv_size "1\.5g" of b\/a is not a byte count/);
    expect(() => parseLvInfo('nope')).to.throw(/not JSON/);
  });
  it('creates inline LVs tagged, in bytes, and removes them by UUID only', () => {
    expect(lvcreateEphemeralArgv('vg', 'csi-1', 1073741824)).to.deep.equal(['lvm', 'lvcreate', '--name', 'csi-1', '--size', '1073741824b', '--addtag', EPHEMERAL_TAG, '-W', 'y', '--yes', 'vg']);
    expect(lvremoveByUuidArgv('vg', 'U-1')).to.deep.equal(['lvm', 'lvremove', '--yes', '--select', 'lv_uuid=U-1', 'vg']);
  });
});
