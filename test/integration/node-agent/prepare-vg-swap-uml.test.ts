// The reproduced data loss, on real LVM in User-Mode Linux: two boots of one node over the same four disk image files,
// the second with the files in another order, so every kernel name points to another disk.
//
// Boot 1 (guest/swap-1.sh) [X, Y, M1, M2]: VG pool0 on /dev/ubda = X (forced: X had a stray ext4), mount point mp-a
// on /dev/ubdc = M1 (force: true); Y and M2 are other users' ext4 disks holding files.
// Boot 2 (guest/swap-2.sh) [Y, X, M2, M1]: the same config must refuse pool0 and mp-a (exit 1), name the recorded
// disk and what the configured name holds now, and leave Y and M2 byte-for-byte as they were (sha256 of the image
// files on the host, before and after boot 2); pool0 stays as it was on X. Then the config naming the disks where
// they are now (/dev/ubdb, /dev/ubdd) is Ready with nothing formatted.
// prepare-vg's host record (/var/lib/open-local) survives the reboot, as on a node; /mnt is each guest's own tmpfs.
// test/integration/node-agent/prepare-vg-swap.test.ts proves the same with loop devices on the host.
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { mountPointFsUuid } from '../../../node-agent/prepare-vg/fs-uuid.js';
import { parseResult, type PrepareVgResult } from '../../../node-agent/prepare-vg/result.js';
import { runInUml, type UmlResult } from '../../env/uml.js';

const NODE_BIN = join(process.cwd(), '.tools', 'node', 'bin');
const MP = '/mnt/open-local/mp-a';
const CONFIG = { vgs: [{ name: 'pool0', devices: ['/dev/ubda'], forceDevices: ['/dev/ubda'] }], mountpoints: [{ path: MP, device: '/dev/ubdc', force: true }] };
const MOVED = { vgs: [{ name: 'pool0', devices: ['/dev/ubdb'], forceDevices: ['/dev/ubdb'] }], mountpoints: [{ path: MP, device: '/dev/ubdd', force: true }] };
type Row = Record<string, string>;

function sha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (c) => {
        hash.update(c);
      })
      .on('error', reject)
      .on('end', () => {
        resolve(hash.digest('hex'));
      });
  });
}

