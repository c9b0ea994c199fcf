// The node service on real LVM inside a UML guest (node-uml.test.ts boots it through node-uml.sh). Starts the
// plugin as a process (node-plugin.ts), drives it with a real gRPC client, and records one named check per outcome in
// $OUT/checks.json for the host test. Disks: ubda = VG pool0, ubdb = an empty exclusive disk, ubdc = a disk with
// someone's ext4 filesystem (the shell wrote it and hashes it before and after).
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { createExec } from '../../../../lib/exec.js';
import { decodeDev } from '../../../../csi-driver/node/cgroup-paths.js';
import { volumeFsUuid } from '../../../../csi-driver/node/filesystem.js';
import { parseWipefs } from '../../../../node-agent/prepare-vg/block-tools.js';
import { csiClient, refusedWith, type CsiTestClient } from '../support/csi-client.js';

const OUT = process.env.OUT ?? '';
const KUBELET = '/mnt/kubelet';
const STATE = '/var/lib/open-local/csi';
const CGROUP = '/run/cg';
const SOCKET = '/run/csi/csi.sock';
const NODE = 'uml-node';
const VG = 'pool0';
const exec = createExec('direct');
const sh = async (...argv: string[]) => (await exec.run(argv, { timeoutMs: 120_000 })).stdout.trim();

interface Check {
  name: string;
  pass: boolean;
  detail: string;
}
const checks: Check[] = [];
const check = (name: string, pass: boolean, detail: unknown) => {
  checks.push({ name, pass, detail: typeof detail === 'string' ? detail : JSON.stringify(detail) });
};
const flush = () => writeFile(join(OUT, 'checks.json'), JSON.stringify(checks, null, 2));

// --- the plugin process ---
let plugin: ChildProcess | undefined;
let client: CsiTestClient | undefined;
let starts = 0;
async function startPlugin(): Promise<CsiTestClient> {
  starts++;
  const log = openSync(join(OUT, `plugin-${starts}.log`), 'w');
  plugin = spawn(process.execPath, ['--import', 'tsx', 'test/integration/csi/guest/node-plugin.ts', SOCKET, KUBELET, STATE, CGROUP, NODE], { stdio: ['ignore', log, log] });
  closeSync(log);
  const c = csiClient(SOCKET, 300_000);
  const deadline = Date.now() + 240_000;
  for (;;) {
    const probe = csiClient(SOCKET, 5_000);
    try {
      await probe.node('NodeGetCapabilities');
      break;
    } catch (err) {
      if (Date.now() > deadline) throw new Error('plugin did not answer within 240 s', { cause: err });
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      probe.close();
    }
  }
  client = c;
  return c;
}
async function stopPlugin(signal: NodeJS.Signals): Promise<void> {
  const p = plugin;
  if (!p) return;
  client?.close();
  const exited = new Promise((r) => p.once('exit', r));
  p.kill(signal);
  await exited;
  plugin = undefined;
}

