/** The read-only controller calls, answered from the caches: ListVolumes, ControllerGetVolume, ValidateVolumeCapabilities, GetCapacity. */
import { invalidArgument, notFound } from '../grpc/errors.js';
import type {
  ControllerGetCapabilitiesResponse,
  ControllerGetVolumeRequest,
  ControllerGetVolumeResponse,
  GetCapacityRequest,
  GetCapacityResponse,
  ListVolumesRequest,
  ListVolumesResponse,
  ValidateVolumeCapabilitiesRequest,
  ValidateVolumeCapabilitiesResponse,
} from '../grpc/messages.js';
import { adoptionOf } from './adopt.js';
import { capabilityProblems } from './capabilities.js';
import { capacity } from './capacity.js';
import { requireSynced, type ControllerContext } from './context.js';
import { volumeCondition } from './failure.js';
import { idOf, isSnapshot, volumeOf } from './local-volume.js';
import { isPossibleId } from './names.js';
import { page } from './pagination.js';
import { parseVolumeParameters } from './parameters.js';
import { nodeRequirement } from './topology.js';

export const CONTROLLER_CAPABILITIES: ControllerGetCapabilitiesResponse = {
  capabilities: (
    ['CREATE_DELETE_VOLUME', 'CREATE_DELETE_SNAPSHOT', 'LIST_SNAPSHOTS', 'CLONE_VOLUME', 'EXPAND_VOLUME', 'LIST_VOLUMES', 'GET_CAPACITY', 'GET_VOLUME', 'VOLUME_CONDITION', 'SINGLE_NODE_MULTI_WRITER'] as const
  ).map((type) => ({ rpc: { type } })),
};

/** Volumes (not snapshots) sorted by ID, each with its condition. */
export function listVolumes(ctx: ControllerContext, req: ListVolumesRequest): Promise<ListVolumesResponse> {
  requireSynced(ctx);
  const volumes = ctx.cluster.localVolumes().filter((lv) => !isSnapshot(lv)).sort((a, b) => (idOf(a) < idOf(b) ? -1 : 1));
  const { entries, nextToken } = page(volumes, idOf, req.max_entries, req.starting_token);
  return Promise.resolve({ entries: entries.map((lv) => ({ volume: volumeOf(lv), status: { published_node_ids: [], volume_condition: volumeCondition(lv) } })), next_token: nextToken });
}

export function getVolume(ctx: ControllerContext, req: ControllerGetVolumeRequest): Promise<ControllerGetVolumeResponse> {
  if (req.volume_id === '') throw invalidArgument('volume_id is required');
  requireSynced(ctx);
  const lv = isPossibleId(req.volume_id) ? ctx.cluster.localVolume(req.volume_id) : undefined;
  if (!lv || isSnapshot(lv)) throw notFound(`volume "${req.volume_id}" not found`);
  return Promise.resolve({ volume: volumeOf(lv), status: { published_node_ids: [], volume_condition: volumeCondition(lv) } });
}

export function validateVolumeCapabilities(ctx: ControllerContext, req: ValidateVolumeCapabilitiesRequest): Promise<ValidateVolumeCapabilitiesResponse> {
  if (req.volume_id === '') throw invalidArgument('volume_id is required');
  if (req.volume_capabilities.length === 0) throw invalidArgument('volume_capabilities is required (at least one)');
  requireSynced(ctx);
  const id = req.volume_id;
  const lv = isPossibleId(id) ? (ctx.cluster.localVolume(id) ?? adoptionFromPv(ctx, id)) : undefined;
  if (!lv || isSnapshot(lv)) throw notFound(`volume "${id}" not found`);
  const problems = capabilityProblems(req.volume_capabilities, lv.spec.volumeType);
  if (problems !== undefined) return Promise.resolve({ message: problems });
  if (Object.keys(req.parameters).length > 0) {
    try {
      const params = parseVolumeParameters(req.parameters);
      if (params.kind !== lv.spec.volumeType) return Promise.resolve({ message: `the volume is ${lv.spec.volumeType}, the parameters ask for ${params.kind}` });
    } catch (err) {
      return Promise.resolve({ message: err instanceof Error ? err.message : String(err) });
    }
  }
  return Promise.resolve({ confirmed: { volume_context: req.volume_context, volume_capabilities: req.volume_capabilities, parameters: req.parameters } });
}

/** An Open-Local PV not adopted yet still names a volume (read-only calls do not adopt it). */
function adoptionFromPv(ctx: ControllerContext, id: string) {
  const pv = ctx.cluster.pv(id);
  return pv && adoptionOf(pv, id);
}

export function getCapacity(ctx: ControllerContext, req: GetCapacityRequest): Promise<GetCapacityResponse> {
  const params = parseVolumeParameters(req.parameters);
  const node = req.accessible_topology ? [...(nodeRequirement({ requisite: [req.accessible_topology], preferred: [] })?.allowed ?? [])][0] : undefined;
  requireSynced(ctx);
  // Capabilities this kind cannot serve leave no room for such a volume.
  if (req.volume_capabilities.length > 0 && capabilityProblems(req.volume_capabilities, params.kind) !== undefined) return Promise.resolve({ available_capacity: '0', maximum_volume_size: { value: '0' } });
  const { available, maximum } = capacity(ctx.cluster, params, node);
  return Promise.resolve({ available_capacity: String(available), maximum_volume_size: { value: String(maximum) } });
}
