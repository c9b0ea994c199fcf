import { expect } from 'chai';
import { DISK_NAME, parseSectors, readBlockDevices, writeStamp } from '../../../node-agent/discovery/sysfs.js';
import { sysfsFixture } from './fixtures.js';

describe('node-agent/discovery/sysfs', () => {
  it('finds disks and partitions of every family with size, media and read-only flag', async () => {
    const devices = await readBlockDevices(sysfsFixture('mixed'));
    expect(devices.map((d) => [d.name, d.mediaType, d.size, d.readOnly, d.parent ?? '-'])).to.deep.equal([
      ['/dev/nvme0n1', 'ssd', 1000215216 * 512, false, '-'],
      ['/dev/nvme0n1p1', 'ssd', 1048576 * 512, false, '/dev/nvme0n1'],
      ['/dev/nvme0n1p2', 'ssd', 999164592 * 512, true, '/dev/nvme0n1'],
      ['/dev/nvme1n1', 'ssd', 2000409264 * 512, false, '-'],
      ['/dev/sda', 'hdd', 1953525168 * 512, false, '-'],
      ['/dev/sda1', 'hdd', 1048576 * 512, false, '/dev/sda'],
      ['/dev/sda2', 'hdd', 1952474511 * 512, false, '/dev/sda'],
      ['/dev/sdb', 'ssd', 20971520 * 512, false, '-'],
      ['/dev/ubda', 'ssd', 2097152 * 512, false, '-'],
      ['/dev/vdb', 'hdd', 4194304 * 512, true, '-'],
      ['/dev/xvdc', 'ssd', 8388608 * 512, false, '-'],
    ]);
  });

  it('lists partitions on their disk and holders where sysfs has them', async () => {
    const devices = await readBlockDevices(sysfsFixture('mixed'));
    const byName = new Map(devices.map((d) => [d.name, d]));
    expect(byName.get('/dev/sda')?.partitions).to.deep.equal(['/dev/sda1', '/dev/sda2']);
    expect(byName.get('/dev/nvme0n1')?.partitions).to.deep.equal(['/dev/nvme0n1p1', '/dev/nvme0n1p2']);
    expect(byName.get('/dev/sda1')?.partitions).to.deep.equal([]);
    expect(byName.get('/dev/sdb')?.holders).to.deep.equal(['dm-0']);
    expect(byName.get('/dev/nvme1n1')?.holders).to.deep.equal([]);
  });

  it('skips loop, ram, dm, zram, sr, md, nbd, mmcblk, NVMe multipath paths and size-0 disks', async () => {
    const names = (await readBlockDevices(sysfsFixture('mixed'))).map((d) => d.kernelName);
    for (const skipped of ['loop0', 'ram0', 'dm-0', 'zram0', 'sr0', 'md0', 'nbd0', 'mmcblk0', 'nvme0c0n1', 'sdc', 'sdafoo']) expect(names).to.not.include(skipped);
    expect(await readBlockDevices(sysfsFixture('empty'))).to.deep.equal([]);
  });

  it('fails when the sysfs root has no block directory (wrong --sysfs)', async () => {
    let error: unknown;
    await readBlockDevices(sysfsFixture('does-not-exist')).catch((err: unknown) => (error = err));
    expect(String(error)).to.match(/ENOENT/);
  });

  const names: [string, boolean][] = [
    ['sda', true], ['sdaa', true], ['vdb', true], ['xvdc', true], ['ubda', true], ['nvme0n1', true], ['nvme12n3', true],
    ['sda1', false], ['nvme0n1p1', false], ['nvme0c0n1', false], ['loop0', false], ['dm-0', false], ['hda', false], ['sr0', false],
  ];
  for (const [name, want] of names) {
    it(`${want ? 'accepts' : 'rejects'} ${name} as a disk name`, () => {
      expect(DISK_NAME.test(name)).to.equal(want);
    });
  }

  it('stamps devices with size, diskseq (a partition: its disk\'s) and the write and discard counters of stat', async () => {
    const byName = new Map((await readBlockDevices(sysfsFixture('mixed'))).map((d) => [d.name, d.writeStamp]));
    expect(byName.get('/dev/nvme1n1')).to.equal(`${2000409264 * 512}:7:921345:48217790:10231:419430400`);
    expect(byName.get('/dev/sda1')).to.equal(`${1048576 * 512}:3:3:24:-:-`);
    expect(byName.get('/dev/sdb'), 'no stat: no stamp, so never cached').to.equal(undefined);
    expect(byName.get('/dev/xvdc'), 'a stat, but I/O accounting off (queue/iostats 0): its counters stand still').to.equal(undefined);
  });

  it('moves the stamp on a write or a discard, not on a read; none from a garbled stat', () => {
    const stat = (reads: number, writes: number, discards: number) => `${reads} 0 ${reads * 8} 1 ${writes} 0 ${writes * 8} 1 0 1 1 ${discards} 0 ${discards * 8} 1 0 0`;
    expect(writeStamp(512, stat(5, 1, 0), '1')).to.equal(writeStamp(512, stat(900, 1, 0), '1'));
    expect(writeStamp(512, stat(5, 2, 0), '1')).to.not.equal(writeStamp(512, stat(5, 1, 0), '1'));
    expect(writeStamp(512, stat(5, 1, 1), '1')).to.not.equal(writeStamp(512, stat(5, 1, 0), '1'));
    expect(writeStamp(512, stat(5, 1, 0), '2'), 'a new medium').to.not.equal(writeStamp(512, stat(5, 1, 0), '1'));
    expect(writeStamp(1024, stat(5, 1, 0), '1'), 'resized').to.not.equal(writeStamp(512, stat(5, 1, 0), '1'));
    expect(writeStamp(512, '1 2 3', '1')).to.equal(undefined);
    expect(writeStamp(512, 'a b c d e f g h i j k', '1')).to.equal(undefined);
    expect(writeStamp(512, undefined, '1')).to.equal(undefined);
  });

  it('reads sizes as 512-byte sectors and rejects garbage', () => {
    expect(parseSectors('2048', 'x')).to.equal(1048576);
    expect(() => parseSectors('12a', 'x/size')).to.throw(/x\/size: size "12a"/);
  });
});
