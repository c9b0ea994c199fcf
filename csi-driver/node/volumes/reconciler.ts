/**
 * The node plugin's LocalVolume reconciler: watches the LocalVolumes of its own node only
 * (fieldSelector spec.nodeName=<node>), and for each one reads the node, plans (plan.ts), writes the status and runs
 * the actions, again and again until nothing is left to do. One volume is handled by one worker at a time; failures
 * retry with backoff. Every write is conditional on the resourceVersion the plan was made from.
 *
 * The critical path of a create is the finalizer, lvcreate and the Ready status: LVM facts are kept between passes
 * (lvm-cache.ts), a new LV is read back from the kernel (active-lv.ts), the first pass plans on the object the watch
 * delivered and each later pass on the object our last write returned (a change by someone else makes our next write
 * fail with a conflict, and the retry reads it).
 */
import { isDeepStrictEqual } from 'node:util';
import type { LocalVolume, LocalVolumeStatus } from '../../../api/generated/types.js';
import { ExecError, type Exec } from '../../../lib/exec.js';
import { Informer } from '../../../lib/informer.js';
import { isConflict, isNotFound, type KubeApi } from '../../../lib/kube-api.js';
import type { Logger } from '../../../lib/log.js';
import { WorkQueue } from '../../../lib/work-queue.js';
import { readActiveLv } from './active-lv.js';
import { readDiskFacts, readMountPointFacts } from './device-identity.js';
import { clearDirectory, copyBlocks, runLvm, wipeDevice } from './host-actions.js';
import { LvmFactsCache } from './lvm-cache.js';
import { readLv, readLvmFacts } from './lvm-facts.js';
import { REASON } from './reasons.js';
import { VOLUME_FINALIZER, isSettled, needsFreshFacts, planBeforeFacts, planVolume, type Action, type NewLv, type VolumePlan } from './plan.js';

const API_VERSION = 'csi.aliyun.com/v1alpha1';
const KIND = 'LocalVolume';
/** A plan converges in a handful of steps (a clone takes five); more means something keeps undoing them. */
const MAX_STEPS = 12;
/** A volume that is not Ready is looked at again this often: its cause (free space, a device) may change off the API. */
const RECHECK_MS = 30_000;
/**
 * Kept LVM facts older than this are read again before a create or a Ready verdict (everything else reads them
 * fresh anyway): the bound on how long a change made outside open-local (an LV removed by hand) goes unseen there.
 */
const FACTS_MAX_AGE_MS = 60_000;
/** A clone's progress is written when it moved this many points. */
const PROGRESS_STEP = 10;

export interface VolumeReconcilerOptions {
  readonly api: KubeApi;
  /** This node's name: only LocalVolumes with this spec.nodeName are seen and written. */
  readonly node: string;
  readonly exec: Exec;
  readonly log: Logger;
  /** @default '/sys' */
  readonly sysfs?: string;
}

export interface VolumeReconciler {
  /** Resolves once the first LIST of this node's volumes is cached (nothing is acted on before). */
  readonly synced: Promise<void>;
  stop(): Promise<void>;
}

