/**
 * NodeLocalStorage status from one discovery pass: a pure function of (spec, annotations, discovery), with
 * Open-Local's field names, so the scheduler extender and existing tooling read it unchanged.
 *
 * Differences from Open-Local, on purpose:
 * - Conditions are honest. Open-Local computed DiskFull for a full VG and then overwrote it with DiskReady, and its
 *   node state was always DiskReady. Here each VG/LV/mount point carries its own condition, and the node state is
 *   the worst of them: DiskFault (something the spec names is missing, a VG lost a PV, a snapshot overflowed) >
 *   DiskFull (a VG with no free extent, a full mount point) > DiskReady, with a reason and a sorted message.
 * - The storage-reserved "10%" form works (see reserved.ts).
 * - filteredStorageInfo.devices never lists a device that is in use or unusable (device-use.ts): partitions, any
 *   signature (filesystem, LVM, RAID, swap, LUKS, partition table), mounted, holders, active swap, read-only, named
 *   in resourceToBeInited, or not (successfully) probed. The scheduler hands a filtered device whole to a pod and
 *   CSI wipes it on delete, so listing e.g. the system disk's root partition (an include of `/dev/sd.*` matches it)
 *   would lose data. Open-Local listed them.
 * - Timestamps are left out here and added by stampStatus, so "has anything changed" is a plain comparison.
 */
import type { DeviceInfo, LogicalVolumeInfo, MountPointInfo, NodeLocalStorageSpec, NodeLocalStorageStatus, StorageConditionType, VolumeGroupInfo } from '../api/generated/types.js';
import { canonicalJson } from '../lib/storage-config.js';
import type { Discovery } from './discovery/source.js';
import { deviceUse, useFacts } from './discovery/device-use.js';
import { mountPointsUnder, normalizeDir } from './discovery/mounts.js';
import { applyNameFilter } from './filters.js';
import { parseLvAttr, pvIsMissing, vgIsPartial, type LvReport } from './lvm/report.js';
import { applyReservation, parseReservations, STORAGE_RESERVED_ANNOTATION } from './reserved.js';

/**
 * LVs that back open-local volumes: `local-<uuid>` (PVs, volume ID = LV name) and `csi-<hash>` (inline ephemeral
 * volumes). The scheduler charges these from PV and Pod objects, so they must not also reduce allocatable.
 */
export const VOLUME_LV_PREFIXES: readonly string[] = ['local-', 'csi-'];
/**
 * Read-only snapshot LVs (`snap-<uid>`) are open-local's too, but no PV or Pod charges their space: they DO reduce
 * allocatable (as in Open-Local), and allocatable shrinks as the agent auto-extends them. Every other LV is someone
 * else's and reduces allocatable by its size.
 */
export const SNAPSHOT_LV_PREFIX = 'snap-';

export const isVolumeLv = (name: string): boolean => VOLUME_LV_PREFIXES.some((p) => name.startsWith(p));

export const StateReason = {
  Healthy: 'Healthy',
  VolumeGroupMissing: 'VolumeGroupMissing',
  DeviceMissing: 'DeviceMissing',
  MountPointMissing: 'MountPointMissing',
  VolumeGroupDegraded: 'VolumeGroupDegraded',
  SnapshotInvalid: 'SnapshotInvalid',
  VolumeGroupFull: 'VolumeGroupFull',
  MountPointFull: 'MountPointFull',
} as const;
export type StateReason = (typeof StateReason)[keyof typeof StateReason];

interface Issue {
  readonly condition: Exclude<StorageConditionType, 'DiskReady'>;
  readonly reason: StateReason;
  readonly message: string;
}

export interface StatusInput {
  readonly spec: NodeLocalStorageSpec | undefined;
  readonly annotations: Readonly<Record<string, string>> | undefined;
  readonly discovery: Discovery;
  /** Open-Local's --path.mount: its direct children that are mount points are the node's mount points. */
  readonly mountRoot: string;
}

const byName = <T extends { name?: string }>(a: T, b: T): number => ((a.name ?? '') < (b.name ?? '') ? -1 : (a.name ?? '') > (b.name ?? '') ? 1 : 0);

function logicalVolume(lv: LvReport, issues: Issue[]): LogicalVolumeInfo {
  const attr = parseLvAttr(lv.attr);
  if (attr.invalidSnapshot) issues.push({ condition: 'DiskFault', reason: StateReason.SnapshotInvalid, message: `snapshot ${lv.vgName}/${lv.name} overflowed and is invalid` });
  return { name: lv.name, vgname: lv.vgName, total: lv.size, readOnly: attr.readOnly, condition: attr.invalidSnapshot ? 'DiskFault' : 'DiskReady' };
}

