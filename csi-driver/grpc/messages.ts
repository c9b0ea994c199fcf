/**
 * The CSI v1 messages as csi-driver/grpc/load.ts decodes them (REQUEST side: every field present; unset messages
 * null, unset scalars "" / "0" / false, int64 as decimal strings, enums as names, a oneof's branch named by its
 * oneof field) and as handlers answer them (RESPONSE side: plain objects, omitted fields are unset). Only what the
 * driver uses is typed; names follow csi.proto exactly.
 */

export type StringMap = Record<string, string>;

export type AccessModeName =
  | 'UNKNOWN'
  | 'SINGLE_NODE_WRITER'
  | 'SINGLE_NODE_READER_ONLY'
  | 'MULTI_NODE_READER_ONLY'
  | 'MULTI_NODE_SINGLE_WRITER'
  | 'MULTI_NODE_MULTI_WRITER'
  | 'SINGLE_NODE_SINGLE_WRITER'
  | 'SINGLE_NODE_MULTI_WRITER';

export interface MountVolume {
  fs_type: string;
  mount_flags: string[];
  volume_mount_group: string;
}

export interface VolumeCapability {
  /** Which branch of the oneof is set ('block' | 'mount'), or undefined when neither is. */
  access_type?: 'block' | 'mount';
  block: Record<string, never> | null;
  mount: MountVolume | null;
  access_mode: { mode: AccessModeName } | null;
}

export interface CapacityRange {
  required_bytes: string;
  limit_bytes: string;
}

export interface Topology {
  segments: StringMap;
}

export interface TopologyRequirement {
  requisite: Topology[];
  preferred: Topology[];
}

export interface VolumeContentSource {
  type?: 'snapshot' | 'volume';
  snapshot: { snapshot_id: string } | null;
  volume: { volume_id: string } | null;
}

/** A Volume as answered. */
export interface Volume {
  capacity_bytes: string;
  volume_id: string;
  volume_context?: StringMap;
  content_source?: { snapshot: { snapshot_id: string } } | { volume: { volume_id: string } };
  accessible_topology?: Topology[];
}

export interface Timestamp {
  seconds: string;
  nanos: number;
}

/** A Snapshot as answered. */
export interface Snapshot {
  size_bytes: string;
  snapshot_id: string;
  source_volume_id: string;
  creation_time: Timestamp;
  ready_to_use: boolean;
}

export interface VolumeCondition {
  abnormal: boolean;
  message: string;
}

// Identity

export interface GetPluginInfoResponse {
  name: string;
  vendor_version: string;
  manifest?: StringMap;
}

export type PluginCapability =
  | { service: { type: 'CONTROLLER_SERVICE' | 'VOLUME_ACCESSIBILITY_CONSTRAINTS' | 'GROUP_CONTROLLER_SERVICE' } }
  | { volume_expansion: { type: 'ONLINE' | 'OFFLINE' } };

export interface GetPluginCapabilitiesResponse {
  capabilities: PluginCapability[];
}

export interface ProbeResponse {
  ready: { value: boolean };
}

// Controller

export interface CreateVolumeRequest {
  name: string;
  capacity_range: CapacityRange | null;
  volume_capabilities: VolumeCapability[];
  parameters: StringMap;
  secrets: StringMap;
  volume_content_source: VolumeContentSource | null;
  accessibility_requirements: TopologyRequirement | null;
  mutable_parameters: StringMap;
}

export interface CreateVolumeResponse {
  volume: Volume;
}

export interface DeleteVolumeRequest {
  volume_id: string;
  secrets: StringMap;
}

export interface ValidateVolumeCapabilitiesRequest {
  volume_id: string;
  volume_context: StringMap;
  volume_capabilities: VolumeCapability[];
  parameters: StringMap;
  secrets: StringMap;
  mutable_parameters: StringMap;
}

export interface ValidateVolumeCapabilitiesResponse {
  confirmed?: { volume_context: StringMap; volume_capabilities: VolumeCapability[]; parameters: StringMap; mutable_parameters?: StringMap };
  message?: string;
}

export interface ListVolumesRequest {
  max_entries: number;
  starting_token: string;
}

export interface ListVolumesResponse {
  entries: { volume: Volume; status?: { published_node_ids: string[]; volume_condition?: VolumeCondition } }[];
  next_token: string;
}

export interface GetCapacityRequest {
  volume_capabilities: VolumeCapability[];
  parameters: StringMap;
  accessible_topology: Topology | null;
}

