import { status } from '@grpc/grpc-js';
import { expect } from 'chai';
import { checkFsSize, decideStage, fsMountOptions, growArgv, mkfsArgv, volumeFsUuid, XFS_MIN_BYTES } from '../../../../csi-driver/node/filesystem.js';
import { mountPointFsUuid } from '../../../../node-agent/prepare-vg/fs-uuid.js';
import { expectCsiError } from './expect-code.js';

const sig = (type: string, uuid?: string) => ({ type, label: undefined, offset: '0x438', ...(uuid ? { uuid } : {}) });

describe('csi-driver/node/filesystem', () => {
  it('derives a stable, valid UUID per volume ID, unlike the mount points\'', () => {
    const u = volumeFsUuid('local-1');
    expect(u).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(volumeFsUuid('local-1')).to.equal(u);
    expect(volumeFsUuid('local-2')).to.not.equal(u);
    expect(mountPointFsUuid('local-1')).to.not.equal(u);
  });
  it('builds mkfs without force flags, with the UUID', () => {
    expect(mkfsArgv('ext4', '/dev/vg/v', 'U')).to.deep.equal(['mkfs.ext4', '-q', '-U', 'U', '-E', 'lazy_itable_init=0,lazy_journal_init=0', '--', '/dev/vg/v']);
    expect(mkfsArgv('xfs', '/dev/vg/v', 'U')).to.deep.equal(['mkfs.xfs', '-m', 'uuid=U', '--', '/dev/vg/v']);
    for (const fs of ['ext4', 'xfs'] as const) {
      expect(mkfsArgv(fs, '/dev/x', 'U')).to.not.include.members(['-f', '-F']);
    }
  });
  it('grows ext* by device and xfs by mount point', () => {
    expect(growArgv('ext4', '/dev/vg/v', '/t')).to.deep.equal(['resize2fs', '--', '/dev/vg/v']);
    expect(growArgv('xfs', '/dev/vg/v', '/t')).to.deep.equal(['xfs_growfs', '--', '/t']);
  });
  it('mounts xfs with nouuid (a snapshot has its origin\'s UUID)', () => {
    expect(fsMountOptions('xfs', false, ['noatime'])).to.deep.equal(['rw', 'nouuid', 'noatime']);
    expect(fsMountOptions('ext4', true, [])).to.deep.equal(['ro']);
  });
  it('refuses xfs below 300 MiB with OUT_OF_RANGE and the sizes', () => {
    expectCsiError(() => {
      checkFsSize('v', 'xfs', 100 * 2 ** 20, 'LV /dev/vg/v');
    }, status.OUT_OF_RANGE, /LV \/dev\/vg\/v has 104857600 bytes; xfs needs at least 314572800/);
    checkFsSize('v', 'xfs', XFS_MIN_BYTES, 'x');
    checkFsSize('v', 'ext4', 1, 'x');
  });
  describe('decideStage', () => {
    const base = { volumeId: 'v1', device: '/dev/sdb', fsType: 'ext4' as const };
    it('formats only a device without any signature', () => {
      expect(decideStage({ ...base, kind: 'Device', signatures: [] })).to.deep.equal({ action: 'format' });
      expect(decideStage({ ...base, kind: 'LV', signatures: [] })).to.deep.equal({ action: 'format' });
    });
    it('mounts an LV with a filesystem of the requested type as is', () => {
      expect(decideStage({ ...base, kind: 'LV', signatures: [sig('ext4', 'whatever')] })).to.deep.equal({ action: 'mount' });
    });
    it('mounts a Device only when its filesystem has the UUID derived from this volume', () => {
      expect(decideStage({ ...base, kind: 'Device', signatures: [sig('ext4', volumeFsUuid('v1'))] })).to.deep.equal({ action: 'mount' });
      expectCsiError(() => decideStage({ ...base, kind: 'Device', signatures: [sig('ext4', 'aaaa')] }), status.FAILED_PRECONDITION, /Device \/dev\/sdb carries ext4 \(UUID aaaa\)/, /did not create for this volume/);
      expectCsiError(() => decideStage({ ...base, kind: 'Device', signatures: [sig('ext4', volumeFsUuid('v2'))] }), status.FAILED_PRECONDITION, /did not create/);
    });
    it('refuses another filesystem type, an LVM PV, a partition table, or several signatures, naming them', () => {
      expectCsiError(() => decideStage({ ...base, kind: 'LV', signatures: [sig('xfs', 'u')] }), status.FAILED_PRECONDITION, /carries xfs \(UUID u\) at offset 0x438, not the requested ext4/);
      expectCsiError(() => decideStage({ ...base, kind: 'Device', signatures: [sig('LVM2_member', 'pv')] }), status.FAILED_PRECONDITION, /LVM2_member/);
      expectCsiError(() => decideStage({ ...base, kind: 'Device', signatures: [sig('dos'), sig('PMBR')] }), status.FAILED_PRECONDITION, /several signatures \(dos at offset 0x438; PMBR/);
    });
  });
});
