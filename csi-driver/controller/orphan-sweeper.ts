/**
 * Deletes orphaned volumes (orphans.ts): a sweep over the informer caches, right after they have listed (what was
 * orphaned while the controller was down) and then every interval. A sweep reads no API; a deletion is one DELETE,
 * and the volume's node then removes what it made, by identity, as for DeleteVolume.
 */
import { Counter, type Registry } from 'prom-client';
import { CSI_DRIVER_NAME } from '../../api/group.js';
import type { ControllerContext } from './context.js';
import { describe } from './failure.js';
import { idOf } from './local-volume.js';
import { orphanedVolumes } from './orphans.js';

export interface OrphanSweepOptions {
  /** How often the caches are swept. @default 5 minutes */
  readonly intervalMs?: number;
  /** How old a volume must be before it can be an orphan (longer than any CreateVolume call). @default 10 minutes */
  readonly graceMs?: number;
}

export interface OrphanSweeper {
  /** One sweep now; resolves with the number of volumes deleted. */
  sweep(): Promise<number>;
  stop(): void;
}

export function startOrphanSweeper(ctx: ControllerContext, options: OrphanSweepOptions = {}, registry?: Registry): OrphanSweeper {
  const intervalMs = options.intervalMs ?? 5 * 60_000;
  const graceMs = options.graceMs ?? 10 * 60_000;
  const deleted = new Counter({
    name: 'open_local_csi_orphan_volumes_deleted_total',
    help: 'Volumes deleted because their claim was deleted before a PV was made for them',
    registers: registry ? [registry] : [],
  });
  let running: Promise<number> | undefined;

  const sweepOnce = async (): Promise<number> => {
    if (ctx.cluster.notReady() !== undefined) return 0;
    const pvHandles = new Set<string>();
    for (const pv of ctx.cluster.pvs()) if (pv.spec?.csi?.driver === CSI_DRIVER_NAME) pvHandles.add(pv.spec.csi.volumeHandle);
    const orphans = orphanedVolumes({
      localVolumes: ctx.cluster.localVolumes(),
      pvHandles,
      claimUid: (namespace, name) => ctx.cluster.pvc(namespace, name)?.metadata?.uid,
      now: Date.now(),
      graceMs,
    });
    let n = 0;
    for (const { volume, why } of orphans) {
      // A volume with a call in flight is the CO's business: ABORTED, and the next sweep looks again.
      await ctx.volumes.run(idOf(volume), async () => {
        ctx.log.warn({ volume: idOf(volume), node: volume.spec.nodeName, phase: volume.status?.phase ?? 'none', why }, `deleting ${describe(volume)}: ${why}`);
        await ctx.cluster.delete(volume);
        deleted.inc();
        n++;
      }).catch((err: unknown) => { ctx.log.info({ volume: idOf(volume), err: (err as Error).message }, 'orphaned volume left for the next sweep'); });
    }
    return n;
  };
  const sweep = (): Promise<number> => (running ??= sweepOnce().finally(() => { running = undefined; }));

  let stopped = false;
  void ctx.cluster.synced.then(() => { if (!stopped) void sweep(); });
  const timer = setInterval(() => { void sweep(); }, intervalMs);
  timer.unref();
  return { sweep, stop: () => { stopped = true; clearInterval(timer); } };
}
