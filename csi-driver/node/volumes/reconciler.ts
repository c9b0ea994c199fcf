/**
 * The node plugin's LocalVolume reconciler: watches the LocalVolumes of its own node only
 * (fieldSelector spec.nodeName=<node>), and for each one reads the node, plans (plan.ts), writes the status and runs
 * the actions, again and again until nothing is left to do. One volume is handled by one worker at a time; failures
 * retry with backoff. Every write is conditional on the resourceVersion the plan was made from.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';
import type { LocalVolume, LocalVolumeStatus } from '../../../api/generated/types.js';
import { ExecError, type Exec } from '../../../lib/exec.js';
import { Informer } from '../../../lib/informer.js';
import { isNotFound, type KubeApi } from '../../../lib/kube-api.js';
import type { Logger } from '../../../lib/log.js';
import { WorkQueue } from '../../../lib/work-queue.js';
import { readDiskFacts, readMountPointFacts } from './device-identity.js';
import { clearDirectory, copyBlocks, runLvm, wipeDevice } from './host-actions.js';
import { readLvmFacts } from './lvm-facts.js';
import { VOLUME_FINALIZER, planVolume, type Action, type VolumeFacts } from './plan.js';

const API_VERSION = 'csi.aliyun.com/v1alpha1';
const KIND = 'LocalVolume';
/** A plan converges in a handful of steps (a clone takes five); more means something keeps undoing them. */
const MAX_STEPS = 12;
/** A volume that is not Ready is looked at again this often: its cause (free space, a device) may change off the API. */
const RECHECK_MS = 30_000;
/** A clone's progress is written when it moved this many points. */
const PROGRESS_STEP = 10;

export interface VolumeReconcilerOptions {
  readonly kc: KubeConfig;
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
  const { kc, api, node, exec } = options;
  const log = options.log.child({ component: 'volume-reconciler', node });
  const informer = new Informer<LocalVolume>(kc, api, { apiVersion: API_VERSION, kind: KIND, fieldSelector: `spec.nodeName=${node}` }, log);
  const queue = new WorkQueue(async (name) => {
    await informer.synced;
    const settled = await reconcile(name);
    if (!settled) queue.addAfter(name, RECHECK_MS);
  }, log);
  informer.onEvent((event, obj) => {
    if (obj.metadata?.name) queue.add(obj.metadata.name);
    // A volume whose deletion waits for its snapshots (HasSnapshots) or for a clone reading it may go on now.
    const source = obj.spec.snapshotOf ?? obj.spec.source?.volume;
    if (event === 'delete' && source !== undefined) queue.add(source);
  });
  void informer.start();

  const get = (name: string) => api.get<LocalVolume>(API_VERSION, KIND, name);

  async function facts(volume: LocalVolume): Promise<VolumeFacts> {
    const device = volume.spec.device ?? '';
    switch (volume.spec.volumeType) {
      case 'LVM':
        return { node, lvm: await readLvmFacts(exec) };
      case 'Device':
        return { node, lvm: { vgs: [], lvs: [] }, device: await readDiskFacts(exec, device, options.sysfs) };
      case 'MountPoint':
        return { node, lvm: { vgs: [], lvs: [] }, device: await readMountPointFacts(exec, device) };
    }
  }

  /** PUT of the status subresource with the object's resourceVersion: a concurrent change makes it fail (409). */
  async function writeStatus(volume: LocalVolume, status: LocalVolumeStatus): Promise<LocalVolume> {
    const path = `${await api.objectPath({ ...volume, apiVersion: API_VERSION, kind: KIND })}/status`;
    return api.request<LocalVolume>('PUT', path, { body: { ...volume, apiVersion: API_VERSION, kind: KIND, status } });
  }

  async function setFinalizers(volume: LocalVolume, finalizers: string[]): Promise<LocalVolume> {
    const patch = { metadata: { finalizers, resourceVersion: volume.metadata?.resourceVersion } };
    return api.mergePatch<LocalVolume>({ ...volume, apiVersion: API_VERSION, kind: KIND }, patch);
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
        await runLvm(exec, action.argv);
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
    if (volume.status?.reason === 'CommandFailed' && volume.status.message === message) return;
    try {
      await writeStatus(volume, { ...volume.status, observedGeneration: volume.metadata?.generation, reason: 'CommandFailed', message });
    } catch (writeErr) {
      log.warn({ err: writeErr, volume: volume.metadata?.name }, 'could not report a failed command in the status');
    }
  }

  /** Runs plans until one has no action; true when the volume is settled (Ready, or gone). */
  async function reconcile(name: string): Promise<boolean> {
    for (let step = 0; step < MAX_STEPS; step++) {
      // A fresh read every round: the cache may still hold the object from before our last write.
      let volume = await get(name);
      if (!volume || volume.spec.nodeName !== node) return true;
      const plan = planVolume(volume, await facts(volume));
      if (!isDeepStrictEqual(volume.status ?? {}, plan.status)) {
        const before = volume.status;
        volume = await writeStatus(volume, plan.status);
        if (plan.status.phase !== before?.phase || plan.status.reason !== before?.reason) {
          log.info({ volume: name, phase: plan.status.phase, reason: plan.status.reason, message: plan.status.message }, 'volume status');
        }
      }
      if (plan.actions.length === 0) return plan.status.phase === 'Ready' && plan.status.reason === undefined;
      try {
        for (const action of plan.actions) volume = await act(volume, action);
      } catch (err) {
        if (isNotFound(err)) return true;
        if (err instanceof ExecError) await reportFailure(volume, err);
        throw err;
      }
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