function volumeGroups(input: StatusInput, issues: Issue[], problems: string[]): VolumeGroupInfo[] {
  const { lvm } = input.discovery;
  const reservations = parseReservations(input.annotations?.[STORAGE_RESERVED_ANNOTATION]);
  problems.push(...reservations.problems);
  for (const vg of [...reservations.byVg.keys()].filter((name) => !lvm.vgs.some((v) => v.name === name))) {
    problems.push(`annotation ${STORAGE_RESERVED_ANNOTATION}: volume group "${vg}" does not exist on this node`);
  }
  return lvm.vgs
    .map((vg) => {
      const pvs = lvm.pvs.filter((pv) => pv.vgName === vg.name);
      const lvs = lvm.lvs.filter((lv) => lv.vgName === vg.name).sort(byName);
      const foreign = lvs.filter((lv) => !isVolumeLv(lv.name)).reduce((sum, lv) => sum + lv.size, 0);
      const allocatable = applyReservation(Math.max(0, vg.size - foreign), vg.size, reservations.byVg.get(vg.name));
      let condition: StorageConditionType = 'DiskReady';
      if (vgIsPartial(vg.attr) || pvs.some((pv) => pvIsMissing(pv.attr))) {
        condition = 'DiskFault';
        issues.push({ condition, reason: StateReason.VolumeGroupDegraded, message: `volume group ${vg.name} is missing a physical volume` });
      } else if (vg.free === 0) {
        condition = 'DiskFull';
        issues.push({ condition, reason: StateReason.VolumeGroupFull, message: `volume group ${vg.name} has no free space` });
      }
      return {
        name: vg.name,
        physicalVolumes: pvs.map((pv) => pv.name).sort(),
        logicalVolumes: lvs.map((lv) => logicalVolume(lv, issues)),
        total: vg.size,
        available: vg.free,
        allocatable,
        condition,
      };
    })
    .sort(byName);
}

function mountPoints(input: StatusInput, issues: Issue[]): MountPointInfo[] {
  return mountPointsUnder(input.mountRoot, input.discovery.mounts).map((m) => {
    const full = m.avail === 0;
    if (full) issues.push({ condition: 'DiskFull', reason: StateReason.MountPointFull, message: `mount point ${m.target} is full` });
    return {
      name: m.target,
      total: m.size,
      available: m.avail,
      fsType: m.fsType,
      isBind: m.isBind,
      options: [...m.options],
      device: m.source,
      readOnly: m.options.includes('ro'),
      condition: full ? 'DiskFull' : 'DiskReady',
    };
  });
}

/** Faults for what the spec names and the node lacks: a VG, a device, a mount point. */
function specIssues(input: StatusInput, issues: Issue[]): void {
  const init = input.spec?.resourceToBeInited;
  const { lvm, specDevices, mounts } = input.discovery;
  for (const vg of init?.vgs ?? []) {
    if (!lvm.vgs.some((v) => v.name === vg.name)) issues.push({ condition: 'DiskFault', reason: StateReason.VolumeGroupMissing, message: `volume group ${vg.name} is missing` });
  }
  const devices = [...(init?.vgs ?? []).flatMap((vg) => vg.devices), ...(init?.mountpoints ?? []).map((m) => m.device)];
  for (const device of new Set(devices)) {
    if (specDevices.has(device) && specDevices.get(device) === undefined) issues.push({ condition: 'DiskFault', reason: StateReason.DeviceMissing, message: `device ${device} is missing` });
  }
  for (const mp of init?.mountpoints ?? []) {
    if (!mounts.some((m) => normalizeDir(m.target) === normalizeDir(mp.path))) issues.push({ condition: 'DiskFault', reason: StateReason.MountPointMissing, message: `mount point ${mp.path} is not mounted` });
  }
}

/** Devices the scheduler may hand out whole: in use by nothing, by what the node shows (see device-use.ts). */
function freeDevices(discovery: Discovery): string[] {
  const facts = useFacts(discovery);
  return discovery.devices.filter((d) => deviceUse(d, facts, discovery.signatures.get(d.name)) === undefined).map((d) => d.name);
}

const SEVERITY: Readonly<Record<Issue['condition'], number>> = { DiskFault: 0, DiskFull: 1 };

