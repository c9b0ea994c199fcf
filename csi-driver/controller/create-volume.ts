/**
 * CreateVolume: validate everything before any lookup, then (one call per volume at a time) answer from an
 * existing LocalVolume or place a new one with the allocator, create it, and wait for its node to make it Ready.
 */
import type { LocalVolume } from '../../api/generated/types.js';
import { SELECTED_NODE_ANNOTATION } from '../../extender/allocator/claims.js';
import { formatBytes } from '../../extender/allocator/bytes.js';
import type { Claim } from '../../extender/allocator/types.js';
import { aborted, alreadyExists, failedPrecondition, invalidArgument, notFound, outOfRange, resourceExhausted } from '../grpc/errors.js';
import type { CreateVolumeRequest, CreateVolumeResponse } from '../grpc/messages.js';
import { requireSynced, waitReady, type ControllerContext } from './context.js';
import { describe, failureError } from './failure.js';
import { validateCreateVolume, type Validated } from './create-request.js';
import { capacityOf, incompatibility, isRestore, isSnapshot, localVolumeFor, volumeOf, type VolumeRequest } from './local-volume.js';
import { isPossibleId } from './names.js';
import { placeVolume } from './placement.js';

export async function createVolume(ctx: ControllerContext, req: CreateVolumeRequest): Promise<CreateVolumeResponse> {
  const want = validateCreateVolume(req);
  return ctx.volumes.run(want.id, async () => {
    requireSynced(ctx);
    const existing = ctx.cluster.localVolume(want.id);
    const lv = existing ? await repeat(ctx, existing, want) : await createNew(ctx, want);
    return { volume: volumeOf(lv) };
  });
}

/** A repeated call: the same volume (wait for it), an incompatible one (ALREADY_EXISTS), or one that failed. */
async function repeat(ctx: ControllerContext, lv: LocalVolume, want: Validated): Promise<LocalVolume> {
  if (lv.metadata?.deletionTimestamp) throw aborted(`${describe(lv)} is being deleted; retry once it is gone`);
  const problem = incompatibility(lv, { csiName: want.name, parameters: want.params.all, size: want.size, source: want.source, requirement: want.requirement });
  if (problem !== undefined) throw alreadyExists(problem);
  if (lv.status?.phase === 'Failed') {
    // Nothing was made: remove the request so the retry (the provisioner may pick another node) starts afresh.
    await ctx.cluster.delete(lv);
    throw failureError(lv);
  }
  return waitForNew(ctx, want.id);
}

async function waitForNew(ctx: ControllerContext, id: string): Promise<LocalVolume> {
  try {
    return await waitReady(ctx, id);
  } catch (err) {
    const lv = ctx.cluster.localVolume(id);
    if (lv?.status?.phase === 'Failed') await ctx.cluster.delete(lv);
    throw err;
  }
}

async function createNew(ctx: ControllerContext, want: Validated): Promise<LocalVolume> {
  const request = await ctx.serial(async () => {
    const planned = plan(ctx, want);
    ctx.log.info({ volume: want.id, node: planned.node, vg: planned.vgName, device: planned.device, bytes: String(planned.bytes), source: want.source }, 'creating volume');
    const created = await ctx.cluster.create(localVolumeFor(planned));
    // The next placement must count this volume: hold the lock until the informer has it.
    await ctx.cluster.seen(want.id, ctx.timeoutMs);
    return created;
  });
  const problem = incompatibility(request, { csiName: want.name, parameters: want.params.all, size: want.size, source: want.source, requirement: want.requirement });
  if (problem !== undefined) throw alreadyExists(problem);
  return waitForNew(ctx, want.id);
}

