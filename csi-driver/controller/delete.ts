/**
 * DeleteVolume and DeleteSnapshot remove only what open-local owns: an ID that names no LocalVolume (nor an Open-Local
 * PV to adopt) is already deleted (OK, nothing touched); a volume ID given to DeleteSnapshot, or a snapshot ID given
 * to DeleteVolume, is not that kind of object and is left alone. Dependents refuse the delete before anything changes.
 */
import { status } from '@grpc/grpc-js';
import { CsiError, failedPrecondition, invalidArgument } from '../grpc/errors.js';
import type { DeleteSnapshotRequest, DeleteVolumeRequest } from '../grpc/messages.js';
import { deleteAndWait, requireSynced, volumeOrAdopt, type ControllerContext } from './context.js';
import { describe } from './failure.js';
import { idOf, isSnapshot } from './local-volume.js';
import { isPossibleId } from './names.js';

export async function deleteVolume(ctx: ControllerContext, req: DeleteVolumeRequest): Promise<Record<string, never>> {
  const id = req.volume_id;
  if (id === '') throw invalidArgument('volume_id is required');
  if (!isPossibleId(id)) return {};
  return ctx.volumes.run(id, async () => {
    requireSynced(ctx);
    // A repeat of a DeleteVolume that finished: its PV is still there until this call answers OK.
    if (ctx.deleted.has(id) && !ctx.cluster.localVolume(id)) return {};
    const lv = await volumeOrAdopt(ctx, id).catch((err: unknown) => forgetMissing(ctx, id, err));
    if (!lv) return {};
    if (isSnapshot(lv)) {
      ctx.log.warn({ id }, 'DeleteVolume named a snapshot; left alone');
      return {};
    }
    const snapshots = ctx.cluster.localVolumes().filter((s) => s.spec.snapshotOf === id).map(idOf).sort();
    if (snapshots.length > 0) throw failedPrecondition(`${describe(lv)} has snapshot${snapshots.length > 1 ? 's' : ''} ${snapshots.join(', ')}: delete ${snapshots.length > 1 ? 'them' : 'it'} first`);
    const clones = ctx.cluster.localVolumes().filter((c) => c.spec.source?.volume === id && c.status?.phase !== 'Ready' && !c.metadata?.deletionTimestamp).map(idOf).sort();
    if (clones.length > 0) throw failedPrecondition(`${describe(lv)} is being copied into ${clones.join(', ')}: retry once the clone is ready`);
    ctx.log.info({ volume: id, node: lv.spec.nodeName }, 'deleting volume');
    await deleteAndWait(ctx, lv);
    ctx.deleted.add(id);
    return {};
  });
}

/**
 * A PV whose LV is not on its node any more (a DeleteVolume repeated after the volume was removed, before the
 * provisioner deleted the PV; or an Open-Local LV removed by hand): the volume is already deleted. The adoption
 * record the node answered NotFound for is removed (the node releases it without touching anything) and the
 * repeat answers OK, as CSI asks of DeleteVolume.
 */
async function forgetMissing(ctx: ControllerContext, id: string, err: unknown): Promise<undefined> {
  const record = ctx.cluster.localVolume(id);
  if (!(err instanceof CsiError) || err.code !== status.NOT_FOUND || !record?.spec.adopt) throw err;
  ctx.log.info({ volume: id, node: record.spec.nodeName }, 'the LV of this PV is already gone: nothing to delete');
  await deleteAndWait(ctx, record);
  ctx.deleted.add(id);
  return undefined;
}

export async function deleteSnapshot(ctx: ControllerContext, req: DeleteSnapshotRequest): Promise<Record<string, never>> {
  const id = req.snapshot_id;
  if (id === '') throw invalidArgument('snapshot_id is required');
  if (!isPossibleId(id)) return {};
  return ctx.snapshots.run(id, async () => {
    requireSynced(ctx);
    const lv = ctx.cluster.localVolume(id);
    if (!lv || !isSnapshot(lv)) return {};
    const restores = ctx.cluster.localVolumes().filter((v) => v.spec.source?.snapshot === id).map(idOf).sort();
    if (restores.length > 0) throw failedPrecondition(`${describe(lv)} is in use: volume${restores.length > 1 ? 's' : ''} ${restores.join(', ')} ${restores.length > 1 ? 'are' : 'is'} this read-only snapshot; delete ${restores.length > 1 ? 'them' : 'it'} first`);
    ctx.log.info({ snapshot: id, node: lv.spec.nodeName }, 'deleting snapshot');
    await deleteAndWait(ctx, lv);
    return {};
  });
}