/** The status to write, without timestamps (stampStatus adds them). */
export function computeStatus(input: StatusInput): NodeLocalStorageStatus {
  const issues: Issue[] = [];
  const problems: string[] = [];
  const deviceInfo: DeviceInfo[] = input.discovery.devices.map((d) => ({ name: d.name, mediaType: d.mediaType, total: d.size, readOnly: d.readOnly, condition: 'DiskReady' }));
  const vgs = volumeGroups(input, issues, problems);
  const mps = mountPoints(input, issues);
  specIssues(input, issues);
  const list = input.spec?.listConfig;
  const filteredVgs = applyNameFilter(vgs.map((v) => v.name ?? ''), list?.vgs, 'listConfig.vgs');
  const filteredMps = applyNameFilter(mps.map((m) => m.name ?? ''), list?.mountPoints, 'listConfig.mountPoints');
  const filteredDevices = applyNameFilter(freeDevices(input.discovery), list?.devices, 'listConfig.devices');
  problems.push(...filteredVgs.problems, ...filteredMps.problems, ...filteredDevices.problems);
  const sorted = [...issues].sort((a, b) => SEVERITY[a.condition] - SEVERITY[b.condition] || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
  const worst = sorted[0];
  return {
    nodeStorageInfo: {
      deviceInfo,
      volumeGroups: vgs,
      mountPoints: mps,
      phase: 'Running',
      state: {
        type: worst?.condition ?? 'DiskReady',
        status: 'True',
        reason: worst?.reason ?? StateReason.Healthy,
        message: sorted.length === 0 ? 'every volume group, device and mount point is healthy' : sorted.map((i) => i.message).join('; '),
      },
    },
    filteredStorageInfo: {
      volumeGroups: [...filteredVgs.selected],
      mountPoints: [...filteredMps.selected],
      devices: [...filteredDevices.selected],
      updateStatusInfo: { updateStatus: problems.length === 0 ? 'accepted' : 'failed', reason: problems.join('; ') },
    },
  };
}

/** RFC 3339 with seconds, like metav1.Time. */
export const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * Adds the three timestamps: heartbeat and lastUpdateTime are `now` (the status is only written when it changed,
 * so they say when it last changed); lastTransitionTime moves only when the state's type or status changes.
 */
export function stampStatus(desired: NodeLocalStorageStatus, previous: NodeLocalStorageStatus | undefined, now: Date): NodeLocalStorageStatus {
  const time = rfc3339(now);
  const state = desired.nodeStorageInfo?.state ?? {};
  const prev = previous?.nodeStorageInfo?.state;
  const unchanged = prev !== undefined && prev.type === state.type && prev.status === state.status && prev.lastTransitionTime !== undefined;
  return {
    ...desired,
    nodeStorageInfo: { ...desired.nodeStorageInfo, state: { ...state, lastHeartbeatTime: time, lastTransitionTime: unchanged ? prev.lastTransitionTime : time } },
    filteredStorageInfo: { ...desired.filteredStorageInfo, updateStatusInfo: { ...desired.filteredStorageInfo?.updateStatusInfo, lastUpdateTime: time } },
  };
}

const omit = <T extends object>(obj: T, keys: readonly string[]): T => Object.fromEntries(Object.entries(obj).filter(([k]) => !keys.includes(k))) as T;

/** The status with the three timestamps removed: what "changed" is decided on. */
export function withoutTimestamps(status: NodeLocalStorageStatus | undefined): NodeLocalStorageStatus {
  if (!status) return {};
  const { nodeStorageInfo: nsi, filteredStorageInfo: fsi } = status;
  const out: NodeLocalStorageStatus = { ...status };
  if (nsi?.state) out.nodeStorageInfo = { ...nsi, state: omit(nsi.state, ['lastHeartbeatTime', 'lastTransitionTime']) };
  if (fsi?.updateStatusInfo) out.filteredStorageInfo = { ...fsi, updateStatusInfo: omit(fsi.updateStatusInfo, ['lastUpdateTime']) };
  return out;
}

/**
 * Whether `current` (as stored) differs from `desired` other than in timestamps. Writing only then is what makes a
 * steady node cost zero API writes: Open-Local did the same, so its heartbeat, too, only moves on change.
 */
export function statusNeedsWrite(current: NodeLocalStorageStatus | undefined, desired: NodeLocalStorageStatus): boolean {
  return canonicalJson(withoutTimestamps(current)) !== canonicalJson(withoutTimestamps(desired));
}