// --- helpers ---
const mountCap = (fs_type = 'ext4', mode = 'SINGLE_NODE_WRITER', mount_flags: string[] = []) => ({ mount: { fs_type, mount_flags }, access_mode: { mode } });
const blockCap = { block: {}, access_mode: { mode: 'SINGLE_NODE_WRITER' } };
const lvmCtx = (extra: Record<string, string> = {}) => ({ volumeType: 'LVM', vgName: VG, ...extra });
const podUid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const staging = (vol: string) => `${KUBELET}/plugins/kubernetes.io/csi/${vol}/globalmount`;
const target = (n: number, vol: string) => `${KUBELET}/pods/${podUid(n)}/volumes/kubernetes.io~csi/${vol}/mount`;
const blockTarget = (n: number, vol: string) => `${KUBELET}/plugins/kubernetes.io/csi/volumeDevices/publish/${vol}/${podUid(n)}`;
async function prepareDirs(...dirs: string[]) {
  for (const d of dirs) await mkdir(d, { recursive: true });
}
const sha = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');
const exists = (p: string) => stat(p).then(() => true, () => false);
const isMounted = async (p: string) => (await exec.run(['findmnt', '--mountpoint', p], { timeoutMs: 30_000, okCodes: [0, 1] })).code === 0;
const lvNames = async () => (await sh('lvm', 'lvs', '--noheadings', '-o', 'lv_name', VG)).split('\n').map((s) => s.trim()).filter((s) => s !== '').sort();
const mountsUnder = async (dir: string) => (await sh('findmnt', '--list', '--noheadings', '--output', 'TARGET')).split('\n').filter((t) => t.startsWith(`${dir}/`)).sort();
async function writeRandom(file: string, mib: number): Promise<string> {
  await sh('dd', 'if=/dev/urandom', `of=${file}`, 'bs=1M', `count=${mib}`, 'conv=fsync', 'status=none');
  return sha(file);
}
async function stage(c: CsiTestClient, vol: string, cap: object, ctx: object) {
  await prepareDirs(staging(vol));
  return c.node('NodeStageVolume', { volume_id: vol, staging_target_path: staging(vol), volume_capability: cap, volume_context: ctx });
}
async function publish(c: CsiTestClient, vol: string, tgt: string, cap: object, ctx: object, readonly = false, withStaging = true) {
  await prepareDirs(join(tgt, '..'));
  return c.node('NodePublishVolume', { volume_id: vol, target_path: tgt, staging_target_path: withStaging ? staging(vol) : '', volume_capability: cap, volume_context: ctx, readonly });
}
const stats = (c: CsiTestClient, vol: string, path: string) => c.node<{ usage: { total: string; used: string; available: string; unit: string }[]; volume_condition: { abnormal: boolean; message: string } | null }>('NodeGetVolumeStats', { volume_id: vol, volume_path: path });
const bytesTotal = (s: Awaited<ReturnType<typeof stats>>) => Number(s.usage.find((u) => u.unit === 'BYTES')?.total ?? 0);
const codeName = (code: number) => status[code];

async function filesystemLifecycle(c: CsiTestClient, fs: 'ext4' | 'xfs', vol: string, firstMiB: number, grownMiB: number, pod: number) {
  await sh('lvm', 'lvcreate', '--name', vol, '--size', `${firstMiB}m`, '--addtag', 'open-local', '--yes', VG);
  await stage(c, vol, mountCap(fs), lvmCtx());
  const tgt = target(pod, vol);
  await publish(c, vol, tgt, mountCap(fs), lvmCtx());
  const written = await writeRandom(join(tgt, 'data.bin'), 8);
  const uuid = await sh('blkid', '-p', '-s', 'UUID', '-o', 'value', `/dev/${VG}/${vol}`);
  check(`${fs}: formatted with the UUID derived from the volume ID`, uuid === volumeFsUuid(vol), { uuid, expected: volumeFsUuid(vol) });
  await c.node('NodeStageVolume', { volume_id: vol, staging_target_path: staging(vol), volume_capability: mountCap(fs), volume_context: lvmCtx() });
  await publish(c, vol, tgt, mountCap(fs), lvmCtx());
  check(`${fs}: a repeated stage and publish answer OK`, true, '');
  const otherFs = fs === 'ext4' ? 'xfs' : 'ext4';
  const restage = await refusedWith(c.node('NodeStageVolume', { volume_id: vol, staging_target_path: staging(vol), volume_capability: mountCap(otherFs), volume_context: lvmCtx() }));
  check(`${fs}: staging it again as ${otherFs} is ALREADY_EXISTS`, codeName(restage.code) === 'ALREADY_EXISTS', restage);
  const wrongVolume = await refusedWith(stats(c, 'local-not-this-one', tgt));
  check(`${fs}: stats of another volume ID at its target are NOT_FOUND`, codeName(wrongVolume.code) === 'NOT_FOUND' && wrongVolume.details.includes(`volume ${vol} is`), wrongVolume);
  const ro = await refusedWith(publish(c, vol, tgt, mountCap(fs), lvmCtx(), true));
  check(`${fs}: the same target read-only instead is ALREADY_EXISTS`, codeName(ro.code) === 'ALREADY_EXISTS', ro);
  const before = bytesTotal(await stats(c, vol, tgt));
  await sh('lvm', 'lvextend', '--size', `${grownMiB}m`, `${VG}/${vol}`);
  const expanded = await c.node<{ capacity_bytes: string }>('NodeExpandVolume', { volume_id: vol, volume_path: tgt, capacity_range: { required_bytes: String(grownMiB * 2 ** 20) } });
  const s = await stats(c, vol, tgt);
  const after = bytesTotal(s);
  check(`${fs}: expanded online (filesystem grew while mounted)`, expanded.capacity_bytes === String(grownMiB * 2 ** 20) && after > before + (grownMiB - firstMiB - 40) * 2 ** 20, { before, after, capacity: expanded.capacity_bytes });
  const inodes = s.usage.find((u) => u.unit === 'INODES');
  check(`${fs}: stats report bytes and inodes, condition normal`, Number(s.usage[0]?.used) > 8 * 2 ** 20 && Number(inodes?.total) > 0 && s.volume_condition?.abnormal === false, s);
  await c.node('NodeUnpublishVolume', { volume_id: vol, target_path: tgt });
  check(`${fs}: unpublish removes the target`, !(await exists(tgt)), tgt);
  await c.node('NodeUnstageVolume', { volume_id: vol, staging_target_path: staging(vol) });
  check(`${fs}: unstage unmounts the staging path`, !(await isMounted(staging(vol))), '');
  await stage(c, vol, mountCap(fs), lvmCtx());
  await publish(c, vol, tgt, mountCap(fs), lvmCtx());
  check(`${fs}: staged again, the filesystem is mounted as is and the data reads back (sha256)`, (await sha(join(tgt, 'data.bin'))) === written, '');
  return { tgt, written };
}