describe('prepare-vg when disk names move between two boots (real LVM in UML)', function () {
  this.timeout(600_000);
  let dir: string;
  let out: string;
  const img = (name: string) => join(dir, `${name}.img`);
  const text = (name: string) => readFile(join(out, name), 'utf8');
  const rc = async (step: string) => Number((await text(`${step}.rc`)).trim());
  const log = (step: string) => text(`${step}.log`).catch(() => '(no log)');
  const result = async (step: string): Promise<PrepareVgResult> => {
    const r = parseResult(await text(`${step}.result`).catch(async () => `(no result) ${await log(step)}`));
    if ('invalid' in r) throw new Error(`${step}: ${r.invalid}\n${await log(step)}`);
    return r;
  };
  const rows = async (file: string, section: 'vg' | 'pv'): Promise<Row[]> =>
    (JSON.parse(await text(file)) as { report: Record<string, Row[]>[] }).report.flatMap((part) => part[section] ?? []);
  const shaBefore: Record<string, string> = {};
  const shaAfter: Record<string, string> = {};
  const guests: UmlResult[] = [];
  let first: PrepareVgResult;
  let second: PrepareVgResult;

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), 'open-local-uml-swap-'));
    out = join(dir, 'out');
    for (const name of ['x', 'y', 'm1', 'm2']) {
      await writeFile(img(name), '');
      await truncate(img(name), 256 * 2 ** 20);
    }
    const boot = (script: string, order: string[]) =>
      runInUml({
        disks: order.map((name) => ({ file: img(name) })),
        command: { script: `test/integration/node-agent/guest/${script}` },
        env: { OUT: out, NODE_BIN, CONFIG: JSON.stringify(CONFIG), MOVED: JSON.stringify(MOVED) },
        timeoutMs: 280_000,
      });
    guests.push(await boot('swap-1.sh', ['x', 'y', 'm1', 'm2']));
    expect(guests[0]?.exitCode, guests[0]?.output).to.equal(0);
    for (const name of ['x', 'y', 'm2']) shaBefore[name] = await sha256(img(name));
    guests.push(await boot('swap-2.sh', ['y', 'x', 'm2', 'm1']));
    for (const name of ['x', 'y', 'm2']) shaAfter[name] = await sha256(img(name));
    first = await result('first');
    second = await result('second');
  });

  after(async function () {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('boot 1: creates pool0 on the forced /dev/ubda (X) and formats mp-a on /dev/ubdc (M1)', async () => {
    expect(await rc('first'), await log('first')).to.equal(0);
    const vg = first.volumeGroups[0];
    expect(vg).to.deep.include({ name: 'pool0', state: 'Created', devices: ['/dev/ubda'] });
    expect(vg?.physicalVolumes?.[0]).to.deep.include({ device: '/dev/ubda', addedAs: '/dev/ubda' });
    expect(vg?.physicalVolumes?.[0]?.uuid).to.match(/^\w{6}-/);
    expect(first.mountPoints[0]).to.deep.include({ device: '/dev/ubdc', state: 'Created', fsUuid: mountPointFsUuid(MP) });
    expect((await text('mp-file.before')).trim()).to.match(/^[0-9a-f]{64}$/);
  });

  it('boot 2, same config: exit 1, pool0 refused naming the recorded PV (now at /dev/ubdb) and what /dev/ubda holds now', async () => {
    expect(await rc('second'), await log('second')).to.equal(1);
    const vg = second.volumeGroups[0];
    const pv = first.volumeGroups[0]?.physicalVolumes?.[0]?.uuid ?? '(no PV UUID in boot 1)';
    const yUuid = (await text('y.uuid')).trim();
    expect(yUuid).to.match(/^[0-9a-f-]{36}$/);
    expect(vg?.state).to.equal('Refused');
    expect(vg?.message).to.include(`/dev/ubda was added to volume group pool0 as PV ${pv}`);
    expect(vg?.message).to.include('now at /dev/ubdb');
    expect(vg?.message).to.match(/now points to another disk \(\/dev\/ubda: .*ext4 UUID/);
    expect(vg?.message).to.include(yUuid).and.to.include('label "precious"');
    expect(await log('second')).to.not.include('DESTROYING');
  });

  it('boot 2, same config: mp-a refused, its filesystem found on /dev/ubdd, /dev/ubdc holding another disk', async () => {
    const mp = second.mountPoints[0];
    expect(mp?.state).to.equal('Refused');
    expect(mp?.message).to.include(`(UUID ${mountPointFsUuid(MP)}) is on /dev/ubdd, not on /dev/ubdc, which now holds another disk`);
    expect(mp?.message).to.include('label "theirs"').and.to.include((await text('m2.uuid')).trim());
    expect((await text('mp-a.created.second')).trim()).to.equal('1');
  });

  it('the disks under the configured names are byte-for-byte intact (sha256 of the images before and after boot 2), their files readable', async () => {
    expect(shaBefore.y).to.match(/^[0-9a-f]{64}$/);
    expect(shaAfter.y, 'Y, the ext4 disk now at /dev/ubda').to.equal(shaBefore.y);
    expect(shaAfter.m2, 'M2, the ext4 disk now at /dev/ubdc').to.equal(shaBefore.m2);
    expect((await text('y-file.after')).trim()).to.equal((await text('y-file.before')).trim());
    expect((await text('m2-file.after')).trim()).to.equal((await text('m2-file.before')).trim());
    const types = async (file: string) => (JSON.parse(await text(file)) as { signatures: { type: string; label?: string }[] }).signatures.map((s) => [s.type, s.label]);
    expect(await types('ubda.wipefs.second.json')).to.deep.equal([['ext4', 'precious']]);
    expect(await types('ubdc.wipefs.second.json')).to.deep.equal([['ext4', 'theirs']]);
  });

  it('pool0 is intact on X: same VG UUID, metadata seqno and PV, now at /dev/ubdb', async () => {
    const vg = async (step: string) => (await rows(`${step}.vgs.json`, 'vg')).find((v) => v.vg_name === 'pool0');
    const before = await vg('first');
    expect(before).to.include({ vg_tags: 'open-local', pv_count: '1' });
    expect(await vg('boot2')).to.deep.equal(before);
    expect(await vg('second')).to.deep.equal(before);
    const pvs = (await rows('second.pvs.json', 'pv')).map((p) => [p.pv_name, p.vg_name, p.pv_uuid]);
    expect(pvs).to.deep.equal([['/dev/ubdb', 'pool0', first.volumeGroups[0]?.physicalVolumes?.[0]?.uuid]]);
  });

  it('boot 2, the config naming the disks where they are now: Ready, nothing formatted, the mount point\'s file intact', async () => {
    const moved = await result('moved');
    expect(await rc('moved'), await log('moved')).to.equal(0);
    expect(moved.volumeGroups[0]).to.deep.include({ name: 'pool0', state: 'Ready', devices: ['/dev/ubdb'] });
    expect(moved.mountPoints[0]).to.deep.include({ device: '/dev/ubdd', state: 'Ready', message: 'mounted the existing open-local ext4 filesystem' });
    expect(await log('moved')).to.not.include('DESTROYING');
    const vg = async (step: string) => (await rows(`${step}.vgs.json`, 'vg')).find((v) => v.vg_name === 'pool0');
    expect(await vg('moved')).to.deep.equal(await vg('first'));
    expect((await text('mp-file.after')).trim()).to.equal((await text('mp-file.before')).trim());
    expect(shaAfter.y).to.equal(shaBefore.y);
  });

  it('ran both guest scripts to the end', () => {
    for (const g of guests) expect(g.exitCode, g.output).to.equal(0);
  });
});
