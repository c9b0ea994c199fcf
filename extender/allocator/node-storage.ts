import type { NodeLocalStorage } from '../../api/generated/types.js';
import type { ExclusiveResource, NodeStorage, VolumeGroup } from './types.js';

/** Open-Local schedules only mount points with these filesystems. */
const MOUNT_POINT_FS = new Set(['ext3', 'ext4', 'xfs']);

/**
 * What a node offers, from its NodeLocalStorage status: the volume groups, devices and mount points its
 * listConfig selected (`filteredStorageInfo`), read-only ones left out. A VG offers its `allocatable` (total
 * minus LVs open-local did not create, minus the reserved share). A mount point's media type is its device's.
 */
export function nodeStorageFromNls(nls: NodeLocalStorage): NodeStorage | undefined {
  const name = nls.metadata?.name;
  const info = nls.status?.nodeStorageInfo;
  if (!name || !info) return undefined;
  const filtered = nls.status?.filteredStorageInfo ?? {};
  const vgNames = new Set(filtered.volumeGroups ?? []);
  const deviceNames = new Set(filtered.devices ?? []);
  const mountNames = new Set(filtered.mountPoints ?? []);
  const vgs: VolumeGroup[] = [];
  for (const vg of info.volumeGroups ?? []) {
    if (vg.name && vgNames.has(vg.name)) vgs.push({ name: vg.name, capacity: vg.allocatable ?? vg.total ?? 0 });
  }
  vgs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const mediaOf = new Map((info.deviceInfo ?? []).map((d) => [d.name ?? '', d.mediaType ?? '']));
  const devices: ExclusiveResource[] = [];
  for (const d of info.deviceInfo ?? []) {
    if (d.name && deviceNames.has(d.name) && !d.readOnly) devices.push({ name: d.name, capacity: d.total ?? 0, mediaType: d.mediaType ?? '' });
  }
  const mountPoints: ExclusiveResource[] = [];
  for (const m of info.mountPoints ?? []) {
    if (m.name && mountNames.has(m.name) && !m.readOnly && MOUNT_POINT_FS.has(m.fsType ?? '')) {
      mountPoints.push({ name: m.name, capacity: m.total ?? 0, mediaType: mediaOf.get(m.device ?? '') ?? '' });
    }
  }
  return { name, vgs, devices, mountPoints };
}
