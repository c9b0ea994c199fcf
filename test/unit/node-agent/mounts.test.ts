import { expect } from 'chai';
import { mountPointsUnder, normalizeDir, parseFindmnt, type MountEntry } from '../../../node-agent/discovery/mounts.js';

// Shape of `findmnt --json --list --bytes --output TARGET,SOURCE,FSTYPE,OPTIONS,SIZE,AVAIL` (util-linux 2.38, UML guest).
const FINDMNT = JSON.stringify({
  filesystems: [
    { target: '/', source: '/dev/vda1', fstype: 'ext4', options: 'rw,relatime', size: 270553174016, avail: 78381531136 },
    { target: '/proc', source: 'proc', fstype: 'proc', options: 'rw,relatime', size: 0, avail: 0 },
    { target: '/mnt/open-local', source: 'tmpfs', fstype: 'tmpfs', options: 'rw', size: 1000, avail: 1000 },
    { target: '/mnt/open-local/disk-b', source: '/dev/sdb', fstype: 'xfs', options: 'rw,noatime', size: '1020702720', avail: '950214656' },
    { target: '/mnt/open-local/disk-a', source: '/dev/sda', fstype: 'ext4', options: 'ro,relatime', size: 1020702720, avail: 0 },
    { target: '/mnt/open-local/disk-a/nested', source: '/dev/sdc', fstype: 'ext4', options: 'rw', size: 1, avail: 1 },
    { target: '/mnt/open-local/bind', source: '/dev/sdd[/data/x]', fstype: 'ext4', options: 'rw', size: 5, avail: 3 },
    { target: '/mnt/open-local/disk-b', source: '/dev/sde', fstype: 'ext4', options: 'rw', size: 7, avail: 7 },
    { target: '/mnt/open-local-other/x', source: '/dev/sdf', fstype: 'ext4', options: 'rw', size: 7, avail: 7 },
    { target: '/sys/fs/x', source: 'none', fstype: 'x', options: 'rw', size: null, avail: null },
  ],
});

describe('node-agent/discovery/mounts', () => {
  const mounts = parseFindmnt(FINDMNT);

  it('parses sizes given as numbers or strings, options as a list, null sizes as 0', () => {
    expect(mounts[3]).to.deep.equal({ target: '/mnt/open-local/disk-b', source: '/dev/sdb', isBind: false, fsType: 'xfs', options: ['rw', 'noatime'], size: 1020702720, avail: 950214656 });
    expect(mounts.at(-1)).to.include({ size: 0, avail: 0 });
  });

  it('strips the sub-directory of a bind mount and marks it', () => {
    expect(mounts.find((m) => m.target === '/mnt/open-local/bind')).to.include({ source: '/dev/sdd', isBind: true });
  });

  it('keeps only direct children of the mount root, sorted, the topmost mount of a stacked path winning', () => {
    const under = (root: string): string[] => mountPointsUnder(root, mounts).map((m: MountEntry) => `${m.target}=${m.source}`);
    const want = ['/mnt/open-local/bind=/dev/sdd', '/mnt/open-local/disk-a=/dev/sda', '/mnt/open-local/disk-b=/dev/sde'];
    expect(under('/mnt/open-local')).to.deep.equal(want);
    expect(under('/mnt/open-local/')).to.deep.equal(want);
    expect(under('/nothing')).to.deep.equal([]);
  });

  it('normalises directories', () => {
    expect(normalizeDir('/mnt/open-local/')).to.equal('/mnt/open-local');
    expect(normalizeDir('/mnt//a/./b/')).to.equal('/mnt/a/b');
    expect(normalizeDir('/')).to.equal('/');
  });

  it('rejects output that is not findmnt JSON', () => {
    expect(() => parseFindmnt('TARGET SOURCE')).to.throw(/not JSON/);
    expect(() => parseFindmnt('{}')).to.throw(/no "filesystems" array/);
  });
});
