/**
 * NodePublishVolume / NodeUnpublishVolume. A filesystem volume is a bind mount of its staging mount; a raw block
 * volume a bind mount of the device node onto a file; a MountPoint volume a bind mount of its directory; an inline
 * volume gets its LV created, formatted and mounted right at the target. Every publication is recorded in the state
 * file (inline LVs and IO limits must survive a plugin restart); unpublish removes the target it created, never
 * recursively, so data under a mount that failed to go away is never deleted.
 */
import { mkdir, open, rm, rmdir, stat } from 'node:fs/promises';
import { alreadyExists, failedPrecondition, internal } from '../grpc/errors.js';
import type { AccessKind } from './capability.js';
import { decodeDev, podUidFromTargetPath } from './cgroup-paths.js';
import type { NodeDeps } from './deps.js';
import { checkDeviceFree } from './device-use.js';
import { checkFsSize, decideStage, fsMountOptions, mkfsArgv, volumeFsUuid } from './filesystem.js';
import { applyIoLimits } from './io-limits.js';
import { blockRdev, fsDev } from './mounter.js';
import { EPHEMERAL_TAG } from './node-lvm.js';
import { checkMountPoint, volumeDevice } from './stage.js';
import type { Publication } from './state-file.js';
import type { IoLimits, NodeVolume } from './volume-source.js';

export interface PublishRequest {
  readonly volumeId: string;
  readonly vol: NodeVolume;
  readonly access: AccessKind;
  readonly target: string;
  /** Required for LVM and Device filesystem volumes (checked by the caller). */
  readonly staging: string;
  readonly readOnly: boolean;
  readonly ioLimits: IoLimits;
}

const MKFS_TIMEOUT_MS = 600_000;

/**
 * An existing mount at the target is the same publication (OK) or another one (ALREADY_EXISTS). `expected` is what
 * the target must show: the device number of the raw device (block) or of the filesystem (st_dev) it must hold.
 */
async function samePublication(deps: NodeDeps, req: PublishRequest, expected: () => Promise<bigint | undefined>): Promise<boolean> {
  const mounted = await deps.mounter.mountAt(req.target);
  if (!mounted) return false;
  const readOnlyNow = mounted.options.includes('ro');
  const actual = req.access.kind === 'block' ? await blockRdev(req.target) : await fsDev(req.target);
  const sameThing = actual !== undefined && actual === (await expected());
  if (sameThing && readOnlyNow === req.readOnly) return true;
  throw alreadyExists(`volume ${req.volumeId}: target ${req.target} is already published with ${mounted.source} (${readOnlyNow ? 'read-only' : 'read-write'}), not this volume ${req.readOnly ? 'read-only' : 'read-write'}`);
}

async function ensureEphemeralLv(deps: NodeDeps, req: PublishRequest & { vol: Extract<NodeVolume, { type: 'Ephemeral' }> }): Promise<string> {
  const { vg, lv, sizeBytes } = req.vol;
  if (req.access.kind === 'mount') checkFsSize(req.volumeId, req.access.fsType, sizeBytes, `inline volume size`);
  const existing = await deps.lvm.find(vg, lv);
  if (existing && !existing.tags.includes(EPHEMERAL_TAG)) {
    throw failedPrecondition(`inline volume ${req.volumeId}: ${vg}/${lv} exists on node ${deps.nodeName} but is not an inline volume of this driver (no tag ${EPHEMERAL_TAG}); it is left alone`);
  }
  // Recorded before lvcreate: a crash between the two leaves a record whose unpublish finds and removes the LV by its tag.
  await deps.state.update((p) => {
    p[req.target] = { volumeId: req.volumeId, device: req.vol.device, lv: { vg, lv }, ephemeral: { vg, lv, uuid: existing?.uuid ?? '' } };
  });
  const made = existing ?? (await deps.lvm.createEphemeral(vg, lv, sizeBytes));
  if (!existing) deps.log.info({ volumeId: req.volumeId, vg, lv, bytes: String(sizeBytes), uuid: made.uuid }, 'created inline volume LV');
  await deps.state.update((p) => {
    p[req.target] = { volumeId: req.volumeId, device: req.vol.device, lv: { vg, lv }, ephemeral: { vg, lv, uuid: made.uuid } };
  });
  return req.vol.device;
}

