// The CSI node service on real LVM in a User-Mode Linux guest: guest/node-uml.sh prepares the disks and a cgroup2
// hierarchy, guest/node-scenario.ts runs the plugin as a process (restarting it once with SIGKILL) and drives it over
// gRPC: ext4 and xfs lifecycles with online expansion, raw block, a read-only snapshot restore, an Open-Local v0.7
// PV, Device and MountPoint volumes, an inline volume across the restart, IO limits, hostile requests. Every outcome
// comes back as a named check. The host also compares the sha256 of the disk holding someone
// else's filesystem before and after.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { runInUml, type UmlResult } from '../../env/uml.js';

const NODE_BIN = join(process.cwd(), '.tools', 'node', 'bin');

interface Check {
  readonly name: string;
  readonly pass: boolean;
  readonly detail: string;
}

const lifecycle = (fs: string) => [
  `${fs}: formatted with the UUID derived from the volume ID`,
  `${fs}: a repeated stage and publish answer OK`,
  `${fs}: staging it again as ${fs === 'ext4' ? 'xfs' : 'ext4'} is ALREADY_EXISTS`,
  `${fs}: stats of another volume ID at its target are NOT_FOUND`,
  `${fs}: the same target read-only instead is ALREADY_EXISTS`,
  `${fs}: expanded online (filesystem grew while mounted)`,
  `${fs}: stats report bytes and inodes, condition normal`,
  `${fs}: unpublish removes the target`,
  `${fs}: unstage unmounts the staging path`,
  `${fs}: staged again, the filesystem is mounted as is and the data reads back (sha256)`,
];

const HOSTILE = [
  'target path escaping with .. → INVALID_ARGUMENT',
  'target path outside the kubelet directory → INVALID_ARGUMENT',
  'target path through a symlink out of the kubelet directory → INVALID_ARGUMENT',
  'relative staging path → INVALID_ARGUMENT',
  'publish without volume_id → INVALID_ARGUMENT',
  'publish without volume_capability → INVALID_ARGUMENT',
  'stage of an unknown volume without staging path (checked before lookup) → INVALID_ARGUMENT',
  'multi-node access mode → INVALID_ARGUMENT',
  'unknown fsType → INVALID_ARGUMENT',
  'xfs on a 64 MiB LV → OUT_OF_RANGE',
  'Device path escaping /dev → INVALID_ARGUMENT',
  'vgName with a path in it → INVALID_ARGUMENT',
  'an LV that does not exist → NOT_FOUND',
  'stats of an unknown volume at a relative path → NOT_FOUND',
  'mount flag "bind" → INVALID_ARGUMENT',
  'publish of a filesystem volume without staging path → FAILED_PRECONDITION',
  'inline volume with a negative size → INVALID_ARGUMENT',
  'raw block Device volume naming the disk of the VG → FAILED_PRECONDITION',
  'MountPoint volume whose directory is not a mount point (would write to the root disk) → NOT_FOUND',
  'MountPoint volume as a raw block device → INVALID_ARGUMENT',
  'volume ID with a slash → INVALID_ARGUMENT',
].map((h) => `hostile: ${h}`);

const EXPECTED = [
  'NodeGetInfo: node, topology and max volumes',
  'NodeGetCapabilities: stage, expand, stats, condition',
  ...lifecycle('ext4'),
  ...lifecycle('xfs'),
  'snapshot restore: the snapshot LV is mounted read-only beside its mounted xfs origin and reads the same bytes',
  'another volume published at a target that holds a volume is ALREADY_EXISTS',
  'raw block: the target is the LV (bytes written through it read back from the LV)',
  'raw block: stats report the device size',
  "IO limits: io.max of the pod cgroup (systemd layout) holds the LV's limits",
  'IO limits: cleared by hand before the restart',
  'inline: LV created on publish, tagged as an inline volume',
  'inline: recorded in the state file with its LV UUID',
  'IO limits: re-applied at plugin start from the state file',
  'IO limits: a repeated publish applies them again',
  'restart: mounts and data intact (sha256 of ext4, xfs and inline files)',
  'restart: stats of a published volume still answer',
  'inline: unpublished after the restart, its LV is removed and forgotten (twice = OK)',
  'condition: abnormal with a message naming the LV when it is gone',
  'Device: an empty disk is formatted with the derived UUID, re-staged as is, data intact',
  'Device: another volume ID on a disk formatted for a different volume is FAILED_PRECONDITION',
  'Device: the disk while mounted for its volume is FAILED_PRECONDITION for another volume (in use)',
  'Device: a disk with a foreign ext4 is FAILED_PRECONDITION naming the signature, not mounted',
  'Device: the same disk asked as xfs is FAILED_PRECONDITION too (never reformatted)',
  'Open-Local v0.7 PV: its LV and ext4 (random UUID) are staged as they are, data intact',
  'MountPoint: published as a bind of its directory; the data stays in the mount point after unpublish',
  ...HOSTILE,
  "hostile: nothing left behind (LVs, mounts, files outside, the fresh LV's bytes)",
  'teardown: nothing mounted under the kubelet directory, block target file removed',
];

describe('CSI node service on real LVM (UML)', function () {
  this.timeout(900_000);
  let out: string;
  let guest: UmlResult;
  let checks: Check[] = [];
  const text = (name: string) => readFile(join(out, name), 'utf8');

  before(async function () {
    out = await mkdtemp(join(tmpdir(), 'open-local-csi-node-'));
    const started = Date.now();
    guest = await runInUml({
      disks: [{ size: '2G' }, { size: '512M' }, { size: '512M' }],
      command: { script: 'test/integration/csi/guest/node-uml.sh' },
      env: { OUT: out, NODE_BIN },
      timeoutMs: 880_000,
    });
    console.log(`      (UML guest ran in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    checks = JSON.parse(await text('checks.json').catch(() => '[]')) as Check[];
  });

  after(async function () {
    if (this.currentTest?.state === 'failed' || checks.some((c) => !c.pass)) {
      console.log(`--- scenario output ---\n${await text('scenario.out').catch(() => '(none)')}\n--- guest ---\n${guest.output}`);
      for (const n of [1, 2]) console.log(`--- plugin-${n}.log (tail) ---\n${(await text(`plugin-${n}.log`).catch(() => '')).split('\n').slice(-40).join('\n')}`);
    }
    await rm(out, { recursive: true, force: true });
  });

  it('the scenario ran to the end with every check passing', async () => {
    expect(guest.exitCode, guest.output).to.equal(0);
    expect((await text('scenario.rc')).trim(), await text('scenario.out').catch(() => '')).to.equal('0');
    expect(checks.filter((c) => !c.pass)).to.deep.equal([]);
  });

  for (const name of EXPECTED) {
    it(name, () => {
      const c = checks.find((x) => x.name === name);
      expect(c, `check "${name}" was not reached`).to.not.be.undefined;
      expect(c?.pass, c?.detail).to.be.true;
    });
  }

  it('the disk with a foreign filesystem is byte for byte as it was (sha256)', async () => {
    const before = (await text('ubdc.before')).trim();
    expect(before).to.match(/^[0-9a-f]{64}$/);
    expect((await text('ubdc.after')).trim()).to.equal(before);
  });
});
