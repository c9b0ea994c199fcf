import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { applyIoLimits } from '../../../../csi-driver/node/io-limits.js';

// The writes land in plain directories shaped like the two cgroup layouts (a real cgroup mount is what the UML
// test uses for v2); what is tested here is which hierarchy and which pod directory are chosen.
const UID = '7c1f6b2e-3d4a-4f5b-8c9d-0e1f2a3b4c5d';
const dev = { major: 253, minor: 4 };

describe('csi-driver/node/io-limits', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'csi-cgroup-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('cgroup v2 (cgroup.controllers at the root), cgroupfs driver, BestEffort pod: io.max', async () => {
    await writeFile(join(root, 'cgroup.controllers'), 'io\n');
    const pod = join(root, 'kubepods', 'besteffort', `pod${UID}`);
    await mkdir(pod, { recursive: true });
    expect(await applyIoLimits(root, UID, dev, { iops: 50 })).to.deep.equal([join(pod, 'io.max')]);
    expect(await readFile(join(pod, 'io.max'), 'utf8')).to.equal('253:4 rbps=max wbps=max riops=50 wiops=50\n');
  });

  it('cgroup v1, systemd driver, Guaranteed pod: the four blkio.throttle files under blkio/', async () => {
    const pod = join(root, 'blkio', 'kubepods.slice', `kubepods-pod${UID.replace(/-/g, '_')}.slice`);
    await mkdir(pod, { recursive: true });
    const files = await applyIoLimits(root, UID, dev, { iops: 10, bps: 4096 });
    expect(files.map((f) => f.slice(pod.length + 1))).to.deep.equal(['blkio.throttle.read_iops_device', 'blkio.throttle.write_iops_device', 'blkio.throttle.read_bps_device', 'blkio.throttle.write_bps_device']);
    expect(await readFile(join(pod, 'blkio.throttle.write_bps_device'), 'utf8')).to.equal('253:4 4096\n');
  });

  it('writes nothing when the pod has no cgroup here', async () => {
    await writeFile(join(root, 'cgroup.controllers'), 'io\n');
    await mkdir(join(root, 'kubepods.slice'), { recursive: true });
    expect(await applyIoLimits(root, UID, dev, { iops: 10 })).to.deep.equal([]);
    expect(await readdir(join(root, 'kubepods.slice'))).to.deep.equal([]);
  });
});