export async function publish(deps: NodeDeps, req: PublishRequest): Promise<void> {
  const { vol, access, target, volumeId } = req;
  if (vol.type === 'MountPoint') {
    await checkMountPoint(deps, volumeId, vol.path);
    if (await samePublication(deps, req, () => fsDev(vol.path))) return record(deps, req, undefined);
    await mkdir(target, { recursive: true, mode: 0o750 });
    await deps.mounter.bind(vol.path, target, req.readOnly, []);
    await record(deps, req, undefined);
    return;
  }
  const device = vol.type === 'Ephemeral' ? await ensureEphemeralLv(deps, { ...req, vol }) : await volumeDevice(deps, volumeId, vol);
  if (access.kind === 'block') {
    if (await samePublication(deps, req, () => blockRdev(device))) return record(deps, req, device);
    if (vol.type === 'Device') await checkDeviceFree(deps, volumeId, device);
    const file = await open(target, 'a', 0o640);
    await file.close();
    await deps.mounter.bind(device, target, req.readOnly, []);
  } else if (vol.type === 'Ephemeral') {
    if (await samePublication(deps, req, () => blockRdev(device))) return record(deps, req, device);
    await mkdir(target, { recursive: true, mode: 0o750 });
    const probed = await deps.probe(device);
    if ('error' in probed) throw internal(`inline volume ${volumeId}: cannot read the signatures of ${device}: ${probed.error}`);
    if (decideStage({ volumeId, kind: 'LV', device, fsType: access.fsType, signatures: probed.signatures }).action === 'format') {
      await deps.exec.run(mkfsArgv(access.fsType, device, volumeFsUuid(volumeId)), { timeoutMs: MKFS_TIMEOUT_MS });
    }
    await deps.mounter.mountFs(device, target, access.fsType, fsMountOptions(access.fsType, req.readOnly, access.flags));
  } else {
    if (!(await deps.mounter.mountAt(req.staging))) throw failedPrecondition(`volume ${volumeId}: staging path ${req.staging} is not mounted on node ${deps.nodeName}; NodeStageVolume first`);
    if (await samePublication(deps, req, () => fsDev(req.staging))) return record(deps, req, device);
    await mkdir(target, { recursive: true, mode: 0o750 });
    await deps.mounter.bind(req.staging, target, req.readOnly, []);
  }
  await record(deps, req, device);
}

async function record(deps: NodeDeps, req: PublishRequest, device: string | undefined): Promise<void> {
  const previous = deps.state.current.publications[req.target];
  const publication: Publication = {
    volumeId: req.volumeId,
    ...(device !== undefined ? { device } : {}),
    ...(req.vol.type === 'LVM' || req.vol.type === 'Ephemeral' ? { lv: { vg: req.vol.vg, lv: req.vol.lv } } : {}),
    ...(req.ioLimits.iops !== undefined || req.ioLimits.bps !== undefined ? { ioLimits: req.ioLimits } : {}),
    ...(previous?.ephemeral ? { ephemeral: previous.ephemeral } : {}),
  };
  await deps.state.update((p) => {
    p[req.target] = publication;
  });
  await applyLimits(deps, req.target, publication);
  deps.log.info({ volumeId: req.volumeId, target: req.target, device, readOnly: req.readOnly }, 'published');
}

/**
 * Writes a publication's IO limits into its pod's cgroup; used on every publish (a repeat included, so a retried
 * call applies limits a failed one could not) and for every publication at plugin start.
 */
export async function applyLimits(deps: NodeDeps, target: string, publication: Publication): Promise<string[]> {
  const limits = publication.ioLimits;
  if (!limits || publication.device === undefined) return [];
  const uid = podUidFromTargetPath(target, deps.kubeletDir);
  const rdev = await blockRdev(publication.device);
  if (uid === undefined || rdev === undefined) {
    deps.log.warn({ volumeId: publication.volumeId, target, device: publication.device }, 'IO limits not applied: no pod UID in the target path or the device is gone');
    return [];
  }
  const dev = decodeDev(rdev);
  let files: string[];
  try {
    files = await applyIoLimits(deps.cgroupRoot, uid, dev, limits);
  } catch (err) {
    throw failedPrecondition(`volume ${publication.volumeId}: cannot apply IO limits (iops ${limits.iops ?? 'unset'}, bps ${limits.bps ?? 'unset'}) of ${publication.device} (${dev.major}:${dev.minor}) to pod ${uid} on node ${deps.nodeName}: ${(err as Error).message}`, err);
  }
  if (files.length === 0) deps.log.warn({ volumeId: publication.volumeId, podUid: uid, cgroupRoot: deps.cgroupRoot }, 'IO limits not applied: the pod cgroup was not found');
  else deps.log.info({ volumeId: publication.volumeId, files, iops: limits.iops, bps: limits.bps }, 'applied IO limits');
  return files;
}

export async function unpublish(deps: NodeDeps, volumeId: string, target: string): Promise<void> {
  await deps.mounter.unmountAll(target);
  const st = await stat(target).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  });
  // Not recursive: once nothing is mounted there, kubelet's empty directory (or our block file) is all there is.
  if (st?.isDirectory()) await rmdir(target);
  else if (st) await rm(target);
  const publication = deps.state.current.publications[target];
  const eph = publication?.ephemeral;
  if (eph) {
    if (eph.uuid !== '') {
      await deps.lvm.removeEphemeral(eph.vg, eph.lv, eph.uuid);
    } else {
      const found = await deps.lvm.find(eph.vg, eph.lv);
      if (found?.tags.includes(EPHEMERAL_TAG)) await deps.lvm.removeEphemeral(eph.vg, eph.lv, found.uuid);
    }
    deps.log.info({ volumeId, vg: eph.vg, lv: eph.lv }, 'removed inline volume LV');
  }
  if (publication) {
    await deps.state.forget(target);
  }
  deps.log.info({ volumeId, target }, 'unpublished');
}