async function main() {
  let c = await startPlugin();
  const info = await c.node<{ node_id: string; accessible_topology: { segments: Record<string, string> }; max_volumes_per_node: string }>('NodeGetInfo');
  check('NodeGetInfo: node, topology and max volumes', info.node_id === NODE && info.accessible_topology.segments['kubernetes.io/hostname'] === NODE && info.max_volumes_per_node === '256', info);
  const caps = await c.node<{ capabilities: { rpc: { type: string } }[] }>('NodeGetCapabilities');
  check('NodeGetCapabilities: stage, expand, stats, condition', caps.capabilities.map((x) => x.rpc.type).sort().join(',') === 'EXPAND_VOLUME,GET_VOLUME_STATS,STAGE_UNSTAGE_VOLUME,VOLUME_CONDITION', caps);

  const ext4 = await filesystemLifecycle(c, 'ext4', 'local-11111111-1111-4111-8111-111111111111', 256, 512, 1);
  await flush();
  const xfs = await filesystemLifecycle(c, 'xfs', 'local-22222222-2222-4222-8222-222222222222', 320, 640, 2);
  const other = await refusedWith(publish(c, 'local-22222222-2222-4222-8222-222222222222', ext4.tgt, mountCap('xfs'), lvmCtx()));
  // Restore from a read-only snapshot (Open-Local's read-only class): the restored volume is the snapshot LV itself,
  // mounted read-only, with its origin's xfs UUID while the origin is mounted (nouuid).
  const snap = 'snap-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
  const restored = 'local-bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
  await sh('lvm', 'lvcreate', '--snapshot', '--name', snap, '--size', '64m', '--yes', `${VG}/local-22222222-2222-4222-8222-222222222222`);
  const roCtx = lvmCtx({ 'csi.aliyun.com/snapshot-id': snap, 'csi.aliyun.com/readonly': 'true' });
  await stage(c, restored, mountCap('xfs'), roCtx);
  const rtgt = target(6, restored);
  await publish(c, restored, rtgt, mountCap('xfs'), roCtx);
  const writeRefused = await exec.run(['touch', join(rtgt, 'new')], { timeoutMs: 30_000, okCodes: [0, 1] });
  check('snapshot restore: the snapshot LV is mounted read-only beside its mounted xfs origin and reads the same bytes', (await sha(join(rtgt, 'data.bin'))) === xfs.written && writeRefused.code === 1, writeRefused.stderr);
  await c.node('NodeUnpublishVolume', { volume_id: restored, target_path: rtgt });
  await c.node('NodeUnstageVolume', { volume_id: restored, staging_target_path: staging(restored) });
  await sh('lvm', 'lvremove', '--yes', `${VG}/${snap}`);
  check('another volume published at a target that holds a volume is ALREADY_EXISTS', codeName(other.code) === 'ALREADY_EXISTS' && other.details.includes('is already published with'), other);
  await flush();

  // Raw block, with IO limits into a pod-like cgroup v2 directory.
  const blk = 'local-33333333-3333-4333-8333-333333333333';
  await sh('lvm', 'lvcreate', '--name', blk, '--size', '64m', '--addtag', 'open-local', '--yes', VG);
  const podCg = join(CGROUP, 'kubepods.slice', 'kubepods-burstable.slice', `kubepods-burstable-pod${podUid(3).replace(/-/g, '_')}.slice`);
  await mkdir(podCg, { recursive: true });
  const btgt = blockTarget(3, blk);
  await stage(c, blk, blockCap, lvmCtx());
  await publish(c, blk, btgt, blockCap, lvmCtx({ iops: '100', bps: '1Mi' }));
  await sh('dd', 'if=/dev/urandom', `of=${btgt}`, 'bs=1M', 'count=4', 'oflag=direct', 'status=none');
  const viaTarget = createHash('sha256').update((await readFile(btgt)).subarray(0, 4 * 2 ** 20)).digest('hex');
  const viaLv = createHash('sha256').update((await readFile(`/dev/${VG}/${blk}`)).subarray(0, 4 * 2 ** 20)).digest('hex');
  check('raw block: the target is the LV (bytes written through it read back from the LV)', viaTarget === viaLv && (await stat(btgt)).isBlockDevice(), { viaTarget, viaLv });
  const bs = await stats(c, blk, btgt);
  check('raw block: stats report the device size', bytesTotal(bs) === 64 * 2 ** 20, bs);
  const dev = decodeDev((await stat(`/dev/${VG}/${blk}`, { bigint: true })).rdev);
  const ioMax = await readFile(join(podCg, 'io.max'), 'utf8');
  const line = `${dev.major}:${dev.minor} rbps=1048576 wbps=1048576 riops=100 wiops=100`;
  check('IO limits: io.max of the pod cgroup (systemd layout) holds the LV\'s limits', ioMax.includes(line), { ioMax, line });
  await writeFile(join(podCg, 'io.max'), `${dev.major}:${dev.minor} rbps=max wbps=max riops=max wiops=max\n`);
  check('IO limits: cleared by hand before the restart', !(await readFile(join(podCg, 'io.max'), 'utf8')).includes('riops=100'), '');
  await flush();

  // Inline volume, then a plugin restart (SIGKILL: no chance to clean up) with everything published.
  const inline = 'csi-4a5b6c7d8e9f00112233445566778899aabbccddeeff00112233445566778899';
  const itgt = target(4, inline);
  await publish(c, inline, itgt, mountCap('ext4'), { 'csi.storage.k8s.io/ephemeral': 'true', vgName: VG, size: '64Mi' }, false, false);
  const inlineData = await writeRandom(join(itgt, 'inline.bin'), 2);
  const tags = await sh('lvm', 'lvs', '--noheadings', '-o', 'lv_tags', `${VG}/${inline}`);
  check('inline: LV created on publish, tagged as an inline volume', tags.includes('open-local.csi.ephemeral'), tags);
  const stateBefore = JSON.parse(await readFile(join(STATE, 'node-state.json'), 'utf8')) as { publications: Record<string, { ephemeral?: { uuid: string } }> };
  check('inline: recorded in the state file with its LV UUID', (stateBefore.publications[itgt]?.ephemeral?.uuid ?? '') !== '', stateBefore.publications[itgt]);

  await stopPlugin('SIGKILL');
  c = await startPlugin();
  const reapplied = await readFile(join(podCg, 'io.max'), 'utf8');
  check('IO limits: re-applied at plugin start from the state file', reapplied.includes(line), reapplied);
  await writeFile(join(podCg, 'io.max'), `${dev.major}:${dev.minor} rbps=max wbps=max riops=max wiops=max\n`);
  await publish(c, blk, btgt, blockCap, lvmCtx({ iops: '100', bps: '1Mi' }));
  const again = await readFile(join(podCg, 'io.max'), 'utf8');
  check('IO limits: a repeated publish applies them again', again.includes(line), again);
  const intact = (await sha(join(ext4.tgt, 'data.bin'))) === ext4.written && (await sha(join(xfs.tgt, 'data.bin'))) === xfs.written && (await sha(join(itgt, 'inline.bin'))) === inlineData;
  check('restart: mounts and data intact (sha256 of ext4, xfs and inline files)', intact && (await isMounted(ext4.tgt)) && (await isMounted(itgt)), '');
  const ext4Id = 'local-11111111-1111-4111-8111-111111111111';
  const st = await stats(c, ext4Id, ext4.tgt);
  check('restart: stats of a published volume still answer', bytesTotal(st) > 0 && st.volume_condition?.abnormal === false, st);
  await c.node('NodeUnpublishVolume', { volume_id: inline, target_path: itgt });
  await c.node('NodeUnpublishVolume', { volume_id: inline, target_path: itgt });
  const lvsAfter = await lvNames();
  const stateAfter = JSON.parse(await readFile(join(STATE, 'node-state.json'), 'utf8')) as { publications: Record<string, unknown> };
  check('inline: unpublished after the restart, its LV is removed and forgotten (twice = OK)', !lvsAfter.includes(inline) && !(itgt in stateAfter.publications) && !(await exists(itgt)), { lvsAfter });
  await flush();

  // Volume condition: the LV under a published volume disappears (renamed away while open).
  await sh('lvm', 'lvrename', VG, ext4Id, 'moved-away');
  const gone = await stats(c, ext4Id, ext4.tgt);
  check('condition: abnormal with a message naming the LV when it is gone', gone.volume_condition?.abnormal === true && /LV pool0\/local-1111.* no longer exists on node uml-node/.test(gone.volume_condition.message), gone.volume_condition);
  await sh('lvm', 'lvrename', VG, 'moved-away', ext4Id);

  // Device volumes: an empty exclusive disk is formatted with the derived UUID; a disk with a foreign ext4 is refused.
  const devVol = 'local-55555555-5555-4555-8555-555555555555';
  const devCtx = { volumeType: 'Device', Device: '/dev/ubdb' };
  await stage(c, devVol, mountCap('ext4'), devCtx);
  const dtgt = target(5, devVol);
  await publish(c, devVol, dtgt, mountCap('ext4'), devCtx);
  const devData = await writeRandom(join(dtgt, 'd.bin'), 2);
  const devUuid = await sh('blkid', '-p', '-s', 'UUID', '-o', 'value', '/dev/ubdb');
  await c.node('NodeUnpublishVolume', { volume_id: devVol, target_path: dtgt });
  await c.node('NodeUnstageVolume', { volume_id: devVol, staging_target_path: staging(devVol) });
  const otherVol = 'local-66666666-6666-4666-8666-666666666666';
  const same = await refusedWith(stage(c, otherVol, mountCap('ext4'), devCtx));
  check('Device: another volume ID on a disk formatted for a different volume is FAILED_PRECONDITION', codeName(same.code) === 'FAILED_PRECONDITION' && same.details.includes('did not create for this volume'), same);
  await stage(c, devVol, mountCap('ext4'), devCtx);
  await publish(c, devVol, dtgt, mountCap('ext4'), devCtx);
  check('Device: an empty disk is formatted with the derived UUID, re-staged as is, data intact', devUuid === volumeFsUuid(devVol) && (await sha(join(dtgt, 'd.bin'))) === devData, { devUuid });
  const busy = await refusedWith(stage(c, otherVol, mountCap('ext4'), devCtx));
  check('Device: the disk while mounted for its volume is FAILED_PRECONDITION for another volume (in use)', codeName(busy.code) === 'FAILED_PRECONDITION' && /\/dev\/ubdb on node uml-node is in use \(mounted: /.test(busy.details), busy);
  const foreignVol = 'local-77777777-7777-4777-8777-777777777777';
  const foreign = await refusedWith(stage(c, foreignVol, mountCap('ext4'), { volumeType: 'Device', Device: '/dev/ubdc' }));
  check('Device: a disk with a foreign ext4 is FAILED_PRECONDITION naming the signature, not mounted', codeName(foreign.code) === 'FAILED_PRECONDITION' && /ubdc carries ext4 \(UUID [0-9a-f-]+\) label "precious"/.test(foreign.details) && !(await isMounted(staging(foreignVol))), foreign);
  const foreignXfs = await refusedWith(stage(c, foreignVol, mountCap('xfs'), { volumeType: 'Device', Device: '/dev/ubdc' }));
  check('Device: the same disk asked as xfs is FAILED_PRECONDITION too (never reformatted)', codeName(foreignXfs.code) === 'FAILED_PRECONDITION' && foreignXfs.details.includes('not the requested xfs'), foreignXfs);
  await flush();

  // A PV exactly as Open-Local v0.7 made it: volumeHandle = LV name, its volumeAttributes, an ext4 that Open-Local's
  // FormatAndMount created with a random UUID and data in it: mounted as is.
  const v07 = 'local-dddddddd-dddd-4ddd-8ddd-dddddddddddd';
  await sh('lvm', 'lvcreate', '--name', v07, '--size', '64m', '--yes', VG);
  await sh('mkfs.ext4', '-q', `/dev/${VG}/${v07}`);
  await sh('mount', `/dev/${VG}/${v07}`, '/run/m');
  const v07Data = await writeRandom('/run/m/old.bin', 1);
  await sh('umount', '/run/m');
  const v07Ctx = { volumeType: 'LVM', vgName: VG, 'csi.storage.k8s.io/pv/name': v07, 'csi.storage.k8s.io/pvc/name': 'data', 'csi.storage.k8s.io/pvc/namespace': 'default', 'volume.kubernetes.io/selected-node': NODE, 'storage.kubernetes.io/csiProvisionerIdentity': '1700000000000-8081-local.csi.aliyun.com' };
  await stage(c, v07, mountCap('ext4'), v07Ctx);
  const v07tgt = target(8, v07);
  await publish(c, v07, v07tgt, mountCap('ext4'), v07Ctx);
  check('Open-Local v0.7 PV: its LV and ext4 (random UUID) are staged as they are, data intact', (await sha(join(v07tgt, 'old.bin'))) === v07Data, '');
  await c.node('NodeUnpublishVolume', { volume_id: v07, target_path: v07tgt });
  await c.node('NodeUnstageVolume', { volume_id: v07, staging_target_path: staging(v07) });

  // MountPoint volume (Open-Local's legacy kind): the pre-mounted directory is bind-mounted, never formatted.
  const mpVol = 'local-cccccccc-cccc-4ccc-8ccc-cccccccccccc';
  const mpCtx = { volumeType: 'MountPoint', MountPoint: '/mnt/open-local/mp0' };
  await mkdir('/mnt/open-local/mp0', { recursive: true });
  await sh('mount', '-t', 'tmpfs', 'mp0', '/mnt/open-local/mp0');
  await stage(c, mpVol, mountCap('ext4'), mpCtx);
  const mtgt = target(7, mpVol);
  await publish(c, mpVol, mtgt, mountCap('ext4'), mpCtx);
  await writeFile(join(mtgt, 'through-bind'), 'x');
  await c.node('NodeUnpublishVolume', { volume_id: mpVol, target_path: mtgt });
  await c.node('NodeUnstageVolume', { volume_id: mpVol, staging_target_path: staging(mpVol) });
  check('MountPoint: published as a bind of its directory; the data stays in the mount point after unpublish', (await exists('/mnt/open-local/mp0/through-bind')) && !(await exists(mtgt)), '');
  await sh('umount', '/mnt/open-local/mp0');
  await flush();

  // Hostile requests: each refused with its code, and nothing left behind (no LV, no mount, nothing outside).
  const lvsBefore = await lvNames();
  const mountsBefore = await mountsUnder(KUBELET);
  await mkdir('/run/outside', { recursive: true });
  await mkdir(`${KUBELET}/pods/${podUid(9)}/volumes`, { recursive: true });
  await symlink('/run/outside', `${KUBELET}/pods/${podUid(9)}/volumes/evil`);
  const freshVol = 'local-88888888-8888-4888-8888-888888888888';
  await sh('lvm', 'lvcreate', '--name', freshVol, '--size', '64m', '--addtag', 'open-local', '--yes', VG);
  const lvsWithFresh = await lvNames();
  const freshSha = await sh('sh', '-c', `sha256sum /dev/${VG}/${freshVol} | cut -d' ' -f1`);
  const req = (over: Record<string, unknown>) => ({ volume_id: freshVol, target_path: target(9, freshVol), staging_target_path: staging(freshVol), volume_capability: mountCap(), volume_context: lvmCtx(), readonly: false, ...over });
  // One at a time: each refusal is checked on its own, with no lock of another call in the way.
  const hostile: [string, () => Promise<unknown>, number, RegExp][] = [
    ['target path escaping with ..', () => c.node('NodePublishVolume', req({ target_path: `${KUBELET}/pods/../../../etc/evil` })), status.INVALID_ARGUMENT, /"\." or "\.\." segment/],
    ['target path outside the kubelet directory', () => c.node('NodePublishVolume', req({ target_path: '/etc/evil' })), status.INVALID_ARGUMENT, /not inside the kubelet directory/],
    ['target path through a symlink out of the kubelet directory', () => c.node('NodePublishVolume', req({ target_path: `${KUBELET}/pods/${podUid(9)}/volumes/evil/mount` })), status.INVALID_ARGUMENT, /through a symlink.*\/run\/outside/],
    ['relative staging path', () => c.node('NodeStageVolume', req({ staging_target_path: 'globalmount' })), status.INVALID_ARGUMENT, /not an absolute path/],
    ['publish without volume_id', () => c.node('NodePublishVolume', req({ volume_id: '' })), status.INVALID_ARGUMENT, /volume_id is required/],
    ['publish without volume_capability', () => c.node('NodePublishVolume', req({ volume_capability: null })), status.INVALID_ARGUMENT, /volume_capability is required/],
    ['stage of an unknown volume without staging path (checked before lookup)', () => c.node('NodeStageVolume', req({ volume_id: 'local-nope', staging_target_path: '' })), status.INVALID_ARGUMENT, /staging_target_path is required/],
    ['multi-node access mode', () => c.node('NodeStageVolume', req({ volume_capability: mountCap('ext4', 'MULTI_NODE_MULTI_WRITER') })), status.INVALID_ARGUMENT, /MULTI_NODE_MULTI_WRITER is not supported/],
    ['unknown fsType', () => c.node('NodeStageVolume', req({ volume_capability: mountCap('btrfs') })), status.INVALID_ARGUMENT, /fsType "btrfs" is not supported/],
    ['xfs on a 64 MiB LV', () => stage(c, freshVol, mountCap('xfs'), lvmCtx()), status.OUT_OF_RANGE, /has 67108864 bytes; xfs needs at least 314572800/],
    ['Device path escaping /dev', () => c.node('NodeStageVolume', req({ volume_context: { volumeType: 'Device', Device: '/dev/../etc/shadow' } })), status.INVALID_ARGUMENT, /not a clean path under \/dev/],
    ['vgName with a path in it', () => c.node('NodeStageVolume', req({ volume_context: lvmCtx({ vgName: '../../etc' }) })), status.INVALID_ARGUMENT, /not a valid LVM name/],
    ['an LV that does not exist', () => stage(c, 'local-99999999-9999-4999-8999-999999999999', mountCap(), lvmCtx()), status.NOT_FOUND, /LV pool0\/local-9999.* does not exist on node uml-node/],
    ['stats of an unknown volume at a relative path', () => c.node('NodeGetVolumeStats', { volume_id: 'nope', volume_path: 'some/path' }), status.NOT_FOUND, /not published at "some\/path"/],
    ['mount flag "bind"', () => c.node('NodeStageVolume', req({ volume_capability: mountCap('ext4', 'SINGLE_NODE_WRITER', ['bind']) })), status.INVALID_ARGUMENT, /set by the driver itself/],
    ['publish of a filesystem volume without staging path', () => c.node('NodePublishVolume', req({ staging_target_path: '' })), status.FAILED_PRECONDITION, /staging_target_path is missing/],
    ['inline volume with a negative size', () => c.node('NodePublishVolume', req({ volume_id: 'csi-deadbeef', staging_target_path: '', volume_context: { 'csi.storage.k8s.io/ephemeral': 'true', vgName: VG, size: '-1Gi' } })), status.INVALID_ARGUMENT, /negative/],
    ['raw block Device volume naming the disk of the VG', () => publish(c, 'local-abababab-abab-4bab-8bab-abababababab', blockTarget(9, 'local-abababab-abab-4bab-8bab-abababababab'), blockCap, { volumeType: 'Device', Device: '/dev/ubda' }), status.FAILED_PRECONDITION, /Device \/dev\/ubda on node uml-node is in use \(holder \/dev\/mapper\/pool0-/],
    ['MountPoint volume whose directory is not a mount point (would write to the root disk)', () => publish(c, mpVol, target(9, mpVol), mountCap('ext4'), mpCtx), status.NOT_FOUND, /mount point \/mnt\/open-local\/mp0 is not mounted on node uml-node/],
    ['MountPoint volume as a raw block device', () => stage(c, mpVol, blockCap, mpCtx), status.INVALID_ARGUMENT, /cannot be used as a raw block device/],
    ['volume ID with a slash', () => c.node('NodeUnpublishVolume', { volume_id: '../x', target_path: target(9, 'x') }), status.INVALID_ARGUMENT, /contains "\/"/],
  ];
  for (const [name, call, code, message] of hostile) {
    const r = await refusedWith(call());
    check(`hostile: ${name} → ${codeName(code)}`, r.code === code && message.test(r.details), { got: codeName(r.code), details: r.details });
  }
  const leftovers = {
    lvs: (await lvNames()).join(',') === lvsWithFresh.join(','),
    newLvs: lvsWithFresh.filter((l) => !lvsBefore.includes(l)),
    mounts: (await mountsUnder(KUBELET)).join(',') === mountsBefore.join(','),
    outside: (await readdir('/run/outside')).length === 0,
    etc: !(await exists('/etc/evil')),
    freshUntouched: (await sh('sh', '-c', `sha256sum /dev/${VG}/${freshVol} | cut -d' ' -f1`)) === freshSha,
    signatures: parseWipefs(await sh('wipefs', '--no-act', '--json', `/dev/${VG}/${freshVol}`)),
  };
  check('hostile: nothing left behind (LVs, mounts, files outside, the fresh LV\'s bytes)', leftovers.lvs && leftovers.newLvs.join() === freshVol && leftovers.mounts && leftovers.outside && leftovers.etc && leftovers.freshUntouched && leftovers.signatures.length === 0, leftovers);
  await flush();

  // Everything down again: nothing mounted under the kubelet directory afterwards.
  for (const [vol, tgt] of [[ext4Id, ext4.tgt], ['local-22222222-2222-4222-8222-222222222222', xfs.tgt], [devVol, dtgt]] as const) {
    await c.node('NodeUnpublishVolume', { volume_id: vol, target_path: tgt });
    await c.node('NodeUnstageVolume', { volume_id: vol, staging_target_path: staging(vol) });
  }
  await c.node('NodeUnpublishVolume', { volume_id: blk, target_path: btgt });
  await c.node('NodeUnstageVolume', { volume_id: blk, staging_target_path: staging(blk) });
  check('teardown: nothing mounted under the kubelet directory, block target file removed', (await mountsUnder(KUBELET)).length === 0 && !(await exists(btgt)), await mountsUnder(KUBELET));
  await stopPlugin('SIGTERM');
  await flush();
}

await main().catch(async (err: unknown) => {
  check('scenario ran to the end', false, err instanceof Error ? err.stack ?? err.message : String(err));
  await flush();
  await stopPlugin('SIGKILL').catch(() => undefined);
  process.exitCode = 1;
});
