/**
 * The CSI Node service: request checks in the order CSI asks (REQUIRED fields, then their values, then lookups),
 * a per-volume in-flight lock (a second call for the same volume answers ABORTED), and the handlers of stage.ts,
 * publish.ts and stats.ts.
 */
import { InFlight } from '../grpc/in-flight.js';
import { failedPrecondition, invalidArgument } from '../grpc/errors.js';
import type {
  NodeExpandVolumeRequest,
  NodeExpandVolumeResponse,
  NodeGetCapabilitiesResponse,
  NodeGetInfoResponse,
  NodeGetVolumeStatsRequest,
  NodeGetVolumeStatsResponse,
  NodePublishVolumeRequest,
  NodeStageVolumeRequest,
  NodeUnpublishVolumeRequest,
  NodeUnstageVolumeRequest,
} from '../grpc/messages.js';
import { TOPOLOGY_KEY } from '../volume-context.js';
import { parseCapability } from './capability.js';
import type { NodeDeps } from './deps.js';
import { checkPath } from './paths.js';
import { publish, unpublish } from './publish.js';
import { checkVolumeId, required } from './required.js';
import { stage, unstage } from './stage.js';
import { expand, volumeStats } from './stats.js';
import { parseIoLimits, parseNodeVolume } from './volume-source.js';

export const NODE_CAPABILITIES: NodeGetCapabilitiesResponse['capabilities'][number]['rpc']['type'][] = ['STAGE_UNSTAGE_VOLUME', 'EXPAND_VOLUME', 'GET_VOLUME_STATS', 'VOLUME_CONDITION'];

function nonNegativeBytes(rpc: string, field: string, text: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw invalidArgument(`${rpc}: ${field} "${text}" is not a byte count`);
  return Number(text);
}

export function createNodeService(deps: NodeDeps, options: { readonly maxVolumesPerNode: number }) {
  const inFlight = new InFlight();
  return {
    async NodeStageVolume(req: NodeStageVolumeRequest): Promise<Record<string, never>> {
      required('NodeStageVolume', { volume_id: req.volume_id, staging_target_path: req.staging_target_path, volume_capability: req.volume_capability });
      checkVolumeId('NodeStageVolume', req.volume_id);
      const access = parseCapability(req.volume_capability, req.volume_id);
      const vol = parseNodeVolume(req.volume_id, req.volume_context);
      const staging = await checkPath('staging_target_path', req.staging_target_path, deps.kubeletDir);
      await inFlight.run(req.volume_id, () => stage(deps, req.volume_id, vol, access, staging));
      return {};
    },

    async NodeUnstageVolume(req: NodeUnstageVolumeRequest): Promise<Record<string, never>> {
      required('NodeUnstageVolume', { volume_id: req.volume_id, staging_target_path: req.staging_target_path });
      checkVolumeId('NodeUnstageVolume', req.volume_id);
      const staging = await checkPath('staging_target_path', req.staging_target_path, deps.kubeletDir);
      await inFlight.run(req.volume_id, () => unstage(deps, req.volume_id, staging));
      return {};
    },

    async NodePublishVolume(req: NodePublishVolumeRequest): Promise<Record<string, never>> {
      required('NodePublishVolume', { volume_id: req.volume_id, target_path: req.target_path, volume_capability: req.volume_capability });
      checkVolumeId('NodePublishVolume', req.volume_id);
      const access = parseCapability(req.volume_capability, req.volume_id);
      const vol = parseNodeVolume(req.volume_id, req.volume_context);
      const ioLimits = parseIoLimits(req.volume_id, req.volume_context);
      if (vol.type === 'Ephemeral' && access.kind === 'block') throw invalidArgument(`inline volume ${req.volume_id}: inline volumes are filesystems, not raw block devices`);
      const needsStaging = access.kind === 'mount' && (vol.type === 'LVM' || vol.type === 'Device');
      if (needsStaging && req.staging_target_path === '') throw failedPrecondition(`volume ${req.volume_id}: staging_target_path is missing; this plugin stages volumes (STAGE_UNSTAGE_VOLUME)`);
      const target = await checkPath('target_path', req.target_path, deps.kubeletDir);
      const staging = needsStaging ? await checkPath('staging_target_path', req.staging_target_path, deps.kubeletDir) : '';
      if (needsStaging && staging === target) throw invalidArgument(`volume ${req.volume_id}: target_path and staging_target_path are the same path ${target}`);
      const readOnly = req.readonly || vol.readOnly || access.readOnlyMode;
      await inFlight.run(req.volume_id, () => publish(deps, { volumeId: req.volume_id, vol, access, target, staging, readOnly, ioLimits }));
      return {};
    },

    async NodeUnpublishVolume(req: NodeUnpublishVolumeRequest): Promise<Record<string, never>> {
      required('NodeUnpublishVolume', { volume_id: req.volume_id, target_path: req.target_path });
      checkVolumeId('NodeUnpublishVolume', req.volume_id);
      const target = await checkPath('target_path', req.target_path, deps.kubeletDir);
      await inFlight.run(req.volume_id, () => unpublish(deps, req.volume_id, target));
      return {};
    },

    async NodeGetVolumeStats(req: NodeGetVolumeStatsRequest): Promise<NodeGetVolumeStatsResponse> {
      required('NodeGetVolumeStats', { volume_id: req.volume_id, volume_path: req.volume_path });
      checkVolumeId('NodeGetVolumeStats', req.volume_id);
      return volumeStats(deps, req.volume_id, req.volume_path);
    },

    async NodeExpandVolume(req: NodeExpandVolumeRequest): Promise<NodeExpandVolumeResponse> {
      required('NodeExpandVolume', { volume_id: req.volume_id, volume_path: req.volume_path });
      checkVolumeId('NodeExpandVolume', req.volume_id);
      const requiredBytes = req.capacity_range ? nonNegativeBytes('NodeExpandVolume', 'capacity_range.required_bytes', req.capacity_range.required_bytes) : 0;
      const bytes = await inFlight.run(req.volume_id, () => expand(deps, req.volume_id, req.volume_path, requiredBytes));
      return { capacity_bytes: String(bytes) };
    },

    NodeGetCapabilities(): Promise<NodeGetCapabilitiesResponse> {
      return Promise.resolve({ capabilities: NODE_CAPABILITIES.map((type) => ({ rpc: { type } })) });
    },

    NodeGetInfo(): Promise<NodeGetInfoResponse> {
      return Promise.resolve({
        node_id: deps.nodeName,
        max_volumes_per_node: String(options.maxVolumesPerNode),
        accessible_topology: { segments: { [TOPOLOGY_KEY]: deps.nodeName } },
      });
    },
  };
}
