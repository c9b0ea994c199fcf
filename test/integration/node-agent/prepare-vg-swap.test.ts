// The reproduced data loss, on real LVM: VG pool0 built on a forced disk name, mount point mp-a formatted on a forced
// disk name; after a "reboot" the names point to other disks that hold data. The same config run again must refuse
// both (exit 1) and leave those disks byte-for-byte as they were (sha256), and a config that names the disks where they
// are now finds them (Ready, nothing formatted, the mount point's file intact). A VG made by an older open-local (no
// records on its PVs) gets its records on the next run, and is then protected the same way.
//
// Runs the real CLI (--host-exec=direct) over loop devices on this machine: device names really move (the backing
// files are detached and attached again in another order). LVM is confined to those loop devices by a private
// LVM_SYSTEM_DIR (filter, locking_dir), so no other device is read or written; the mount lands under a temp dir.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parseResult, type PrepareVgResult } from '../../../node-agent/prepare-vg/result.js';
import { mountPointFsUuid } from '../../../node-agent/prepare-vg/fs-uuid.js';

const tmp = mkdtempSync(join(tmpdir(), 'open-local-prepare-vg-swap-'));
const lvmDir = join(tmp, 'lvm');
const mpA = join(tmp, 'mp-a');
const sh = (argv: string[], env: NodeJS.ProcessEnv = {}): string => execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { ...process.env, LVM_SYSTEM_DIR: lvmDir, LVM_SUPPRESS_FD_WARNINGS: '1', ...env } });
const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');
/** Disk images: x (forced into pool0 at first), y (precious ext4), m1 (mount point mp-a at first), m2 (precious ext4). */
const img = (name: string) => join(tmp, `${name}.img`);
const attached = new Map<string, string>();

/** Attaches a loop device and lets LVM see exactly the attached loop devices (and nothing else on this machine). */
function attach(file: string, device?: string): string {
  const dev = device === undefined ? sh(['losetup', '--find', '--show', file]).trim() : (sh(['losetup', device, file]), device);
  attached.set(dev, file);
  mkdirSync(join(lvmDir, 'locks'), { recursive: true });
  const accept = [...attached.keys()].map((n) => `"a|^${n}$|"`).join(', ');
  writeFileSync(join(lvmDir, 'lvm.conf'), `global {\n  locking_dir = "${join(lvmDir, 'locks')}"\n}\ndevices {\n  filter = [ ${accept}, "r|.*|" ]\n  obtain_device_list_from_udev = 0\n}\n`);
  return dev;
}

/** An empty disk image of 96 MiB (sparse). */
function image(name: string): string {
  writeFileSync(img(name), '');
  truncateSync(img(name), 96 * 2 ** 20);
  return img(name);
}

/** An ext4 disk image with 4 MiB of random bytes in it: data that must survive. */
function precious(name: string, label: string): string {
  sh(['mkfs.ext4', '-q', '-L', label, image(name)]);
  sh(['dd', 'if=/dev/urandom', `of=${img(name)}`, 'bs=1M', 'seek=40', 'count=4', 'conv=notrunc', 'status=none']);
  return img(name);
}

function detachAll(): void {
  for (const dev of attached.keys()) sh(['losetup', '-d', dev]);
  attached.clear();
}

