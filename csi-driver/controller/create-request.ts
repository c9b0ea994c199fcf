/** CreateVolume's checks that need no lookup: they all run before the controller reads any object (the spec's rule). */
import { invalidArgument } from '../grpc/errors.js';
import type { CreateVolumeRequest, VolumeContentSource } from '../grpc/messages.js';
import { capabilityProblems } from './capabilities.js';
import { wantedSize, type WantedSize } from './capacity-range.js';
import type { ContentSource } from './local-volume.js';
import { idForName } from './names.js';
import { parseVolumeParameters, type VolumeParameters } from './parameters.js';
import { nodeRequirement, type NodeRequirement } from './topology.js';

export interface Validated {
  readonly id: string;
  readonly name: string;
  readonly params: VolumeParameters;
  readonly size: WantedSize;
  readonly requirement: NodeRequirement | undefined;
  readonly source: ContentSource | undefined;
}

/** Every check that needs no lookup; INVALID_ARGUMENT (or OUT_OF_RANGE for sizes) names each problem. */
export function validateCreateVolume(req: CreateVolumeRequest): Validated {
  const id = idForName('volume', req.name);
  const params = parseVolumeParameters(req.parameters);
  const problems = capabilityProblems(req.volume_capabilities, params.kind);
  if (problems !== undefined) throw invalidArgument(problems);
  if (Object.keys(req.mutable_parameters).length > 0) throw invalidArgument('mutable_parameters are not supported (the driver has no MODIFY_VOLUME capability)');
  const size = wantedSize(req.capacity_range);
  const requirement = nodeRequirement(req.accessibility_requirements);
  const source = contentSource(req.volume_content_source);
  if (source && params.kind !== 'LVM') throw invalidArgument(`only LVM volumes are restored from snapshots or cloned; this one is ${params.kind}`);
  return { id, name: req.name, params, size, requirement, source };
}

function contentSource(source: VolumeContentSource | null): ContentSource | undefined {
  if (!source?.type) return undefined;
  if (source.type === 'snapshot') {
    const id = source.snapshot?.snapshot_id ?? '';
    if (id === '') throw invalidArgument('volume_content_source.snapshot.snapshot_id is required');
    return { snapshot: id };
  }
  const id = source.volume?.volume_id ?? '';
  if (id === '') throw invalidArgument('volume_content_source.volume.volume_id is required');
  return { volume: id };
}

