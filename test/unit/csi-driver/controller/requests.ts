// Decoded CSI requests as csi-driver/grpc/load.ts hands them to handlers (every field present, unset messages
// null, unset scalars "" / "0"), for the controller's unit tests.
import type { AccessModeName, CreateVolumeRequest, VolumeCapability } from '../../../../csi-driver/grpc/messages.js';

export const GiB = 1024 ** 3;

export function mountCap(mode: AccessModeName = 'SINGLE_NODE_WRITER', fsType = ''): VolumeCapability {
  return { access_type: 'mount', mount: { fs_type: fsType, mount_flags: [], volume_mount_group: '' }, block: null, access_mode: { mode } };
}

export function blockCap(mode: AccessModeName = 'SINGLE_NODE_WRITER'): VolumeCapability {
  return { access_type: 'block', block: {}, mount: null, access_mode: { mode } };
}

export function createVolumeRequest(overrides: Partial<CreateVolumeRequest> = {}): CreateVolumeRequest {
  return {
    name: 'local-0b4ef5e4-1b36-4d7e-9a8c-3f1e2d4c5b6a',
    capacity_range: { required_bytes: String(10 * GiB), limit_bytes: '0' },
    volume_capabilities: [mountCap()],
    parameters: { volumeType: 'LVM' },
    secrets: {},
    volume_content_source: null,
    accessibility_requirements: null,
    mutable_parameters: {},
    ...overrides,
  };
}
