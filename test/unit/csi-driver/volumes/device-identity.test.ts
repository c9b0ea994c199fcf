import { expect } from 'chai';
import { diskIdentityString } from '../../../../csi-driver/node/volumes/device-identity.js';

describe('csi-driver/node/volumes/device-identity', () => {
  it('records a disk by WWN, else serial, else its first by-id name', () => {
    expect(diskIdentityString({ wwn: 'naa.5000c500a1b2c3d4', serial: 'ZA1', byId: ['/dev/disk/by-id/wwn-x'] })).to.equal('WWN naa.5000c500a1b2c3d4');
    expect(diskIdentityString({ serial: 'ZA1', byId: ['/dev/disk/by-id/ata-x'] })).to.equal('serial ZA1');
    expect(diskIdentityString({ byId: ['/dev/disk/by-id/virtio-a', '/dev/disk/by-id/virtio-b'] })).to.equal('by-id /dev/disk/by-id/virtio-a');
  });
});
