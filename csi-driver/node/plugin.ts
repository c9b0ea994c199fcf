/**
 * The node half of `open-local csi`: builds the node service's dependencies, loads the state file and re-applies
 * the IO limits of every recorded publication (a restarted plugin, or a rebooted node whose pods were restarted
 * into fresh cgroups with the same UID, must not leave a pod unthrottled).
 */
import type { Exec } from '../../lib/exec.js';
import type { Logger } from '../../lib/log.js';
import { wipefsProber } from '../../node-agent/discovery/signatures.js';
import type { NodeDeps } from './deps.js';
import { Mounter } from './mounter.js';
import { NodeLvm } from './node-lvm.js';
import { applyLimits } from './publish.js';
import { createNodeService } from './service.js';
import { StateFile } from './state-file.js';

export interface NodePluginOptions {
  readonly nodeName: string;
  readonly kubeletDir: string;
  readonly stateDir: string;
  readonly cgroupRoot: string;
  readonly maxVolumesPerNode: number;
  readonly exec: Exec;
  readonly log: Logger;
}

export async function startNodePlugin(options: NodePluginOptions): Promise<ReturnType<typeof createNodeService>> {
  const deps: NodeDeps = {
    nodeName: options.nodeName,
    kubeletDir: options.kubeletDir,
    cgroupRoot: options.cgroupRoot,
    exec: options.exec,
    mounter: new Mounter(options.exec),
    lvm: new NodeLvm(options.exec),
    probe: wipefsProber(options.exec),
    state: new StateFile(options.stateDir),
    log: options.log,
  };
  const state = await deps.state.load();
  const entries = Object.entries(state.publications);
  for (const [target, publication] of entries) {
    try {
      await applyLimits(deps, target, publication);
    } catch (err) {
      options.log.warn({ target, volumeId: publication.volumeId, err: (err as Error).message }, 'could not re-apply IO limits');
    }
  }
  options.log.info({ publications: entries.length, stateFile: deps.state.path }, 'node plugin state loaded');
  return createNodeService(deps, { maxVolumesPerNode: options.maxVolumesPerNode });
}
