// Real LVM inside a User-Mode Linux guest: the harness the node-agent tests build on.
import { expect } from 'chai';
import { runInUml } from '../../env/uml.js';

describe('UML guest with real LVM', function () {
  this.timeout(180_000);

  it('creates a VG over two disks, grows a mounted ext4 LV online and keeps its data', async () => {
    const script = `
set -eu
pvcreate -q /dev/ubda /dev/ubdb
vgcreate -q vg0 /dev/ubda /dev/ubdb
lvcreate -q -y -L 600M -n lv0 vg0
mkfs.ext4 -q /dev/vg0/lv0
mkdir -p /run/mnt && mount /dev/vg0/lv0 /run/mnt
echo "hello from lvm" > /run/mnt/data.txt && sync
echo "BEFORE $(df -B1 --output=size /run/mnt | tail -n 1)"
lvextend -q -r -L +800M vg0/lv0 >/dev/null
echo "AFTER $(df -B1 --output=size /run/mnt | tail -n 1)"
echo "DATA $(cat /run/mnt/data.txt)"
echo "DEVICES $(lvs --noheadings -o devices vg0/lv0 | tr -d ' \\n')"
umount /run/mnt && vgchange -q -an vg0 >/dev/null
`;
    const r = await runInUml({
      disks: [{ size: '1G' }, { size: '1G' }],
      command: ['sh', '-c', script],
      timeoutMs: 120_000,
    });
    expect(r.exitCode, r.output).to.equal(0);
    const field = (key: string): string => {
      const m = new RegExp(`^${key} (.*)$`, 'm').exec(r.output);
      expect(m, `${key} in output:\n${r.output}`).to.not.equal(null);
      return m?.[1]?.trim() ?? '';
    };
    const before = Number(field('BEFORE'));
    const after = Number(field('AFTER'));
    expect(before).to.be.greaterThan(500 * 2 ** 20);
    expect(after - before).to.be.greaterThan(700 * 2 ** 20);
    expect(field('DATA')).to.equal('hello from lvm');
    // 600M + 800M does not fit on one 1G disk: the LV now spans both PVs.
    expect(field('DEVICES')).to.match(/ubda/).and.to.match(/ubdb/);
  });

  it('reports each disk as SSD or HDD as asked', async () => {
    const r = await runInUml({
      disks: [{ size: '256M' }, { size: '256M', rotational: true }],
      command: ['sh', '-c', 'cat /sys/block/ubda/queue/rotational /sys/block/ubdb/queue/rotational; lsblk -dn -o NAME,ROTA'],
      timeoutMs: 60_000,
    });
    expect(r.exitCode, r.output).to.equal(0);
    const lines = r.output.trim().split('\n').map((l) => l.trim().replace(/\s+/g, ' '));
    expect(lines).to.deep.equal(['0', '1', 'ubda 0', 'ubdb 1']);
  });

  it('returns the exit code and output of a failing command, with cwd and env preserved', async () => {
    const r = await runInUml({
      command: ['sh', '-c', 'echo "cwd=$(pwd) x=$X"; echo oops >&2; exit 7'],
      env: { X: "a 'quoted' value" },
      timeoutMs: 60_000,
    });
    expect(r.exitCode).to.equal(7);
    expect(r.output).to.include(`cwd=${process.cwd()} x=a 'quoted' value`).and.to.include('oops');
  });
});
