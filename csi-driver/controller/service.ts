/**
 * The CSI Controller service: one handler per RPC, over the informer-fed cluster view. `startController` starts the
 * informers; its `ready()` feeds the Identity Probe, and the handlers answer UNAVAILABLE until the caches have listed.
 */
import type { Registry } from 'prom-client';
import type { AllocatorOptions } from '../../extender/allocator/types.js';
import type { KubeApi } from '../../lib/kube-api.js';
import type { Logger } from '../../lib/log.js';
import { InFlight } from '../grpc/in-flight.js';
import type { ServiceHandlers } from '../grpc/server.js';
import { ControllerCluster } from './cluster.js';
import type { ControllerContext } from './context.js';
import { createVolume } from './create-volume.js';
import { deleteSnapshot, deleteVolume } from './delete.js';
import { expandVolume } from './expand.js';
import { startOrphanSweeper, type OrphanSweepOptions } from './orphan-sweeper.js';
import { RecentIds } from './recent-ids.js';
import { CONTROLLER_CAPABILITIES, getCapacity, getVolume, listVolumes, validateVolumeCapabilities } from './queries.js';
import { createSnapshot, listSnapshots } from './snapshots.js';

export interface ControllerOptions {
  readonly api: KubeApi;
  readonly log: Logger;
  /** How long a call waits for a node before DEADLINE_EXCEEDED (keep it below the sidecars' --timeout). */
  readonly operationTimeoutMs: number;
  /** Which VG an LVM volume without vgName goes to; the extender's --strategy should match. @default spread */
  readonly allocator?: AllocatorOptions;
  /** When volumes whose claim was deleted before their PV was made are looked for (orphan-sweeper.ts). */
  readonly orphans?: OrphanSweepOptions;
  /** Where the controller's own metrics go. */
  readonly registry?: Registry;
}

export interface ControllerService {
  readonly handlers: ServiceHandlers;
  /** undefined when ready, else why not (for Probe and /readyz). */
  notReady(): string | undefined;
  stop(): Promise<void>;
}

export function startController(options: ControllerOptions): ControllerService {
  const cluster = new ControllerCluster(options.api, options.log);
  let queue: Promise<unknown> = Promise.resolve();
  const ctx: ControllerContext = {
    cluster,
    allocator: options.allocator ?? { strategy: 'spread' },
    timeoutMs: options.operationTimeoutMs,
    volumes: new InFlight(),
    snapshots: new InFlight(),
    deleted: new RecentIds(),
    log: options.log,
    serial: <T>(fn: () => Promise<T>): Promise<T> => {
      const run = queue.then(fn, fn);
      queue = run.catch(() => undefined);
      return run;
    },
  };
  cluster.start();
  const sweeper = startOrphanSweeper(ctx, options.orphans, options.registry);
  // A synchronous throw (validation) must become a rejected call, not escape the gRPC callback.
  const handle = <Req, Res>(fn: (c: ControllerContext, req: Req) => Promise<Res>) => (req: Req): Promise<Res> => Promise.resolve().then(() => fn(ctx, req));
  const handlers: ServiceHandlers = {
    CreateVolume: handle(createVolume),
    DeleteVolume: handle(deleteVolume),
    ControllerExpandVolume: handle(expandVolume),
    CreateSnapshot: handle(createSnapshot),
    DeleteSnapshot: handle(deleteSnapshot),
    ListSnapshots: handle(listSnapshots),
    ListVolumes: handle(listVolumes),
    ControllerGetVolume: handle(getVolume),
    ValidateVolumeCapabilities: handle(validateVolumeCapabilities),
    GetCapacity: handle(getCapacity),
    ControllerGetCapabilities: () => Promise.resolve(CONTROLLER_CAPABILITIES),
  };
  return {
    handlers,
    notReady: () => cluster.notReady(),
    stop: () => {
      sweeper.stop();
      return cluster.stop();
    },
  };
}
