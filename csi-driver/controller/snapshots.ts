/**
 * CreateSnapshot and ListSnapshots: read-only LVM snapshots, each a LocalVolume with spec.snapshotOf on the source's
 * node and VG. The copy-on-write LV starts at the class's initial size (at most the source's size) and the agent
 * grows it by the class's threshold and step; the snapshot's size is its source's (what a restore holds).
 */
import { fitNode } from '../../extender/allocator/allocate.js';
import { formatBytes } from '../../extender/allocator/bytes.js';
import type { LocalVolume } from '../../api/generated/types.js';
import { alreadyExists, failedPrecondition, invalidArgument, notFound, resourceExhausted } from '../grpc/errors.js';
import type { CreateSnapshotRequest, CreateSnapshotResponse, ListSnapshotsRequest, ListSnapshotsResponse, Snapshot } from '../grpc/messages.js';
import { requireSynced, volumeOrAdopt, waitReady, type ControllerContext } from './context.js';
import { describe, failureError } from './failure.js';
import { capacityOf, idOf, isReady, isRestore, isSnapshot, snapshotVolumeFor } from './local-volume.js';
import { CSI_NAME_ANNOTATION, idForName, isPossibleId } from './names.js';
import { page } from './pagination.js';
import { parseSnapshotParameters } from './snapshot-parameters.js';

/** The Snapshot answered for a snapshot LocalVolume. */
export function snapshotOf(lv: LocalVolume, sourceBytes: number): Snapshot {
  const created = Date.parse(lv.metadata?.creationTimestamp ?? '');
  const seconds = Number.isNaN(created) ? Math.floor(Date.now() / 1000) : Math.floor(created / 1000);
  return { snapshot_id: idOf(lv), source_volume_id: lv.spec.snapshotOf ?? '', size_bytes: String(sourceBytes), creation_time: { seconds: String(seconds), nanos: 0 }, ready_to_use: isReady(lv) };
}

export async function createSnapshot(ctx: ControllerContext, req: CreateSnapshotRequest): Promise<CreateSnapshotResponse> {
  if (req.source_volume_id === '') throw invalidArgument('source_volume_id is required');
  const id = idForName('snapshot', req.name);
  const params = parseSnapshotParameters(req.parameters);
  return ctx.snapshots.run(id, async () => {
    requireSynced(ctx);
    const existing = ctx.cluster.localVolume(id);
    if (existing) {
      const name = existing.metadata?.annotations?.[CSI_NAME_ANNOTATION];
      if (!isSnapshot(existing) || name !== req.name || existing.spec.snapshotOf !== req.source_volume_id) {
        throw alreadyExists(`snapshot name ${JSON.stringify(req.name)} (ID "${id}") is taken by ${isSnapshot(existing) ? `a snapshot of volume "${existing.spec.snapshotOf ?? ''}"` : 'a volume'}`);
      }
      if (existing.status?.phase === 'Failed') {
        await ctx.cluster.delete(existing);
        throw failureError(existing);
      }
      const ready = await waitReady(ctx, id);
      return { snapshot: snapshotOf(ready, sourceBytes(ctx, ready)) };
    }
    const source = await volumeOrAdopt(ctx, req.source_volume_id);
    if (!source || isSnapshot(source)) throw notFound(`source volume "${req.source_volume_id}" not found`);
    if (source.spec.volumeType !== 'LVM') throw invalidArgument(`${describe(source)} is a ${source.spec.volumeType} volume: only LVM volumes have snapshots`);
    if (isRestore(source)) throw invalidArgument(`${describe(source)} is itself a read-only snapshot`);
    if (source.metadata?.deletionTimestamp) throw failedPrecondition(`${describe(source)} is being deleted`);
    const size = capacityOf(source);
    const bytes = Math.min(params.initialBytes, size);
    const node = source.spec.nodeName;
    const fit = fitNode(ctx.cluster.storage(node), ctx.cluster.usage(node), [{ id, kind: 'LVM', size: bytes, ...(source.spec.vgName ? { vgName: source.spec.vgName } : {}) }], ctx.allocator);
    if (!fit.fits) throw resourceExhausted(`cannot snapshot ${describe(source)} with ${formatBytes(bytes)} of copy-on-write space on node "${node}": ${fit.reason}`);
    ctx.log.info({ snapshot: id, volume: req.source_volume_id, node, vg: source.spec.vgName, bytes: String(bytes) }, 'creating snapshot');
    await ctx.cluster.create(snapshotVolumeFor({ id, csiName: req.name, source, bytes }));
    try {
      const ready = await waitReady(ctx, id);
      return { snapshot: snapshotOf(ready, size) };
    } catch (err) {
      const lv = ctx.cluster.localVolume(id);
      if (lv?.status?.phase === 'Failed') await ctx.cluster.delete(lv);
      throw err;
    }
  });
}

/** A snapshot's size: its source's, or (source gone) the snapshot LV's own. */
function sourceBytes(ctx: ControllerContext, snap: LocalVolume): number {
  const source = ctx.cluster.localVolume(snap.spec.snapshotOf ?? '');
  return source ? capacityOf(source) : Number(snap.spec.size ?? '0');
}

/** Cut snapshots only (Ready), sorted by ID; an unknown ID in a filter is an empty list, not an error. */
export function listSnapshots(ctx: ControllerContext, req: ListSnapshotsRequest): Promise<ListSnapshotsResponse> {
  requireSynced(ctx);
  let snaps = ctx.cluster.localVolumes().filter((lv) => isSnapshot(lv) && isReady(lv) && !lv.metadata?.deletionTimestamp);
  if (req.snapshot_id !== '') snaps = isPossibleId(req.snapshot_id) ? snaps.filter((lv) => idOf(lv) === req.snapshot_id) : [];
  if (req.source_volume_id !== '') snaps = snaps.filter((lv) => lv.spec.snapshotOf === req.source_volume_id);
  snaps.sort((a, b) => (idOf(a) < idOf(b) ? -1 : 1));
  const { entries, nextToken } = page(snaps, idOf, req.max_entries, req.starting_token);
  return Promise.resolve({ entries: entries.map((lv) => ({ snapshot: snapshotOf(lv, sourceBytes(ctx, lv)) })), next_token: nextToken });
}
