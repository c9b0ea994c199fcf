/**
 * NodeStageVolume / NodeUnstageVolume: the volume's filesystem mounted once per node at the staging path, for the
 * publications to bind. Raw block and MountPoint volumes have nothing to stage (publish binds the device or the
 * directory itself); their stage only checks that the device or directory is there.
 */
import { mkdir } from 'node:fs/promises';
import { alreadyExists, failedPrecondition, internal, invalidArgument, notFound } from '../grpc/errors.js';
import type { AccessKind } from './capability.js';
import { deviceSize, type NodeDeps } from './deps.js';
import { checkDeviceFree } from './device-use.js';
import { checkFsSize, decideStage, fsMountOptions, mkfsArgv, volumeFsUuid } from './filesystem.js';
import { blockRdev, fsDev } from './mounter.js';
import type { NodeVolume } from './volume-source.js';

const MKFS_TIMEOUT_MS = 600_000;

/** The device of an LVM or Device volume, after checking it is there (NOT_FOUND names node, VG and LV). */
export async function volumeDevice(deps: NodeDeps, volumeId: string, vol: NodeVolume): Promise<string> {
  if (vol.type === 'MountPoint') throw internal(`volume ${volumeId}: a MountPoint volume has no device`);
  if ((await blockRdev(vol.device)) !== undefined) return vol.device;
  // The device node of an LV is there exactly while the LV is active: lvm2 (a slow process to start) is asked only
  // to tell a missing LV from an inactive one.
  if ((vol.type === 'LVM' || vol.type === 'Ephemeral') && !(await deps.lvm.find(vol.vg, vol.lv))) {
    throw notFound(`volume ${volumeId}: LV ${vol.vg}/${vol.lv} does not exist on node ${deps.nodeName}`);
  }
  throw notFound(`volume ${volumeId}: ${vol.device} is not a block device on node ${deps.nodeName}`);
}

/** A MountPoint volume's directory must be a mount point: an unmounted one would put the pod's data on the root disk. */
export async function checkMountPoint(deps: NodeDeps, volumeId: string, path: string): Promise<void> {
  if (!(await deps.mounter.mountAt(path))) throw notFound(`volume ${volumeId}: mount point ${path} is not mounted on node ${deps.nodeName}`);
}

export async function stage(deps: NodeDeps, volumeId: string, vol: NodeVolume, access: AccessKind, staging: string): Promise<void> {
  if (vol.type === 'Ephemeral') throw invalidArgument(`volume ${volumeId}: an inline volume is published without staging`);
  if (vol.type === 'MountPoint') {
    if (access.kind === 'block') throw invalidArgument(`volume ${volumeId}: a MountPoint volume is a directory and cannot be used as a raw block device`);
    await checkMountPoint(deps, volumeId, vol.path);
    return;
  }
  const device = await volumeDevice(deps, volumeId, vol);
  if (access.kind === 'block') return;

  const readOnly = vol.readOnly || access.readOnlyMode;
  await mkdir(staging, { recursive: true, mode: 0o750 });
  const mounted = await deps.mounter.mountAt(staging);
  if (mounted) {
    const same = (await fsDev(staging)) === (await blockRdev(device)) && mounted.fsType === access.fsType;
    if (same) return;
    throw alreadyExists(`volume ${volumeId}: staging path ${staging} already holds ${mounted.source} (${mounted.fsType}), not ${device} as ${access.fsType}`);
  }
  const kind = vol.type === 'LVM' ? 'LV' : 'Device';
  if (vol.type === 'Device') await checkDeviceFree(deps, volumeId, device);
  const probed = await deps.probe(device);
  if ('error' in probed) throw internal(`volume ${volumeId}: cannot read the signatures of ${device} on node ${deps.nodeName}: ${probed.error}`);
  const decision = decideStage({ volumeId, kind, device, fsType: access.fsType, signatures: probed.signatures });
  if (decision.action === 'format') {
    if (readOnly) throw failedPrecondition(`volume ${volumeId}: ${kind} ${device} has no filesystem and the volume is read-only; nothing to mount`);
    checkFsSize(volumeId, access.fsType, await deviceSize(deps, device), `${kind} ${device}`);
    deps.log.info({ volumeId, device, fsType: access.fsType }, 'formatting an empty device');
    await deps.exec.run(mkfsArgv(access.fsType, device, volumeFsUuid(volumeId)), { timeoutMs: MKFS_TIMEOUT_MS });
  }
  await deps.mounter.mountFs(device, staging, access.fsType, fsMountOptions(access.fsType, readOnly, access.flags, vol.type === 'LVM' && vol.readOnly));
  deps.log.info({ volumeId, device, staging, fsType: access.fsType, readOnly }, 'staged');
}

export async function unstage(deps: NodeDeps, volumeId: string, staging: string): Promise<void> {
  await deps.mounter.unmountAll(staging);
  deps.log.info({ volumeId, staging }, 'unstaged');
}