export interface GetCapacityResponse {
  available_capacity: string;
  maximum_volume_size?: { value: string };
  minimum_volume_size?: { value: string };
}

export type ControllerCapabilityType =
  | 'CREATE_DELETE_VOLUME'
  | 'PUBLISH_UNPUBLISH_VOLUME'
  | 'LIST_VOLUMES'
  | 'GET_CAPACITY'
  | 'CREATE_DELETE_SNAPSHOT'
  | 'LIST_SNAPSHOTS'
  | 'CLONE_VOLUME'
  | 'PUBLISH_READONLY'
  | 'EXPAND_VOLUME'
  | 'LIST_VOLUMES_PUBLISHED_NODES'
  | 'VOLUME_CONDITION'
  | 'GET_VOLUME'
  | 'SINGLE_NODE_MULTI_WRITER'
  | 'MODIFY_VOLUME'
  | 'GET_SNAPSHOT';

export interface ControllerGetCapabilitiesResponse {
  capabilities: { rpc: { type: ControllerCapabilityType } }[];
}

export interface ControllerGetVolumeRequest {
  volume_id: string;
}

export interface ControllerGetVolumeResponse {
  volume: Volume;
  status: { published_node_ids: string[]; volume_condition: VolumeCondition };
}

export interface CreateSnapshotRequest {
  source_volume_id: string;
  name: string;
  secrets: StringMap;
  parameters: StringMap;
}

export interface CreateSnapshotResponse {
  snapshot: Snapshot;
}

export interface DeleteSnapshotRequest {
  snapshot_id: string;
  secrets: StringMap;
}

export interface ListSnapshotsRequest {
  max_entries: number;
  starting_token: string;
  source_volume_id: string;
  snapshot_id: string;
  secrets: StringMap;
}

export interface ListSnapshotsResponse {
  entries: { snapshot: Snapshot }[];
  next_token: string;
}

export interface ControllerExpandVolumeRequest {
  volume_id: string;
  capacity_range: CapacityRange | null;
  secrets: StringMap;
  volume_capability: VolumeCapability | null;
}

export interface ControllerExpandVolumeResponse {
  capacity_bytes: string;
  node_expansion_required: boolean;
}

// Node

export interface NodeStageVolumeRequest {
  volume_id: string;
  publish_context: StringMap;
  staging_target_path: string;
  volume_capability: VolumeCapability | null;
  secrets: StringMap;
  volume_context: StringMap;
}

export interface NodeUnstageVolumeRequest {
  volume_id: string;
  staging_target_path: string;
}

export interface NodePublishVolumeRequest {
  volume_id: string;
  publish_context: StringMap;
  staging_target_path: string;
  target_path: string;
  volume_capability: VolumeCapability | null;
  readonly: boolean;
  secrets: StringMap;
  volume_context: StringMap;
}

export interface NodeUnpublishVolumeRequest {
  volume_id: string;
  target_path: string;
}

export interface NodeGetVolumeStatsRequest {
  volume_id: string;
  volume_path: string;
  staging_target_path: string;
}

export interface VolumeUsage {
  available: string;
  total: string;
  used: string;
  unit: 'UNKNOWN' | 'BYTES' | 'INODES';
}

export interface NodeGetVolumeStatsResponse {
  usage: VolumeUsage[];
  volume_condition?: VolumeCondition;
}

export interface NodeExpandVolumeRequest {
  volume_id: string;
  volume_path: string;
  capacity_range: CapacityRange | null;
  staging_target_path: string;
  volume_capability: VolumeCapability | null;
  secrets: StringMap;
}

export interface NodeExpandVolumeResponse {
  capacity_bytes: string;
}

export type NodeCapabilityType =
  | 'STAGE_UNSTAGE_VOLUME'
  | 'GET_VOLUME_STATS'
  | 'EXPAND_VOLUME'
  | 'VOLUME_CONDITION'
  | 'SINGLE_NODE_MULTI_WRITER'
  | 'VOLUME_MOUNT_GROUP';

export interface NodeGetCapabilitiesResponse {
  capabilities: { rpc: { type: NodeCapabilityType } }[];
}

export interface NodeGetInfoResponse {
  node_id: string;
  max_volumes_per_node: string;
  accessible_topology: Topology;
}

/** Any handler: a decoded request in, a response object out (or a thrown CsiError). */
export type Handler<Req = never, Res = unknown> = (request: Req) => Promise<Res>;
