// The agent's signature probe and its cache on real block devices of this host: loop devices over image files
// holding nothing, an ext4 filesystem, a swap area and a DOS partition table. Real wipefs reads them, real sysfs
// stat counters key the cache: an unchanged device is not probed again, a write makes it probed again, and no byte
// of any image changes (sha256 before and after). Needs root and loop devices; each loop device is detached by
// name afterwards. (free-devices-uml.test.ts runs the whole decision inside a UML guest.)
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { createExec } from '../../../lib/exec.js';
import { deviceUse, type SignatureProbe, type UseFacts } from '../../../node-agent/discovery/device-use.js';
import { SignatureCache, wipefsProber } from '../../../node-agent/discovery/signatures.js';
import { writeStamp, type BlockDevice } from '../../../node-agent/discovery/sysfs.js';

const exec = createExec('direct');
const KINDS = ['blank', 'ext4', 'swap', 'dos'] as const;
type Kind = (typeof KINDS)[number];
const noFacts: UseFacts = { pvs: new Set(), mounted: new Set(), swaps: new Set(), configured: new Set() };

/** The device as sysfs shows it now (the agent's discovery skips loop devices by name, so it is read here). */
async function device(path: string): Promise<BlockDevice> {
  const sys = `/sys/block/${path.slice(5)}`;
  const size = Number((await readFile(`${sys}/size`, 'utf8')).trim()) * 512;
  const stamp = writeStamp(size, await readFile(`${sys}/stat`, 'utf8'), (await readFile(`${sys}/diskseq`, 'utf8').catch(() => '')).trim() || undefined);
  return { name: path, kernelName: path.slice(5), mediaType: 'ssd', size, readOnly: false, partitions: [], holders: [], ...(stamp === undefined ? {} : { writeStamp: stamp }) };
}

describe('signature probe and cache on real loop devices', function () {
  this.timeout(120_000);
  let dir: string;
  const loops = new Map<Kind, string>();
  const sha = async (kind: Kind) => createHash('sha256').update(await readFile(join(dir, `${kind}.img`))).digest('hex');
  const shaBefore = new Map<Kind, string>();
  let probed: string[] = [];
  let cache: SignatureCache;
  let first: Map<string, SignatureProbe>;

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), 'open-local-loop-'));
    for (const kind of KINDS) {
      const img = join(dir, `${kind}.img`);
      await writeFile(img, '');
      await truncate(img, 64 * 2 ** 20);
      if (kind === 'ext4') await exec.run(['mkfs.ext4', '-q', '-F', '-L', 'precious', img], { timeoutMs: 60_000 });
      if (kind === 'swap') await exec.run(['mkswap', img], { timeoutMs: 60_000 });
      if (kind === 'dos') {
        // One Linux partition from sector 2048, and the boot signature: what fdisk writes for a one-partition disk.
        const mbr = Buffer.alloc(512);
        Buffer.from([0x00, 0x00, 0x00, 0x00, 0x83, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00]).copy(mbr, 446);
        mbr[510] = 0x55;
        mbr[511] = 0xaa;
        await writeFile(img, mbr, { flag: 'r+' });
      }
      const r = await exec.run(['losetup', '--find', '--show', img], { timeoutMs: 30_000 }).catch((err: unknown) => {
        throw new Error(`losetup failed: this test needs root and loop devices (${String(err)})`);
      });
      loops.set(kind, r.stdout.trim());
      shaBefore.set(kind, await sha(kind));
    }
    const wipefs = wipefsProber(exec);
    cache = new SignatureCache((path) => {
      probed.push(path);
      return wipefs(path);
    });
    first = await cache.probeAll(await Promise.all(KINDS.map((k) => device(loops.get(k) ?? ''))));
  });

  after(async function () {
    for (const loop of loops.values()) await exec.run(['losetup', '--detach', loop], { timeoutMs: 30_000 }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('finds every signature with real wipefs, and only the blank device is free', async () => {
    const use = await Promise.all(KINDS.map(async (k) => [k, deviceUse(await device(loops.get(k) ?? ''), noFacts, first.get(loops.get(k) ?? ''))]));
    expect(Object.fromEntries(use)).to.deep.equal({ blank: undefined, ext4: 'has signatures: ext4', swap: 'has signatures: swap', dos: 'has signatures: dos' });
  });

  it('does not probe unchanged devices again (their stat write counters did not move)', async () => {
    probed = [];
    await cache.probeAll(await Promise.all(KINDS.map((k) => device(loops.get(k) ?? ''))));
    expect(probed).to.deep.equal([]);
  });

  it('probes a device again after a write to it, and sees the new filesystem', async () => {
    const blank = loops.get('blank') ?? '';
    await exec.run(['mkfs.ext4', '-q', '-F', blank], { timeoutMs: 60_000 });
    await exec.run(['sync'], { timeoutMs: 60_000 });
    probed = [];
    const again = await cache.probeAll(await Promise.all(KINDS.map((k) => device(loops.get(k) ?? ''))));
    expect(probed).to.deep.equal([blank]);
    expect(deviceUse(await device(blank), noFacts, again.get(blank))).to.equal('has signatures: ext4');
  });

  it('changed no byte of the devices it only probed (sha256 before and after)', async () => {
    for (const kind of ['ext4', 'swap', 'dos'] as const) expect(await sha(kind), kind).to.equal(shaBefore.get(kind));
  });
});
