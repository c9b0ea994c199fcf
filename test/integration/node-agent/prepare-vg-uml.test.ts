// `open-local prepare-vg` and one agent pass on real LVM, inside three User-Mode Linux guests booted in parallel:
// guest/lifecycle.sh (create, no-op, extend, force, mount point, agent discovery + snapshot auto-extension),
// guest/refusals.sh (everything that must be refused, then proof that the disks are byte-for-byte as they were) and
// guest/removal.sh (an untagged Open-Local VG used as is; `--remove` removes only open-local's empty VGs).
// The guests run the real CLI (bin/open-local.js, --host-exec=direct) and write what they saw into a host folder.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { NodeLocalStorageStatus } from '../../../api/generated/types.js';
import { mountPointFsUuid } from '../../../node-agent/prepare-vg/fs-uuid.js';
import { parseResult, type PrepareVgResult, type VgResult } from '../../../node-agent/prepare-vg/result.js';
import { runInUml, type UmlResult } from '../../env/uml.js';

const NODE_BIN = join(process.cwd(), '.tools', 'node', 'bin');
type Row = Record<string, string>;

class GuestOutput {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }
  text(name: string): Promise<string> {
    return readFile(join(this.dir, name), 'utf8');
  }
  async rc(step: string): Promise<number> {
    return Number((await this.text(`${step}.rc`)).trim());
  }
  /** The parsed result file, with the step's log attached to failures for diagnosis. */
  async result(step: string): Promise<PrepareVgResult> {
    const text = await this.text(`${step}.result`).catch(async () => `(no result) ${await this.text(`${step}.log`).catch(() => '')}`);
    const r = parseResult(text);
    if ('invalid' in r) throw new Error(`${step}: ${r.invalid}\n${await this.text(`${step}.log`).catch(() => '')}`);
    // stdout carries the same result (for `kubectl logs`).
    expect((await this.text(`${step}.stdout`)).trim()).to.equal(text);
    return r;
  }
  async rows(file: string, section: 'vg' | 'pv' | 'lv'): Promise<Row[]> {
    const report = (JSON.parse(await this.text(file)) as { report: Record<string, Row[]>[] }).report;
    return report.flatMap((part) => part[section] ?? []);
  }
  async vg(step: string, name: string): Promise<Row | undefined> {
    return (await this.rows(`${step}.vgs.json`, 'vg')).find((v) => v.vg_name === name);
  }
  async log(step: string): Promise<string> {
    return this.text(`${step}.log`).catch(() => '(no log)');
  }
}

const vgOf = (r: PrepareVgResult, name: string): VgResult => {
  const vg = r.volumeGroups.find((v) => v.name === name);
  if (!vg) throw new Error(`no VG ${name} in ${JSON.stringify(r)}`);
  return vg;
};

