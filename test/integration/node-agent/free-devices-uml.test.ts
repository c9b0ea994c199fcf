// The agent's free devices on real disks, inside a User-Mode Linux guest (guest/free-devices.sh): of an ext4 disk,
// an LVM PV, an active swap area, a partitioned disk, a mounted disk, a disk resourceToBeInited names and one blank
// disk, only the blank one is offered; the agent's probes change no byte; the probe cache skips unchanged disks and
// notices a new filesystem.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { runInUml } from '../../env/uml.js';

const NODE_BIN = join(process.cwd(), '.tools', 'node', 'bin');

interface Pass {
  readonly offered: string[];
  readonly inUse: Record<string, string | null>;
  readonly probed: string[];
  readonly swaps: string[];
}

describe('free devices on real disks (UML)', function () {
  this.timeout(300_000);
  let out: string;
  let passes: Pass[];
  const text = (name: string) => readFile(join(out, name), 'utf8');

  before(async function () {
    out = await mkdtemp(join(tmpdir(), 'open-local-uml-free-'));
    const disks = [{ size: '64M' }, { size: '64M' }, { size: '64M' }, { size: '256M' }, { size: '64M' }, { size: '64M' }, { size: '64M' }];
    const r = await runInUml({ disks, command: { script: 'test/integration/node-agent/guest/free-devices.sh' }, env: { OUT: out, NODE_BIN }, timeoutMs: 280_000 });
    expect(r.exitCode, r.output).to.equal(0);
    expect(Number((await text('passes.rc')).trim()), await text('passes.log')).to.equal(0);
    passes = JSON.parse(await text('passes.json')) as Pass[];
    expect(passes).to.have.length(3);
  });

  after(async function () {
    await rm(out, { recursive: true, force: true });
  });

  it('offers only the blank disk, and says why each other device is in use', () => {
    const [first] = passes;
    expect(first?.offered).to.deep.equal(['/dev/ubdg']);
    expect(first?.inUse).to.deep.equal({
      '/dev/ubda': 'has signatures: ext4',
      '/dev/ubdb': 'is an LVM physical volume',
      '/dev/ubdc': 'is active swap',
      '/dev/ubdd': 'has partitions (/dev/ubdd1, /dev/ubdd2)',
      '/dev/ubdd1': 'has signatures: ext4',
      '/dev/ubdd2': 'has signatures: ext2',
      '/dev/ubde': 'is mounted',
      '/dev/ubdf': 'is named in resourceToBeInited',
      '/dev/ubdg': null,
    });
    expect(first?.swaps).to.deep.equal(['/dev/ubdc']);
  });

  it('probes only the devices the cheap checks leave, and not again while they are unchanged', () => {
    expect(passes[0]?.probed).to.deep.equal(['/dev/ubda', '/dev/ubdd1', '/dev/ubdd2', '/dev/ubdg']);
    expect(passes[1]?.probed).to.deep.equal([]);
    expect(passes[1]?.offered).to.deep.equal(['/dev/ubdg']);
  });

  it('re-probes a disk once it was written, and stops offering it when it holds a filesystem', () => {
    expect(passes[2]?.probed).to.deep.equal(['/dev/ubdg']);
    expect(passes[2]?.offered).to.deep.equal([]);
    expect(passes[2]?.inUse['/dev/ubdg']).to.equal('has signatures: ext4');
  });

  it('changes no byte of any disk it looked at (sha256 before and after two passes)', async () => {
    const before = await text('sha.before');
    expect(before.trim().split('\n')).to.have.length(5);
    expect(await text('sha.after')).to.equal(before);
  });
});
