/** What every controller handler shares: the cluster view, the allocator's options, locks and the node deadline. */
import type { LocalVolume } from '../../api/generated/types.js';
import type { AllocatorOptions } from '../../extender/allocator/types.js';
import type { Logger } from '../../lib/log.js';
import { unavailable } from '../grpc/errors.js';
import type { InFlight } from '../grpc/in-flight.js';
import { adoptionOf } from './adopt.js';
import type { ControllerCluster } from './cluster.js';
import { BLOCKING_DELETE_REASONS, describe, failureError } from './failure.js';
import { isReady } from './local-volume.js';
import { isPossibleId } from './names.js';
import type { RecentIds } from './recent-ids.js';

export interface ControllerContext {
  readonly cluster: ControllerCluster;
  readonly allocator: AllocatorOptions;
  /** How long a call waits for a node to act before DEADLINE_EXCEEDED (below the sidecars' --timeout). */
  readonly timeoutMs: number;
  readonly volumes: InFlight;
  readonly snapshots: InFlight;
  /** Volumes deleted lately: a repeated DeleteVolume answers OK instead of adopting their PV. */
  readonly deleted: RecentIds;
  readonly log: Logger;
  /** Runs placement and LocalVolume creation one at a time, so two volumes cannot both be given the last space. */
  serial<T>(fn: () => Promise<T>): Promise<T>;
}

/** UNAVAILABLE until the caches have listed: an answer from a half-filled cache would be wrong, not just late. */
export function requireSynced(ctx: ControllerContext): void {
  const missing = ctx.cluster.notReady();
  if (missing !== undefined) throw unavailable(`the controller is starting: ${missing}`);
}

/**
 * The LocalVolume of a volume ID: ours, or a new one adopting an Open-Local v0.7 PV of that name (created and waited
 * for until its node has recorded the LV). undefined when the ID is no volume we know.
 */
export async function volumeOrAdopt(ctx: ControllerContext, id: string): Promise<LocalVolume | undefined> {
  if (!isPossibleId(id)) return undefined;
  const lv = ctx.cluster.localVolume(id);
  if (lv) return lv;
  const pv = ctx.cluster.pv(id);
  const adoption = pv && adoptionOf(pv, id);
  if (!adoption) return undefined;
  ctx.log.info({ volume: id, node: adoption.spec.nodeName, vg: adoption.spec.vgName, device: adoption.spec.device }, 'adopting a volume Open-Local provisioned');
  await ctx.cluster.create(adoption);
  return waitReady(ctx, id);
}

/**
 * Waits until the node made the volume Ready for its current spec (and `done` holds, e.g. the new size reached); a
 * Failed one rejects with its mapped code.
 */
export function waitReady(ctx: ControllerContext, id: string, done: (lv: LocalVolume) => boolean = () => true): Promise<LocalVolume> {
  let last: LocalVolume | undefined;
  return ctx.cluster.wait(
    id,
    (lv) => {
      last = lv ?? last;
      if (!lv) return undefined;
      if (lv.status?.phase === 'Failed') throw failureError(lv);
      return isReady(lv) && done(lv) ? lv : undefined;
    },
    ctx.timeoutMs,
    () => `${last ? describe(last) : `volume "${id}"`} is not ready after ${Math.round(ctx.timeoutMs / 1000)} s (phase ${last?.status?.phase ?? 'none yet'}${last?.status?.message ? `: ${last.status.message}` : ''}); the node plugin on that node may be down`,
  );
}

/**
 * Deletes a LocalVolume and waits until it is gone. A Failed status, or a reason such as HasSnapshots, that the node
 * writes after the delete rejects with its mapped code; a status from before the delete (a creation that failed) does
 * not count. A failed command (reason CommandFailed) is retried by the node: the wait goes on.
 */
export async function deleteAndWait(ctx: ControllerContext, lv: LocalVolume): Promise<void> {
  const id = lv.metadata?.name ?? '';
  const before = JSON.stringify(lv.status ?? {});
  if (!lv.metadata?.deletionTimestamp) await ctx.cluster.delete(lv);
  let last: LocalVolume | undefined = lv;
  await ctx.cluster.wait(
    id,
    (current) => {
      if (!current) return true;
      last = current;
      const blocked = current.status?.phase === 'Failed' || BLOCKING_DELETE_REASONS.has(current.status?.reason ?? '');
      if (blocked && JSON.stringify(current.status) !== before) throw failureError(current);
      return undefined;
    },
    ctx.timeoutMs,
    () => `${last ? describe(last) : `volume "${id}"`} is not deleted after ${Math.round(ctx.timeoutMs / 1000)} s (phase ${last?.status?.phase ?? 'none'}${last?.status?.message ? `: ${last.status.message}` : ''}); the node plugin on that node may be down`,
  );
}