/** The node and VG/device of a new volume, from its source or the allocator. */
function plan(ctx: ControllerContext, want: Validated): VolumeRequest {
  const { params } = want;
  const pvcId = params.pvc ? `${params.pvc.namespace}/${params.pvc.name}` : want.id;
  const base = { id: want.id, csiName: want.name, kind: params.kind, parameters: params.all, lvmType: params.lvmType, ...(params.pvc ? { pvc: params.pvc } : {}) };
  if (want.source && 'snapshot' in want.source) return planRestore(ctx, want, want.source.snapshot, base);
  let fixedNode: string | undefined;
  let vgName = params.vgName;
  if (want.source) {
    const src = sourceVolume(ctx, want.source.volume);
    if (want.size.bytes < capacityOf(src)) throw outOfRange(`a clone of "${want.source.volume}" needs at least its size, ${formatBytes(capacityOf(src))} (${capacityOf(src)} bytes); asked ${want.size.bytes}`);
    fixedNode = src.spec.nodeName;
    vgName ??= src.spec.vgName;
  } else if (params.pvc) {
    fixedNode = ctx.cluster.pvc(params.pvc.namespace, params.pvc.name)?.metadata?.annotations?.[SELECTED_NODE_ANNOTATION];
  }
  const claim: Claim = { id: pvcId, kind: params.kind, size: want.size.bytes, ...(vgName ? { vgName } : {}), ...(params.mediaType ? { mediaType: params.mediaType } : {}) };
  const placed = placeVolume(ctx.cluster, claim, fixedNode, want.requirement, ctx.allocator);
  return {
    ...base,
    node: placed.node,
    bytes: want.size.bytes,
    ...(placed.placement.vgName ? { vgName: placed.placement.vgName } : {}),
    ...(placed.placement.resource ? { device: placed.placement.resource } : {}),
    ...(want.source ? { source: want.source } : {}),
  };
}

/** A restore is the read-only snapshot LV itself: the snapshot's node and VG, the source's size. */
function planRestore(ctx: ControllerContext, want: Validated, snapshotId: string, base: Omit<VolumeRequest, 'node' | 'bytes'>): VolumeRequest {
  const snap = isPossibleId(snapshotId) ? ctx.cluster.localVolume(snapshotId) : undefined;
  if (!snap || !isSnapshot(snap)) throw notFound(`snapshot "${snapshotId}" not found`);
  if (snap.metadata?.deletionTimestamp) throw failedPrecondition(`${describe(snap)} is being deleted`);
  if (snap.status?.phase !== 'Ready') throw failedPrecondition(`${describe(snap)} is not ready (phase ${snap.status?.phase ?? 'none yet'})`);
  const sourceId = snap.spec.snapshotOf ?? '';
  const source = ctx.cluster.localVolume(sourceId);
  const bytes = source ? capacityOf(source) : Number(snap.spec.size ?? '0');
  if (want.size.bytes > bytes) throw outOfRange(`a volume restored from snapshot "${snapshotId}" is that read-only snapshot, ${formatBytes(bytes)} (${bytes} bytes); ${want.size.bytes} bytes were asked`);
  if (want.size.limit !== 0 && want.size.limit < bytes) throw outOfRange(`a volume restored from snapshot "${snapshotId}" has ${bytes} bytes, above limit_bytes ${want.size.limit}`);
  const node = snap.spec.nodeName;
  const selected = want.params.pvc ? ctx.cluster.pvc(want.params.pvc.namespace, want.params.pvc.name)?.metadata?.annotations?.[SELECTED_NODE_ANNOTATION] : undefined;
  if (selected !== undefined && selected !== node) throw resourceExhausted(`snapshot "${snapshotId}" is on node "${node}" (volume group "${snap.spec.vgName ?? ''}"); the volume restored from it must be there, not on the selected node "${selected}"`);
  if (want.requirement && want.requirement.allowed.size > 0 && !want.requirement.allowed.has(node)) throw resourceExhausted(`snapshot "${snapshotId}" is on node "${node}", which accessibility_requirements do not allow (${[...want.requirement.allowed].join(', ')})`);
  return { ...base, node, bytes, ...(snap.spec.vgName ? { vgName: snap.spec.vgName } : {}), source: { snapshot: snapshotId }, sourceVolume: sourceId };
}

function sourceVolume(ctx: ControllerContext, id: string): LocalVolume {
  const src = isPossibleId(id) ? ctx.cluster.localVolume(id) : undefined;
  if (!src || isSnapshot(src)) throw notFound(`source volume "${id}" not found`);
  if (src.spec.volumeType !== 'LVM') throw invalidArgument(`source volume "${id}" is a ${src.spec.volumeType} volume; only LVM volumes are cloned`);
  if (isRestore(src)) throw invalidArgument(`source volume "${id}" is a read-only snapshot restore; clone the original volume instead`);
  if (src.metadata?.deletionTimestamp) throw failedPrecondition(`${describe(src)} is being deleted`);
  if (src.status?.phase !== 'Ready') throw failedPrecondition(`${describe(src)} is not ready (phase ${src.status?.phase ?? 'none yet'})`);
  return src;
}