function prepareVg(step: string, config: object): Promise<{ code: number | null; stderr: string; result: PrepareVgResult }> {
  const resultFile = join(tmp, `${step}.result`);
  const child = spawn(process.execPath, ['bin/open-local.js', 'prepare-vg', '--node-name=n', '--host-exec=direct', `--result-file=${resultFile}`, `--lock-file=${join(tmp, 'prepare-vg.lock')}`, `--state-dir=${join(tmp, 'state')}`], {
    env: { ...process.env, OPEN_LOCAL_INIT_CONFIG: JSON.stringify(config), LVM_SYSTEM_DIR: lvmDir },
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  child.stdout.resume();
  return new Promise((resolve, reject) => {
    child.on('close', (code) => {
      const r = parseResult(readFileSync(resultFile, 'utf8'));
      if ('invalid' in r) reject(new Error(`${step}: ${r.invalid}\n${stderr}`));
      else resolve({ code, stderr, result: r });
    });
  });
}

const vgSeqno = (vg: string): string => (JSON.parse(sh(['lvm', 'vgs', '--reportformat', 'json', '-o', 'vg_name,vg_seqno', vg])) as { report: { vg: { vg_seqno: string }[] }[] }).report[0]!.vg[0]!.vg_seqno;

describe('prepare-vg when disk names move (real LVM on loop devices)', function () {
  this.timeout(180_000);
  after(() => {
    detachAll();
    rmSync(tmp, { recursive: true, force: true });
  });

  describe('a VG and a mount point built on forced kernel names', () => {
    const names: string[] = [];
    const shaBefore: Record<string, string> = {};
    let second: Awaited<ReturnType<typeof prepareVg>>;
    let third: Awaited<ReturnType<typeof prepareVg>>;
    let first: Awaited<ReturnType<typeof prepareVg>>;
    let seqnoFirst: string;
    let seqnoSecond: string;
    let fileSha: string;

    before(async function () {
      sh(['mkfs.ext4', '-q', '-L', 'old', image('x')]);
      precious('y', 'precious');
      image('m1');
      precious('m2', 'theirs');
      // Boot 1: a=x b=y c=m1 d=m2.
      for (const n of ['x', 'y', 'm1', 'm2']) names.push(attach(img(n)));
      const [a, b, c, d] = names as [string, string, string, string];
      const config = { vgs: [{ name: 'pool0', devices: [a], forceDevices: [a] }], mountpoints: [{ path: mpA, device: c, force: true }] };
      first = await prepareVg('first', config);
      seqnoFirst = vgSeqno('pool0');
      sh(['dd', 'if=/dev/urandom', `of=${join(mpA, 'data.bin')}`, 'bs=1M', 'count=2', 'status=none']);
      fileSha = sha(join(mpA, 'data.bin'));
      sh(['umount', mpA]);
      sh(['sync']);
      shaBefore.y = sha(img('y'));
      shaBefore.m2 = sha(img('m2'));
      // "Reboot": the same files come back under other names: a=y b=x c=m2 d=m1.
      for (const dev of names) {
        sh(['losetup', '-d', dev]);
        attached.delete(dev);
      }
      attach(img('y'), a);
      attach(img('x'), b);
      attach(img('m2'), c);
      attach(img('m1'), d);
      second = await prepareVg('second', config);
      seqnoSecond = vgSeqno('pool0');
      third = await prepareVg('third', { vgs: [{ name: 'pool0', devices: [b], forceDevices: [b] }], mountpoints: [{ path: mpA, device: d, force: true }] });
    });

    after(function () {
      try {
        execFileSync('umount', [mpA], { stdio: 'ignore' });
      } catch {
        // not mounted
      }
      try {
        sh(['lvm', 'vgremove', '--force', 'pool0']);
      } catch {
        // not created
      }
    });

    it('first run: creates pool0 on the forced disk and records it; formats mp-a with its UUID', () => {
      const [a, , c] = names;
      expect(first.code, first.stderr).to.equal(0);
      const vg = first.result.volumeGroups[0];
      expect(vg).to.deep.include({ name: 'pool0', state: 'Created', devices: [a] });
      expect(vg?.physicalVolumes?.[0]).to.deep.include({ device: a, addedAs: a });
      expect(vg?.physicalVolumes?.[0]?.uuid).to.match(/^\w{6}-/);
      expect(first.result.mountPoints[0]).to.deep.include({ device: c, state: 'Created', fsUuid: mountPointFsUuid(mpA) });
    });

    it('after the names moved: refuses pool0 and mp-a (exit 1), naming both disks of each', () => {
      const [a, b, c, d] = names;
      expect(second.code, second.stderr).to.equal(1);
      const vg = second.result.volumeGroups[0];
      expect(vg?.state).to.equal('Refused');
      expect(vg?.message).to.include(`${a} was added to volume group pool0 as PV ${first.result.volumeGroups[0]?.physicalVolumes?.[0]?.uuid}`);
      expect(vg?.message).to.include(`now at ${b}, and now points to another disk (${a}: no WWN, serial or by-id name; signatures ext4 UUID`);
      expect(vg?.message).to.include('label "precious"');
      expect(vg?.devices).to.deep.equal([b]);
      const mp = second.result.mountPoints[0];
      expect(mp?.state).to.equal('Refused');
      expect(mp?.message).to.include(`(UUID ${mountPointFsUuid(mpA)}) is on ${d}, not on ${c}, which now holds another disk`);
      expect(mp?.message).to.include('label "theirs"');
    });

    it('after the names moved: the disks now under the configured names are byte-for-byte intact, pool0 unchanged', () => {
      sh(['sync']);
      expect(sha(img('y'))).to.equal(shaBefore.y);
      expect(sha(img('m2'))).to.equal(shaBefore.m2);
      expect(seqnoSecond).to.equal(seqnoFirst);
    });

    it('with the config naming the disks where they are now: Ready, nothing formatted, the file intact', () => {
      expect(third.code, third.stderr).to.equal(0);
      expect(third.result.volumeGroups[0]).to.deep.include({ state: 'Ready' });
      expect(third.result.mountPoints[0]).to.deep.include({ state: 'Ready', message: 'mounted the existing open-local ext4 filesystem' });
      expect(sha(join(mpA, 'data.bin'))).to.equal(fileSha);
      expect(third.stderr).to.not.include('DESTROYING');
    });
  });

  describe('a VG made by an older open-local (tagged VG, PVs without records)', () => {
    let recorded: Awaited<ReturnType<typeof prepareVg>>;
    let refused: Awaited<ReturnType<typeof prepareVg>>;
    let p: string;
    let q: string;
    let qSha: string;
    let tags: string;
    before(async function () {
      p = attach(image('p'));
      q = attach(precious('q', 'precious-q'));
      sh(['lvm', 'pvcreate', '-q', p]);
      sh(['lvm', 'vgcreate', '-q', '--addtag', 'open-local', 'old0', p]);
      recorded = await prepareVg('old-recorded', { vgs: [{ name: 'old0', devices: [p], forceDevices: [p] }] });
      tags = sh(['lvm', 'pvs', '--noheadings', '-o', 'pv_tags', p]).trim();
      qSha = sha(img('q'));
      for (const dev of [p, q]) {
        sh(['losetup', '-d', dev]);
        attached.delete(dev);
      }
      attach(img('q'), p);
      attach(img('p'), q);
      refused = await prepareVg('old-swapped', { vgs: [{ name: 'old0', devices: [p], forceDevices: [p] }] });
    });
    after(() => {
      try {
        sh(['lvm', 'vgremove', '--force', 'old0']);
      } catch {
        // not created
      }
    });

    it('records its members on the next run (Ready, one metadata write)', () => {
      expect(recorded.code, recorded.stderr).to.equal(0);
      expect(recorded.result.volumeGroups[0]).to.deep.include({ name: 'old0', state: 'Ready', message: '' });
      expect(tags).to.equal(`open-local.dev=${p}`);
    });

    it('then refuses the forced name once it points to another disk, and that disk is intact', () => {
      expect(refused.code, refused.stderr).to.equal(1);
      expect(refused.result.volumeGroups[0]?.state).to.equal('Refused');
      expect(refused.result.volumeGroups[0]?.message).to.include(`${p} was added to volume group old0 as PV`).and.to.include(`now at ${q}`);
      sh(['sync']);
      expect(sha(img('q'))).to.equal(qSha);
    });
  });

  describe('a disk gone together with its whole VG, and a mount point\'s disk gone: the next disk takes the name', () => {
    const mpB = join(tmp, 'mp-b');
    let g: string;
    let k: string;
    let created: Awaited<ReturnType<typeof prepareVg>>;
    let refused: Awaited<ReturnType<typeof prepareVg>>;
    const shaOf: Record<string, string> = {};
    before(async function () {
      g = attach(image('g'));
      attach(precious('h', 'precious-h'));
      k = attach(image('k'));
      attach(precious('l', 'theirs-l'));
      const config = { vgs: [{ name: 'pool1', devices: [g], forceDevices: [g] }], mountpoints: [{ path: mpB, device: k, force: true }] };
      created = await prepareVg('gone-created', config);
      sh(['umount', mpB]);
      sh(['sync']);
      shaOf.h = sha(img('h'));
      shaOf.l = sha(img('l'));
      // g and k die; h and l come back under their names (LVM sees no pool1 at all, and mp-b's UUID is nowhere).
      for (const dev of [...attached.keys()].filter((d) => ['g', 'h', 'k', 'l'].some((n) => attached.get(d) === img(n)))) {
        sh(['losetup', '-d', dev]);
        attached.delete(dev);
      }
      attach(img('h'), g);
      attach(img('l'), k);
      refused = await prepareVg('gone-refused', config);
    });
    after(() => {
      try {
        execFileSync('umount', [mpB], { stdio: 'ignore' });
      } catch {
        // not mounted
      }
    });

    it('first run: creates the single-disk VG and the mount point', () => {
      expect(created.code, created.stderr).to.equal(0);
      expect(created.result.volumeGroups[0]?.state).to.equal('Created');
      expect(created.result.mountPoints[0]?.state).to.equal('Created');
    });

    it('refuses both names by prepare-vg\'s host record (exit 1), naming what was there and what is there now', () => {
      expect(refused.code, refused.stderr).to.equal(1);
      expect(refused.result.volumeGroups[0]?.state).to.equal('Refused');
      expect(refused.result.volumeGroups[0]?.message).to.include(`${g} was initialised by prepare-vg on this node as PV ${created.result.volumeGroups[0]?.physicalVolumes?.[0]?.uuid} of volume group pool1`).and.to.include('label "precious-h"');
      expect(refused.result.mountPoints[0]?.state).to.equal('Refused');
      expect(refused.result.mountPoints[0]?.message).to.include(`${k} was initialised by prepare-vg on this node as filesystem UUID ${mountPointFsUuid(mpB)} of mount point ${mpB}`).and.to.include('label "theirs-l"');
    });

    it('leaves the disks now under those names byte-for-byte intact', () => {
      sh(['sync']);
      expect(sha(img('h'))).to.equal(shaOf.h);
      expect(sha(img('l'))).to.equal(shaOf.l);
    });
  });
});