export function startVolumeReconciler(options: VolumeReconcilerOptions): VolumeReconciler {
  const { api, node, exec } = options;
  const log = options.log.child({ component: 'volume-reconciler', node });
  const informer = new Informer<LocalVolume>(api, { apiVersion: API_VERSION, kind: KIND, fieldSelector: `spec.nodeName=${node}` }, log);
  const queue = new WorkQueue(async (name) => {
    await informer.synced;
    const settled = await reconcile(name);
    if (!settled) queue.addAfter(name, RECHECK_MS);
  }, log);
  /** The resourceVersion our last write of each volume returned: whether the informer's copy has caught up with it. */
  const lastWritten = new Map<string, string>();
  informer.onEvent((event, obj) => {
    if (event === 'delete' && obj.metadata?.name) lastWritten.delete(obj.metadata.name);
    if (obj.metadata?.name) queue.add(obj.metadata.name);
    // A volume whose deletion waits for its snapshots (HasSnapshots) or for a clone reading it may go on now.
    const source = obj.spec.snapshotOf ?? obj.spec.source?.volume;
    if (event === 'delete' && source !== undefined) queue.add(source);
  });
  void informer.start();

  const get = (name: string) => api.get<LocalVolume>(API_VERSION, KIND, name);
  /**
   * The informer's copy of a volume when it is not older than our last write of it, else undefined (read the API):
   * an event delivers the object as the API has it, so a pass needs no GET, except while the echo of our own write is
   * still on its way. Every write is conditional on the resourceVersion planned from; a newer change by someone else
   * fails it with a conflict, and the retry reads the API.
   */
  const cachedIfCurrent = (name: string): LocalVolume | undefined => {
    const cached = informer.get(name);
    const ours = lastWritten.get(name);
    return cached && (ours === undefined || ours === cached.metadata?.resourceVersion) ? cached : undefined;
  };
  const written = (volume: LocalVolume): LocalVolume => {
    const name = volume.metadata?.name;
    const rv = volume.metadata?.resourceVersion;
    if (name !== undefined && rv !== undefined) lastWritten.set(name, rv);
    return volume;
  };
  const lvmFacts = new LvmFactsCache(() => readLvmFacts(exec), FACTS_MAX_AGE_MS);

  /** The plan from what is on the node: for LVM from the kept facts when they may decide it (needsFreshFacts). */
  async function plan(volume: LocalVolume): Promise<VolumePlan> {
    const early = planBeforeFacts(volume);
    if (early) return early;
    const device = volume.spec.device ?? '';
    switch (volume.spec.volumeType) {
      case 'LVM': {
        const known = await lvmFacts.current();
        const planned = planVolume(volume, { node, lvm: known.facts });
        if (known.readNow || !needsFreshFacts(planned)) return planned;
        return planVolume(volume, { node, lvm: await lvmFacts.fresh() });
      }
      case 'Device':
        return planVolume(volume, { node, lvm: { vgs: [], lvs: [] }, device: await readDiskFacts(exec, device, options.sysfs) });
      case 'MountPoint':
        return planVolume(volume, { node, lvm: { vgs: [], lvs: [] }, device: await readMountPointFacts(exec, device) });
    }
  }

  /**
   * The LV our lvcreate just made, into the kept facts: from the kernel when it answers (no lvm2 process), from an
   * lvm2 report of that one LV otherwise; should both fail, the facts are read again at the next pass.
   */
  async function learnCreated(lv: NewLv): Promise<void> {
    try {
      const active = await readActiveLv(lv.vg, lv.name, options.sysfs);
      // What lvs prints for a new linear or striped LV: writable, inherited allocation, active (only a snapshot's attr is read).
      const made = active ? { name: lv.name, vgName: lv.vg, uuid: active.uuid, size: active.size, attr: '-wi-a-----', origin: '', tags: lv.tags } : await readLv(exec, lv.vg, lv.name);
      if (made) lvmFacts.created(made);
      else lvmFacts.invalidate();
    } catch (err) {
      lvmFacts.invalidate();
      throw err;
    }
  }

  /** PUT of the status subresource with the object's resourceVersion: a concurrent change makes it fail (409). */
  async function writeStatus(volume: LocalVolume, status: LocalVolumeStatus): Promise<LocalVolume> {
    const path = `${await api.objectPath({ ...volume, apiVersion: API_VERSION, kind: KIND })}/status`;
    return written(await api.request<LocalVolume>('PUT', path, { body: { ...volume, apiVersion: API_VERSION, kind: KIND, status } }));
  }

  async function setFinalizers(volume: LocalVolume, finalizers: string[]): Promise<LocalVolume> {
    const patch = { metadata: { finalizers, resourceVersion: volume.metadata?.resourceVersion } };
    return written(await api.mergePatch<LocalVolume>({ ...volume, apiVersion: API_VERSION, kind: KIND }, patch));
  }

  async function act(volume: LocalVolume, action: Action): Promise<LocalVolume> {
    const name = volume.metadata?.name;
    switch (action.kind) {
      case 'addFinalizer':
        return setFinalizers(volume, [...(volume.metadata?.finalizers ?? []), VOLUME_FINALIZER]);
      case 'removeFinalizer':
        log.info({ volume: name }, 'volume removed from the node; releasing its finalizer');
        return setFinalizers(volume, (volume.metadata?.finalizers ?? []).filter((f) => f !== VOLUME_FINALIZER));
      case 'lvm':
        log.info({ volume: name, argv: action.argv, why: action.why }, 'running lvm');
        try {
          await runLvm(exec, action.argv);
        } catch (err) {
          lvmFacts.invalidate();
          throw err;
        }
        // An LV we created is added to the kept facts; what any other command did is read from lvm2 again.
        if (action.creates) await learnCreated(action.creates);
        else lvmFacts.invalidate();
        return volume;
      case 'copy': {
        log.info({ volume: name, from: action.from, to: action.to, bytes: String(action.bytes) }, 'copying a clone');
        let current = volume;
        let written = current.status?.progress ?? 0;
        await copyBlocks(exec, action.from, action.to, action.bytes, async (percent) => {
          if (percent - written < PROGRESS_STEP || percent >= 100) return;
          // Progress is for people watching; a failed write of it must not abort the copy.
          try {
            current = await writeStatus(current, { ...current.status, progress: percent });
            written = percent;
          } catch (err) {
            log.warn({ err, volume: name }, 'could not write clone progress');
          }
        });
        return current;
      }
      case 'wipeDevice':
        log.info({ volume: name, device: action.device, identity: volume.status?.deviceIdentity }, 'wiping the device of a deleted volume');
        await wipeDevice(exec, action.device);
        return volume;
      case 'clearDirectory':
        log.info({ volume: name, directory: action.directory, identity: volume.status?.deviceIdentity }, 'clearing the mount point of a deleted volume');
        await clearDirectory(exec, action.directory);
        return volume;
    }
  }

  /**
   * A host command that failed (an LV in use, a full VG, a device error) is told where the controller and people
   * look, the volume's status, with the phase unchanged; the work queue retries with backoff. Best effort: the
   * failure itself is what the queue acts on.
   */
  async function reportFailure(volume: LocalVolume, err: ExecError): Promise<void> {
    const message = `on node ${node}: ${err.message}`;
    if (volume.status?.reason === REASON.commandFailed && volume.status.message === message) return;
    try {
      await writeStatus(volume, { ...volume.status, observedGeneration: volume.metadata?.generation, reason: REASON.commandFailed, message });
    } catch (writeErr) {
      log.warn({ err: writeErr, volume: volume.metadata?.name }, 'could not report a failed command in the status');
    }
  }

  /** One plan: its status written and its actions run. The object to plan from next, or whether the volume is settled. */
  async function pass(volume: LocalVolume): Promise<LocalVolume | boolean> {
    const name = volume.metadata?.name;
    const next = await plan(volume);
    let current = volume;
    if (!isDeepStrictEqual(volume.status ?? {}, next.status)) {
      current = await writeStatus(volume, next.status);
      if (next.status.phase !== volume.status?.phase || next.status.reason !== volume.status?.reason) {
        log.info({ volume: name, phase: next.status.phase, reason: next.status.reason, message: next.status.message }, 'volume status');
      }
    }
    if (next.actions.length === 0) return isSettled(current, next);
    try {
      for (const action of next.actions) current = await act(current, action);
    } catch (err) {
      if (isNotFound(err)) return true;
      if (err instanceof ExecError) await reportFailure(current, err);
      throw err;
    }
    return current;
  }

  /** Runs plans until one has no action; true when the volume is settled (Ready, or gone). */
  async function reconcile(name: string): Promise<boolean> {
    // Later passes plan from the object our last write returned.
    let volume = cachedIfCurrent(name) ?? (await get(name));
    for (let step = 0; step < MAX_STEPS; step++) {
      if (!volume || volume.spec.nodeName !== node) return true;
      let result: LocalVolume | boolean;
      try {
        result = await pass(volume);
      } catch (err) {
        if (!isConflict(err)) throw err;
        // Changed by someone else since it was read (a resize, a deletion): plan again from what it is now.
        volume = await get(name);
        continue;
      }
      if (typeof result === 'boolean') return result;
      volume = result;
    }
    throw new Error(`volume ${name} did not settle after ${MAX_STEPS} steps`);
  }

  return {
    synced: informer.synced,
    async stop() {
      queue.stop();
      await informer.stop();
      await queue.idle();
    },
  };
}
