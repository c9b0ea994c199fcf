import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { readIdentity } from '../../../node-agent/prepare-vg/inspect.js';
import { mkfsUuidArgs, mountPointFsUuid, setUuidHint } from '../../../node-agent/prepare-vg/fs-uuid.js';
import { describeIdentity, identityFromSysfs, parseByIdListing } from '../../../node-agent/prepare-vg/identity.js';
import { decodeTagValue, encodeTagValue, parseRecord, recordTags } from '../../../node-agent/prepare-vg/records.js';

const files = (entries: Record<string, string>) => new Map<string, string | undefined>(Object.entries(entries));

describe('node-agent/prepare-vg identity, records and mount point UUIDs', () => {
  describe('identityFromSysfs', () => {
    it('prefers the block wwid, then the SCSI device wwid', () => {
      expect(identityFromSysfs(files({ wwid: 'naa.5000c500a1b2c3d4\n', 'device/wwid': 'naa.other' }), [])).to.deep.equal({ wwn: 'naa.5000c500a1b2c3d4', byId: [] });
      expect(identityFromSysfs(files({ 'device/wwid': 't10.ATA     Samsung SSD  \n' }), [])).to.deep.equal({ wwn: 't10.ATA Samsung SSD', byId: [] });
    });
    it('skips an all-zero NVMe NGUID for the EUI, and reads the serial', () => {
      expect(identityFromSysfs(files({ nguid: '00000000-0000-0000-0000-000000000000', eui: '0025388b71b2c3d4', 'device/serial': 'S4EVNX0N123456 ' }), [])).to.deep.equal({ wwn: '0025388b71b2c3d4', serial: 'S4EVNX0N123456', byId: [] });
    });
    it('gives a partition its disk\'s identity plus its number, and sorts by-id names', () => {
      expect(identityFromSysfs(files({ serial: 'vd-serial-1' }), ['/dev/disk/by-id/virtio-b', '/dev/disk/by-id/virtio-a'], '2')).to.deep.equal({ serial: 'vd-serial-1-part2', byId: ['/dev/disk/by-id/virtio-a', '/dev/disk/by-id/virtio-b'] });
    });
    it('has nothing for a UML disk (no WWN; its serial reads "(null)", which names no disk)', () => {
      expect(identityFromSysfs(files({}), [])).to.deep.equal({ byId: [] });
      expect(identityFromSysfs(files({ serial: '(null)\n' }), [])).to.deep.equal({ byId: [] });
      expect(identityFromSysfs(files({ 'device/serial': '(null)' }), ['/dev/disk/by-id/virtio-a'])).to.deep.equal({ byId: ['/dev/disk/by-id/virtio-a'] });
      expect(describeIdentity({ byId: [] })).to.equal('no WWN, serial or by-id name');
      expect(describeIdentity({ wwn: 'naa.1', serial: 's', byId: ['/dev/disk/by-id/wwn-0x1'] })).to.equal('WWN naa.1, serial s, /dev/disk/by-id/wwn-0x1');
    });
  });

  it('parses the /dev/disk/by-id listing into kernel name → links', () => {
    const listing = 'wwn-0x5000c500a1b2c3d4 ../../sdb\nata-Disk_X ../../sdb\nata-Disk_X-part1 ../../sdb1\nbroken\n\n';
    expect(Object.fromEntries(parseByIdListing(listing))).to.deep.equal({
      sdb: ['/dev/disk/by-id/wwn-0x5000c500a1b2c3d4', '/dev/disk/by-id/ata-Disk_X'],
      sdb1: ['/dev/disk/by-id/ata-Disk_X-part1'],
    });
  });

  describe('records (LVM tags on PVs)', () => {
    it('writes the configured path, WWN and serial as tags LVM accepts', () => {
      const tags = recordTags({ dev: '/dev/disk/by-path/pci-0000:00:1f.2-ata-1', wwn: 'naa.5000c500a1b2c3d4', serial: 'WD-WX 1%2,3' });
      expect(tags).to.deep.equal(['open-local.dev=/dev/disk/by-path/pci-0000:00:1f.2-ata-1', 'open-local.wwn=naa.5000c500a1b2c3d4', 'open-local.serial=WD-WX&201&252&2c3']);
      for (const t of tags) expect(t).to.match(/^[A-Za-z0-9_+.\-/=!:&#]+$/);
      expect(parseRecord(['open-local', 'other', ...tags])).to.deep.equal({ dev: '/dev/disk/by-path/pci-0000:00:1f.2-ata-1', wwn: 'naa.5000c500a1b2c3d4', serial: 'WD-WX 1%2,3' });
    });
    it('round-trips any value, including & and non-ASCII', () => {
      for (const v of ['/dev/ubda', 'a&b', '&26', 'ü ß\t,', '']) expect(decodeTagValue(encodeTagValue(v))).to.equal(v);
    });
    it('leaves out a value too long for one tag rather than cutting it', () => {
      expect(recordTags({ dev: '/dev/ubda', serial: 'x'.repeat(1100) })).to.deep.equal(['open-local.dev=/dev/ubda']);
    });
    it('reads no record from untagged PVs', () => {
      expect(parseRecord([])).to.deep.equal({});
    });
  });

  describe('mount point filesystem UUID', () => {
    it('is a stable, valid UUID per path', () => {
      const u = mountPointFsUuid('/mnt/open-local/d1');
      expect(u).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(mountPointFsUuid('/mnt/open-local/d1')).to.equal(u);
      expect(mountPointFsUuid('/mnt/open-local/d2')).to.not.equal(u);
    });
    it('is set by mkfs and handed over with tune2fs / xfs_admin', () => {
      expect(mkfsUuidArgs('ext4', 'U')).to.deep.equal(['-U', 'U']);
      expect(mkfsUuidArgs('xfs', 'U')).to.deep.equal(['-m', 'uuid=U']);
      expect(setUuidHint('ext3', '/dev/sdd', 'U')).to.equal('tune2fs -U U /dev/sdd');
      expect(setUuidHint('xfs', '/dev/sdd', 'U')).to.equal('xfs_admin -U U /dev/sdd');
    });
  });
});

describe('node-agent/prepare-vg/inspect readIdentity (a sysfs-shaped tree on disk)', () => {
  let root: string;
  before(() => {
    // As in sysfs: class/block/<name> are symlinks into the device tree, a partition's directory sits in its disk's.
    root = mkdtempSync(join(tmpdir(), 'open-local-sysfs-'));
    const disk = join(root, 'devices', 'pci0', 'host0', 'block', 'sdb');
    mkdirSync(join(disk, 'device'), { recursive: true });
    mkdirSync(join(disk, 'sdb1'));
    writeFileSync(join(disk, 'device', 'wwid'), 'naa.5000c500a1b2c3d4\n');
    writeFileSync(join(disk, 'device', 'serial'), 'ZA1B2C3\n');
    writeFileSync(join(disk, 'sdb1', 'partition'), '1\n');
    mkdirSync(join(root, 'class', 'block'), { recursive: true });
    symlinkSync('../../devices/pci0/host0/block/sdb', join(root, 'class', 'block', 'sdb'));
    symlinkSync('../../devices/pci0/host0/block/sdb/sdb1', join(root, 'class', 'block', 'sdb1'));
  });
  after(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('reads a disk\'s WWN and serial, and its by-id names', async () => {
    expect(await readIdentity(root, '/dev/sdb', new Map([['sdb', ['/dev/disk/by-id/wwn-0x5000c500a1b2c3d4']]]))).to.deep.equal({ wwn: 'naa.5000c500a1b2c3d4', serial: 'ZA1B2C3', byId: ['/dev/disk/by-id/wwn-0x5000c500a1b2c3d4'] });
  });

  it('gives a partition its disk\'s identity through the symlink (not a lexical ..)', async () => {
    expect(await readIdentity(root, '/dev/sdb1', new Map())).to.deep.equal({ wwn: 'naa.5000c500a1b2c3d4-part1', serial: 'ZA1B2C3-part1', byId: [] });
  });

  it('has nothing for a device sysfs does not know', async () => {
    expect(await readIdentity(root, '/dev/ubda', new Map())).to.deep.equal({ byId: [] });
  });
});
