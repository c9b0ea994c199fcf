/**
 * NodeGetVolumeStats and NodeExpandVolume, both about a published path. A path where nothing is mounted (a relative
 * one included: csi-sanity sends "some/path") is a volume that is not there: NOT_FOUND. The volume's device comes from
 * the publication recorded in the state file; its disappearance is reported as an abnormal volume condition.
 */
import { stat, statfs } from 'node:fs/promises';
import { failedPrecondition, invalidArgument, notFound, outOfRange } from '../grpc/errors.js';
import { FILESYSTEMS, type Filesystem } from './capability.js';
import { deviceSize, type NodeDeps } from './deps.js';
import { growArgv } from './filesystem.js';
import { blockRdev } from './mounter.js';
import { checkPath } from './paths.js';
import type { Publication } from './state-file.js';

export interface Usage {
  readonly available: string;
  readonly total: string;
  readonly used: string;
  readonly unit: 'BYTES' | 'INODES';
}

export interface StatsResult {
  readonly usage: Usage[];
  readonly volume_condition: { readonly abnormal: boolean; readonly message: string };
}

const GROW_TIMEOUT_MS = 600_000;

/** The published path of `volumeId`, checked: NOT_FOUND when nothing of this volume is mounted there. */
async function publishedAt(deps: NodeDeps, volumeId: string, path: string): Promise<{ path: string; publication: Publication | undefined; fsType: string; readOnly: boolean }> {
  if (!path.startsWith('/')) throw notFound(`volume ${volumeId} is not published at "${path}" on node ${deps.nodeName} (not an absolute path)`);
  const clean = await checkPath('volume_path', path, deps.kubeletDir);
  const mounted = await deps.mounter.mountAt(clean);
  if (!mounted) throw notFound(`volume ${volumeId} is not published at ${clean} on node ${deps.nodeName} (nothing is mounted there)`);
  const publication = deps.state.current.publications[clean];
  if (publication && publication.volumeId !== volumeId) throw notFound(`volume ${volumeId} is not published at ${clean} on node ${deps.nodeName} (volume ${publication.volumeId} is)`);
  return { path: clean, publication, fsType: mounted.fsType, readOnly: mounted.options.includes('ro') };
}

async function condition(deps: NodeDeps, publication: Publication | undefined): Promise<{ abnormal: boolean; message: string }> {
  const device = publication?.device;
  if (device === undefined) return { abnormal: false, message: 'mounted' };
  const lv = publication?.lv;
  if (lv && !(await deps.lvm.find(lv.vg, lv.lv))) return { abnormal: true, message: `LV ${lv.vg}/${lv.lv} no longer exists on node ${deps.nodeName}` };
  if ((await blockRdev(device)) === undefined) return { abnormal: true, message: `device ${device} is gone from node ${deps.nodeName}` };
  return { abnormal: false, message: `${device} present` };
}

export async function volumeStats(deps: NodeDeps, volumeId: string, path: string): Promise<StatsResult> {
  const at = await publishedAt(deps, volumeId, path);
  const volume_condition = await condition(deps, at.publication);
  if ((await stat(at.path)).isBlockDevice()) {
    const total = await deviceSize(deps, at.path);
    return { usage: [{ available: '0', total: String(total), used: '0', unit: 'BYTES' }], volume_condition };
  }
  const s = await statfs(at.path, { bigint: true });
  return {
    usage: [
      { available: String(s.bavail * s.bsize), total: String(s.blocks * s.bsize), used: String((s.blocks - s.bfree) * s.bsize), unit: 'BYTES' },
      { available: String(s.ffree), total: String(s.files), used: String(s.files - s.ffree), unit: 'INODES' },
    ],
    volume_condition,
  };
}

/** Grows the filesystem at a published path to its device's size (online); answers the device's size. */
export async function expand(deps: NodeDeps, volumeId: string, path: string, requiredBytes: number): Promise<number> {
  const at = await publishedAt(deps, volumeId, path);
  const device = at.publication?.device;
  if (device === undefined) throw failedPrecondition(`volume ${volumeId} at ${at.path} has no device of its own (a MountPoint volume): it cannot be expanded`);
  const size = await deviceSize(deps, device);
  if (requiredBytes > size) throw outOfRange(`volume ${volumeId}: ${device} on node ${deps.nodeName} has ${size} bytes, less than the ${requiredBytes} asked; expand the volume (ControllerExpandVolume) first`);
  if ((await stat(at.path)).isBlockDevice()) return size;
  if (!(FILESYSTEMS as readonly string[]).includes(at.fsType)) throw invalidArgument(`volume ${volumeId}: filesystem ${at.fsType} at ${at.path} cannot be grown by this driver`);
  if (at.readOnly) throw failedPrecondition(`volume ${volumeId} is mounted read-only at ${at.path}; a read-only filesystem is not grown`);
  await deps.exec.run(growArgv(at.fsType as Filesystem, device, at.path), { timeoutMs: GROW_TIMEOUT_MS });
  deps.log.info({ volumeId, device, path: at.path, bytes: String(size) }, 'grew filesystem');
  return size;
}