describe('prepare-vg and the agent on real LVM (UML)', function () {
  this.timeout(300_000);
  let a: GuestOutput;
  let b: GuestOutput;
  let c: GuestOutput;
  const guests: UmlResult[] = [];

  before(async function () {
    a = new GuestOutput(await mkdtemp(join(tmpdir(), 'open-local-uml-a-')));
    b = new GuestOutput(await mkdtemp(join(tmpdir(), 'open-local-uml-b-')));
    c = new GuestOutput(await mkdtemp(join(tmpdir(), 'open-local-uml-c-')));
    // A guest that fails or hangs names the step it was in (guest/common.sh's trace) and that step's log.
    const run = (script: string, out: GuestOutput, disks: { size: string; rotational?: boolean }[]) =>
      runInUml({ disks, command: { script: `test/integration/node-agent/guest/${script}` }, env: { OUT: out.dir, NODE_BIN }, timeoutMs: 280_000 }).catch(
        async (err: unknown) => {
          const trace = await out.text('trace').catch(() => '(no trace)');
          const last = /prepare-vg (\S+)\s*$/.exec(trace.trim())?.[1];
          const log = last === undefined ? '' : `\n--- ${last}.log ---\n${await out.log(last)}`;
          throw new Error(`${script}: ${String(err)}\n--- steps (guest uptime, step) ---\n${trace}${log}`, { cause: err });
        },
      );
    const started = Date.now();
    guests.push(
      ...(await Promise.all([
        run('lifecycle.sh', a, [{ size: '1G' }, { size: '1G', rotational: true }, { size: '1G' }, { size: '512M' }, { size: '512M' }, { size: '256M' }]),
        run('refusals.sh', b, [{ size: '512M' }, { size: '512M' }, { size: '512M' }, { size: '256M' }, { size: '256M' }, { size: '256M' }, { size: '256M' }]),
        run('removal.sh', c, [{ size: '256M' }, { size: '256M' }, { size: '512M' }, { size: '256M' }, { size: '256M' }, { size: '256M' }, { size: '256M' }]),
      ])),
    );
    console.log(`      (three UML guests ran in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  });

  after(async function () {
    await Promise.all([a, b, c].filter(Boolean).map((g) => rm(g.dir, { recursive: true, force: true })));
  });

  describe('lifecycle', () => {
    it('creates a VG over two disks (one named by /dev/disk/by-id), tagged open-local, and a mount point', async () => {
      const r = await a.result('create');
      expect(await a.rc('create'), await a.log('create')).to.equal(0);
      expect(vgOf(r, 'pool0')).to.deep.include({ state: 'Created', devices: ['/dev/ubda', '/dev/ubdb'], message: '' });
      expect(Number(vgOf(r, 'pool0').size)).to.be.greaterThan(2 * 1000 * 2 ** 20);
      expect(r.mountPoints).to.deep.equal([{ path: '/mnt/open-local/mp0', device: '/dev/ubdf', state: 'Created', message: '', fsUuid: mountPointFsUuid('/mnt/open-local/mp0') }]);
      expect(await a.vg('create', 'pool0')).to.include({ vg_tags: 'open-local', pv_count: '2' });
    });

    it('changes nothing on a second run and reports Ready (vg_seqno and PV UUIDs unchanged)', async () => {
      const r = await a.result('again');
      expect(await a.rc('again'), await a.log('again')).to.equal(0);
      expect(vgOf(r, 'pool0').state).to.equal('Ready');
      expect(r.mountPoints[0]?.state).to.equal('Ready');
      expect((await a.vg('again', 'pool0'))?.vg_seqno).to.equal((await a.vg('create', 'pool0'))?.vg_seqno);
      expect(await a.rows('again.pvs.json', 'pv')).to.deep.equal(await a.rows('create.pvs.json', 'pv'));
    });

    it('extends the VG with a third disk, then is a no-op again', async () => {
      const r = await a.result('extend');
      expect(await a.rc('extend'), await a.log('extend')).to.equal(0);
      expect(vgOf(r, 'pool0')).to.deep.include({ state: 'Extended', devices: ['/dev/ubda', '/dev/ubdb', '/dev/ubdc'] });
      expect((await a.vg('extend', 'pool0'))?.pv_count).to.equal('3');
      const again = await a.result('extend-again');
      expect(vgOf(again, 'pool0').state).to.equal('Ready');
      expect((await a.vg('extend-again', 'pool0'))?.vg_seqno).to.equal((await a.vg('extend', 'pool0'))?.vg_seqno);
    });

    it('wipes and uses forced devices (an ext4 disk and a partitioned disk), and never wipes them again', async () => {
      const r = await a.result('force');
      expect(await a.rc('force'), await a.log('force')).to.equal(0);
      expect(vgOf(r, 'pool-forced')).to.deep.include({ state: 'Created', devices: ['/dev/ubdd', '/dev/ubde'] });
      expect(await a.log('force')).to.include('FORCED: DESTROYING every signature on this device');
      const types = async (file: string) => (JSON.parse(await a.text(file)) as { signatures: { type: string }[] }).signatures.map((s) => s.type);
      expect(await types('forced-d.wipefs.json')).to.deep.equal(['LVM2_member']);
      expect(await types('forced-e.wipefs.json')).to.deep.equal(['LVM2_member']);
      expect(await a.text('forced-partitions.before')).to.match(/ubde1/);
      expect(await a.text('forced-partitions.after')).to.not.match(/ubde1/);
      const again = await a.result('force-again');
      expect(await a.rc('force-again')).to.equal(0);
      expect(vgOf(again, 'pool-forced').state).to.equal('Ready');
      expect(await a.log('force-again')).to.not.include('DESTROYING');
      expect((await a.vg('force-again', 'pool-forced'))?.vg_seqno).to.equal((await a.vg('force', 'pool-forced'))?.vg_seqno);
    });

    it('formats the mount point with the open-local label and mounts it with its options', async () => {
      const mounted = (JSON.parse(await a.text('mp0.findmnt.json')) as { filesystems: { source: string; fstype: string; options: string }[] }).filesystems[0];
      expect(mounted).to.include({ source: '/dev/ubdf', fstype: 'ext4' });
      expect(mounted?.options).to.match(/noatime/);
      expect(await a.text('mp0.blkid')).to.match(/^LABEL=open-local$/m).and.to.match(/^TYPE=ext4$/m).and.to.include(`UUID=${mountPointFsUuid('/mnt/open-local/mp0')}\n`);
    });
  });

  describe('agent pass on the prepared node', () => {
    let status: NodeLocalStorageStatus;
    let extended: number;
    let specDevices: Record<string, string | null>;
    let firstDevices: [string, string][];
    before(async function () {
      expect(await a.rc('agent-pass'), await a.text('agent-pass.log')).to.equal(0);
      ({ status, extended, specDevices, firstDevices } = JSON.parse(await a.text('agent-pass.json')) as {
        status: NodeLocalStorageStatus;
        extended: number;
        specDevices: Record<string, string | null>;
        firstDevices: [string, string][];
      });
    });

    it('discovers the six virtual disks with sizes, read-only flags and the rotational mix', () => {
      expect(status.nodeStorageInfo?.deviceInfo?.map((d) => [d.name, d.total, d.readOnly])).to.deep.equal([
        ['/dev/ubda', 2 ** 30, false],
        ['/dev/ubdb', 2 ** 30, false],
        ['/dev/ubdc', 2 ** 30, false],
        ['/dev/ubdd', 512 * 2 ** 20, false],
        ['/dev/ubde', 512 * 2 ** 20, false],
        ['/dev/ubdf', 256 * 2 ** 20, false],
      ]);
      // The first discovery of the pass, before LVM opened the disks (UML resets rotational on open: see lifecycle.sh).
      expect(firstDevices).to.deep.equal([
        ['/dev/ubda', 'ssd'],
        ['/dev/ubdb', 'hdd'],
        ['/dev/ubdc', 'ssd'],
        ['/dev/ubdd', 'ssd'],
        ['/dev/ubde', 'ssd'],
        ['/dev/ubdf', 'ssd'],
      ]);
      expect(specDevices['/dev/disk/by-id/virtio-open-local-a']).to.equal('/dev/ubda');
    });

    it('reports VGs with PVs, LVs and allocatable (foreign and snapshot LVs subtracted, 50% reserved)', () => {
      const vgs = status.nodeStorageInfo?.volumeGroups ?? [];
      const pool0 = vgs.find((v) => v.name === 'pool0');
      expect(pool0?.physicalVolumes).to.deep.equal(['/dev/ubda', '/dev/ubdb', '/dev/ubdc']);
      const lvs = new Map((pool0?.logicalVolumes ?? []).map((l) => [l.name, l.total]));
      expect([...lvs.keys()]).to.deep.equal(['backup', 'local-origin', 'mysnap', 'snap-test']);
      const foreignAndSnapshots = (lvs.get('backup') ?? 0) + (lvs.get('mysnap') ?? 0) + (lvs.get('snap-test') ?? 0);
      expect(pool0?.allocatable).to.equal((pool0?.total ?? 0) - foreignAndSnapshots);
      const forced = vgs.find((v) => v.name === 'pool-forced');
      expect(forced?.allocatable).to.equal(Math.floor((forced?.total ?? 0) / 2));
    });

    it('auto-extends the open-local snapshot past its threshold, and only that one', async () => {
      expect(extended).to.equal(1);
      const size = async (step: string, lv: string) => Number((await a.rows(`${step}.lvs.json`, 'lv')).find((l) => l.lv_name === lv)?.lv_size);
      expect(Number((await a.rows('before-pass.lvs.json', 'lv')).find((l) => l.lv_name === 'snap-test')?.snap_percent)).to.be.greaterThan(50);
      expect(await size('after-pass', 'snap-test')).to.equal((await size('before-pass', 'snap-test')) + 8 * 2 ** 20);
      expect(await size('after-pass', 'mysnap')).to.equal(await size('before-pass', 'mysnap'));
    });

    it('lists the mount point and offers no in-use disk as a Device volume', () => {
      expect(status.nodeStorageInfo?.mountPoints?.map((m) => [m.name, m.device, m.fsType, m.condition])).to.deep.equal([['/mnt/open-local/mp0', '/dev/ubdf', 'ext4', 'DiskReady']]);
      expect(status.filteredStorageInfo?.volumeGroups).to.deep.equal(['pool-forced', 'pool0']);
      expect(status.filteredStorageInfo?.devices).to.deep.equal([]);
      expect(status.nodeStorageInfo?.state).to.include({ type: 'DiskReady', reason: 'Healthy' });
    });
  });

  describe('refusals', () => {
    let r: PrepareVgResult;
    before(async function () {
      r = await b.result('refuse');
    });

    it('exits 1 and refuses every unsafe VG and mount point, saying why', async () => {
      expect(await b.rc('refuse'), await b.log('refuse')).to.equal(1);
      const want: [string, RegExp][] = [
        ['pool-ext4', /\/dev\/ubda has a ext4 signature \(label "data"\) \(list it in forceDevices/],
        ['pool-partitioned', /\/dev\/ubdb has partitions \/dev\/ubdb1, \/dev\/ubdb2; has a dos signature/],
        // vgforeign is named in this config too, so its PV is guarded (never forceable), not merely "a PV of another VG".
        ['pool-foreign-pv', /\/dev\/ubdc is in use by \/dev\/mapper\/vgforeign-home; is a physical volume of volume group vgforeign, which the config names \(move it out with vgreduce first\); has a LVM2_member signature/],
        ['vgforeign', /volume group vgforeign exists but was not created by open-local/],
        ['pool-mixed', /\/dev\/ubdg has a ext2 signature .*no device of volume group pool-mixed was touched/],
      ];
      for (const [name, message] of want) expect(vgOf(r, name), name).to.include({ state: 'Refused' }).and.to.have.property('message').that.matches(message);
      expect(r.mountPoints[0]).to.include({ state: 'Refused' }).and.to.have.property('message').that.matches(/\/dev\/ubdf has a ext4 signature \(label "theirs"\) \(set force: true/);
    });

    it('(a) leaves the ext4 disk and its file intact (sha256 equal)', async () => {
      const before = (await b.text('file.before')).trim();
      expect(before).to.match(/^[0-9a-f]{64}$/);
      expect((await b.text('file.after')).trim()).to.equal(before);
    });

    it('(b) leaves the partition table and the partition data intact', async () => {
      expect((await b.text('mbr.after')).trim()).to.equal((await b.text('mbr.before')).trim());
      expect(await b.text('partx.after')).to.equal(await b.text('partx.before'));
      expect(await b.text('partx.after')).to.match(/^\s*1\s+2048\s+206847\s+204800/m);
      expect((await b.text('note.after')).trim()).to.equal('partition data');
    });

    it('(c) leaves the foreign VG, its LV and filesystem intact (vg_seqno unchanged)', async () => {
      const before = await b.vg('before', 'vgforeign');
      const after = await b.vg('after', 'vgforeign');
      expect(after).to.deep.equal(before);
      expect(after?.vg_tags).to.equal('');
      expect((await b.rows('after.lvs.json', 'lv')).map((l) => `${l.vg_name}/${l.lv_name}`)).to.deep.equal(['vgforeign/home']);
      expect(await b.text('home.blkid')).to.match(/^TYPE=ext4$/m);
    });

    it('creates no VG or PV at all and puts no label on the clean disks of refused VGs', async () => {
      expect((await b.rows('after.vgs.json', 'vg')).map((v) => v.vg_name)).to.deep.equal(['vgforeign']);
      expect((await b.rows('after.pvs.json', 'pv')).map((p) => p.pv_name)).to.deep.equal(['/dev/ubdc']);
      for (const clean of ['ubdd', 'ubde']) expect(JSON.parse(await b.text(`${clean}.wipefs.after.json`)), clean).to.deep.equal({ signatures: [] });
      const label = (JSON.parse(await b.text('ubdf.wipefs.after.json')) as { signatures: { type: string; label: string }[] }).signatures;
      expect(label.map((s) => [s.type, s.label])).to.deep.equal([['ext4', 'theirs']]);
      expect((await b.text('mp1.created')).trim()).to.equal('1');
    });

    it('exits 2 on a bad config and reports the error in the result', async () => {
      expect(await b.rc('bad-config')).to.equal(2);
      const bad = await b.result('bad-config');
      expect(bad.error).to.match(/invalid OPEN_LOCAL_INIT_CONFIG: config\.vgs\[0\]\.name/);
      expect(bad.volumeGroups).to.deep.equal([]);
    });
  });

  describe('an Open-Local VG without the open-local tag (upgrade compatibility)', () => {
    it('is Ready "used as is" when it has every listed device, and is not written to (vg_seqno unchanged, no tag)', async () => {
      const r = await c.result('compat');
      expect(await c.rc('compat'), await c.log('compat')).to.equal(0);
      expect(vgOf(r, 'legacy')).to.deep.include({
        state: 'Ready',
        devices: ['/dev/ubdd', '/dev/ubde'],
        message: 'existing volume group used as is; it is not tagged open-local, so open-local will never extend or remove it (run `vgchange --addtag open-local legacy` to let it)',
      });
      const before = await c.vg('legacy-before', 'legacy');
      expect(before).to.include({ vg_tags: '', pv_count: '2' });
      expect(await c.vg('compat', 'legacy')).to.deep.equal(before);
    });

    it('is Refused, with the addtag hint, when it would need a new device; nothing is written', async () => {
      const r = await c.result('compat-extend');
      expect(await c.rc('compat-extend'), await c.log('compat-extend')).to.equal(1);
      expect(vgOf(r, 'legacy')).to.deep.include({ state: 'Refused', devices: ['/dev/ubdd', '/dev/ubde'] });
      expect(vgOf(r, 'legacy').message).to.match(/not created by open-local \(no "open-local" tag\) and \/dev\/ubdf is not one of its physical volumes; .*vgchange --addtag open-local legacy/);
      expect(await c.vg('compat-extend', 'legacy')).to.deep.equal(await c.vg('legacy-before', 'legacy'));
      expect(JSON.parse(await c.text('ubdf.wipefs.json'))).to.deep.equal({ signatures: [] });
    });
  });

  describe('--remove (cleanup policy RemoveVolumeGroups)', () => {
    let r: PrepareVgResult;
    before(async function () {
      r = await c.result('remove');
    });

    it('exits 1 (refusals) and reports each VG: Removed, Refused (LV), Refused (untagged), Removed (not present); no mount point', async () => {
      expect(await c.rc('remove'), await c.log('remove')).to.equal(1);
      expect(r.volumeGroups.map((v) => [v.name, v.state, v.message])).to.deep.equal([
        ['pool-empty', 'Removed', ''],
        ['pool-data', 'Refused', 'holds 1 logical volume: local-data; delete their PersistentVolumes first'],
        ['legacy', 'Refused', 'not created by open-local (no "open-local" tag); left alone'],
        ['never-made', 'Removed', 'not present'],
      ]);
      expect(vgOf(r, 'pool-empty').devices).to.deep.equal(['/dev/ubda', '/dev/ubdb']);
      expect(r.mountPoints).to.deep.equal([]);
      expect(await c.log('remove')).to.include('REMOVED volume group');
    });

    it('removes the tagged empty VG and leaves both disks without any LVM label (wipefs and pvs find nothing)', async () => {
      expect((await c.rows('after-remove.vgs.json', 'vg')).map((v) => v.vg_name).sort()).to.deep.equal(['legacy', 'pool-data']);
      for (const d of ['ubda', 'ubdb']) {
        const before = (JSON.parse(await c.text(`${d}.wipefs.before.json`)) as { signatures: { type: string }[] }).signatures.map((s) => s.type);
        expect(before, d).to.deep.equal(['LVM2_member']);
        expect(JSON.parse(await c.text(`${d}.wipefs.after.json`)), d).to.deep.equal({ signatures: [] });
        expect(await c.text(`${d}.wipefs.after.txt`), d).to.equal('');
      }
      expect((await c.rows('after-remove.pvs.json', 'pv')).map((p) => p.pv_name).sort()).to.deep.equal(['/dev/ubdc', '/dev/ubdd', '/dev/ubde']);
      expect(await c.rc('pvs.removed')).to.equal(5);
      expect(await c.text('pvs.removed.txt')).to.equal('');
    });

    it('leaves the VG with an LV as it was: LV, vg_seqno and the file\'s sha256 unchanged', async () => {
      expect(await c.vg('after-remove', 'pool-data')).to.deep.equal(await c.vg('before-remove', 'pool-data'));
      const lvs = (step: string) => c.rows(`${step}.lvs.json`, 'lv');
      expect((await lvs('after-remove')).filter((l) => l.vg_name === 'pool-data')).to.deep.equal((await lvs('before-remove')).filter((l) => l.vg_name === 'pool-data'));
      expect((await lvs('after-remove')).map((l) => `${l.vg_name}/${l.lv_name}`)).to.deep.equal(['pool-data/local-data']);
      const sha = (await c.text('file.before')).trim();
      expect(sha).to.match(/^[0-9a-f]{64}$/);
      expect((await c.text('file.after')).trim()).to.equal(sha);
    });

    it('leaves the untagged VG as it was (vg_seqno unchanged, still untagged)', async () => {
      expect(await c.vg('after-remove', 'legacy')).to.deep.equal(await c.vg('legacy-before', 'legacy'));
      expect((await c.rows('after-remove.pvs.json', 'pv')).filter((p) => p.vg_name === 'legacy').map((p) => p.pv_name)).to.deep.equal(['/dev/ubdd', '/dev/ubde']);
    });

    it('does not touch the mount point in the config (still mounted, its file there)', async () => {
      expect((JSON.parse(await c.text('mp-keep.findmnt.json')) as { filesystems: { source: string }[] }).filesystems.map((f) => f.source)).to.deep.equal(['/dev/ubdg']);
      expect((await c.text('mp-keep.note')).trim()).to.equal('kept');
    });

    it('is a no-op on a second run: exit 0, Removed "not present", LVM unchanged', async () => {
      const again = await c.result('remove-again');
      expect(await c.rc('remove-again'), await c.log('remove-again')).to.equal(0);
      expect(again.volumeGroups.map((v) => [v.name, v.state, v.devices, v.message])).to.deep.equal([
        ['pool-empty', 'Removed', [], 'not present'],
        ['never-made', 'Removed', [], 'not present'],
      ]);
      expect(again.mountPoints).to.deep.equal([]);
      expect(await c.rows('remove-again.vgs.json', 'vg')).to.deep.equal(await c.rows('after-remove.vgs.json', 'vg'));
      expect(await c.rows('remove-again.pvs.json', 'pv')).to.deep.equal(await c.rows('after-remove.pvs.json', 'pv'));
    });

    it('leaves the disks free: prepare-vg creates the VG on them again without forceDevices', async () => {
      const again = await c.result('recreate');
      expect(await c.rc('recreate'), await c.log('recreate')).to.equal(0);
      expect(vgOf(again, 'pool-empty')).to.deep.include({ state: 'Created', devices: ['/dev/ubda', '/dev/ubdb'] });
      expect(await c.log('recreate')).to.not.include('DESTROYING');
    });

    it('(LVM itself) refuses vgremove without --force of a VG holding an LV, the net under a race', async () => {
      expect(await c.rc('safety-net')).to.equal(5);
      expect(await c.text('safety-net.out')).to.match(/containing 1 logical volumes\? \[y\/n\]: \[n\]/).and.to.match(/not removed/);
      expect(await c.vg('safety-net', 'pool-data')).to.deep.equal(await c.vg('before-remove', 'pool-data'));
    });
  });

  it('ran all three guest scripts to the end', () => {
    for (const g of guests) expect(g.exitCode, g.output).to.equal(0);
  });
});
