/**
 * ControllerExpandVolume: an LVM volume's LocalVolume gets the new size, its node runs lvextend and reports the
 * size LVM made; the filesystem grows at NodeExpandVolume. Whole disks and read-only snapshot restores cannot grow.
 */
import { fitNode } from '../../extender/allocator/allocate.js';
import { formatBytes } from '../../extender/allocator/bytes.js';
import { invalidArgument, notFound, outOfRange, resourceExhausted } from '../grpc/errors.js';
import type { ControllerExpandVolumeRequest, ControllerExpandVolumeResponse } from '../grpc/messages.js';
import { capabilityProblems } from './capabilities.js';
import { wantedSize } from './capacity-range.js';
import { requireSynced, volumeOrAdopt, waitReady, type ControllerContext } from './context.js';
import { describe } from './failure.js';
import { capacityOf, isRestore, isSnapshot } from './local-volume.js';

export async function expandVolume(ctx: ControllerContext, req: ControllerExpandVolumeRequest): Promise<ControllerExpandVolumeResponse> {
  const id = req.volume_id;
  if (id === '') throw invalidArgument('volume_id is required');
  const size = wantedSize(req.capacity_range, true);
  if (req.volume_capability) {
    const problems = capabilityProblems([req.volume_capability]);
    if (problems !== undefined) throw invalidArgument(problems);
  }
  // A raw block volume has no filesystem to grow on the node.
  const nodeExpansion = req.volume_capability?.access_type !== 'block';
  return ctx.volumes.run(id, async () => {
    requireSynced(ctx);
    const lv = await volumeOrAdopt(ctx, id);
    if (!lv || isSnapshot(lv)) throw notFound(`volume "${id}" not found`);
    const current = capacityOf(lv);
    if (current >= size.bytes) return { capacity_bytes: String(current), node_expansion_required: nodeExpansion };
    if (isRestore(lv)) throw invalidArgument(`${describe(lv)} is a read-only snapshot and cannot grow`);
    if (lv.spec.volumeType !== 'LVM') throw outOfRange(`${describe(lv)} is a whole ${lv.spec.volumeType === 'Device' ? 'device' : 'mount point'} and cannot grow beyond ${formatBytes(current)}`);
    if (size.limit !== 0 && size.limit < size.bytes) throw outOfRange(`limit_bytes ${size.limit} is below required_bytes ${size.bytes}`);
    const node = lv.spec.nodeName;
    const grow = size.bytes - current;
    const fit = fitNode(ctx.cluster.storage(node), ctx.cluster.usage(node), [{ id, kind: 'LVM', size: grow, ...(lv.spec.vgName ? { vgName: lv.spec.vgName } : {}) }], ctx.allocator);
    if (!fit.fits) throw resourceExhausted(`cannot grow ${describe(lv)} from ${formatBytes(current)} to ${formatBytes(size.bytes)} on node "${node}": ${fit.reason}`);
    ctx.log.info({ volume: id, node, vg: lv.spec.vgName, from: String(current), to: String(size.bytes) }, 'expanding volume');
    const patched = await ctx.cluster.resize(lv, size.bytes);
    const generation = patched.metadata?.generation ?? 0;
    // The cache may still hold the Ready object of before the patch: wait for the node's answer to this one.
    const ready = await waitReady(ctx, id, (v) => Number(v.status?.size ?? '0') >= size.bytes && (v.status?.observedGeneration ?? generation) >= generation);
    return { capacity_bytes: String(capacityOf(ready)), node_expansion_required: nodeExpansion };
  });
}
