/**
 * The volume state machine of the node plugin, pure: from one LocalVolume and what is on the node now (LVM report,
 * the identity of a Device/MountPoint), the status to write and the next actions. The reconciler runs the actions,
 * reads the node again and plans again until there is nothing left to do, so every step is safe to repeat after a
 * crash: an LV is recognised by its UUID (status.lvUUID) or, before that was recorded, by the tag carrying the
 * object's uid; a clone carries COPYING_TAG until its copy is complete.
 */
import type { LocalVolume, LocalVolumeStatus } from '../../../api/generated/types.js';
import { OPEN_LOCAL_TAG } from '../../../node-agent/lvm/commands.js';
import { LOCAL_VOLUME_FINALIZER as VOLUME_FINALIZER, LV_TAG } from '../../volume-context.js';
import type { LvFacts, LvmFacts, VgFacts } from './lvm-facts.js';
import { REASON } from './reasons.js';

export { VOLUME_FINALIZER };
/** A clone's LV carries it from its creation until every byte of the source was copied. */
export const COPYING_TAG = 'open-local-copying';
/** The tag naming the LocalVolume (by uid) an LV was created for: proof of ownership before lvUUID is recorded. */
export const ownerTag = (uid: string): string => `open-local-volume-${uid}`;
/** The temporary snapshot of a clone's source: the copy reads it, so it is consistent while the source is in use. */
export const cloneSourceSnapshot = (volume: string): string => `${volume}.clonesrc`;

const MIB = 1024 * 1024;
/** Copy-on-write room of a clone's source snapshot: a tenth of the source, at least 32 MiB, at most the source. */
const cloneSnapshotBytes = (source: number): number => Math.min(source, Math.max(32 * MIB, Math.ceil(source / 10)));

export interface DeviceFacts {
  /** Device/MountPoint volumes: the identity of what is at spec.device now; undefined when there is nothing there. */
  readonly identity: string | undefined;
  /** Why there is no identity (not a device, not a mount point, no WWN/serial/by-id name). */
  readonly problem?: string;
}

export interface VolumeFacts {
  readonly node: string;
  readonly lvm: LvmFacts;
  /** Read only for Device and MountPoint volumes. */
  readonly device?: DeviceFacts;
}

export type Action =
  | { readonly kind: 'addFinalizer' }
  | { readonly kind: 'removeFinalizer' }
  /**
   * One LVM command; `why` goes to the log. `creates` names the plain LV an lvcreate makes, with its tags: the
   * reconciler reads it back from the kernel and adds it to the facts it keeps instead of reading lvm2's reports.
   */
  | { readonly kind: 'lvm'; readonly argv: readonly string[]; readonly why: string; readonly creates?: NewLv }
  /** A clone's copy: every byte of `from` to `to` (block devices), progress into status.progress. */
  | { readonly kind: 'copy'; readonly from: string; readonly to: string; readonly bytes: number }
  | { readonly kind: 'wipeDevice'; readonly device: string }
  | { readonly kind: 'clearDirectory'; readonly directory: string };

export interface NewLv {
  readonly vg: string;
  readonly name: string;
  readonly tags: readonly string[];
}

export interface VolumePlan {
  /** The status to hold before the actions run (written only when it differs from the current one). */
  readonly status: LocalVolumeStatus;
  readonly actions: readonly Action[];
}

const gib = (bytes: number): string => `${bytes} bytes (${(bytes / 1024 ** 3).toFixed(2)} GiB)`;
const roundUp = (bytes: number, extent: number): number => (extent > 0 ? Math.ceil(bytes / extent) * extent : bytes);
const damagedSnapshot = (lv: LvFacts): boolean => lv.attr.charAt(4) === 'I' || lv.attr.charAt(4) === 'S';

/** Removes the LV with this UUID and no other: a same-named LV created since the check is not selected. */
export const lvremoveArgv = (uuid: string): string[] => ['lvm', 'lvremove', '--yes', '--select', `lv_uuid=${uuid}`];

export function lvcreateArgv(vg: VgFacts, name: string, bytes: number, tags: readonly string[], striping: boolean): string[] {
  const stripes = striping && vg.pvCount > 1 ? ['-i', String(vg.pvCount)] : [];
  return ['lvm', 'lvcreate', '-n', name, '-L', `${bytes}b`, '-Wy', '-y', ...stripes, ...tags.flatMap((t) => ['--addtag', t]), vg.name];
}

/** A read-only snapshot (`-pr`), as Open-Local's snapshot class makes them. */
export function snapshotArgv(vg: string, source: string, name: string, bytes: number, tags: readonly string[]): string[] {
  return ['lvm', 'lvcreate', '-s', '-pr', '-n', name, '-L', `${bytes}b`, ...tags.flatMap((t) => ['--addtag', t]), `${vg}/${source}`];
}

export const lvextendArgv = (vg: string, lv: string, bytes: number): string[] => ['lvm', 'lvextend', '-L', `${bytes}b`, `${vg}/${lv}`];

/** The plan when it does not depend on the node (so the node need not be read): undefined when it does. */
export function planBeforeFacts(volume: LocalVolume): VolumePlan | undefined {
  const current = volume.status ?? {};
  const ours = (volume.metadata?.finalizers ?? []).includes(VOLUME_FINALIZER);
  // Deleting and released by us: nothing of it is ours to remove any more.
  if (volume.metadata?.deletionTimestamp !== undefined) return ours ? undefined : { status: current, actions: [] };
  // The finalizer before anything is created: a volume deleted meanwhile still waits for its LV to go.
  return ours ? undefined : { status: current, actions: [{ kind: 'addFinalizer' }] };
}

export function planVolume(volume: LocalVolume, facts: VolumeFacts): VolumePlan {
  const early = planBeforeFacts(volume);
  if (early) return early;
  if (volume.metadata?.deletionTimestamp !== undefined) {
    return volume.spec.volumeType === 'LVM' ? planLvmDelete(volume, facts) : planExclusiveDelete(volume, facts);
  }
  return volume.spec.volumeType === 'LVM' ? planLvm(volume, facts) : planExclusive(volume, facts);
}

/**
 * Whether a plan made from kept facts (lvm-cache.ts) must be made again from facts read now before anything of it
 * is done. Kept facts may only decide to create an LV (lvcreate itself refuses a name that is taken or a VG without
 * room) or that a volume is Ready; every removal, resize, copy, release of the finalizer and every failure or
 * waiting verdict is decided on what is on the node now.
 */
export function needsFreshFacts(plan: VolumePlan): boolean {
  if (plan.actions.length === 0) return !(plan.status.phase === 'Ready' && plan.status.reason === undefined);
  return !plan.actions.every((a) => a.kind === 'addFinalizer' || (a.kind === 'lvm' && a.creates !== undefined));
}

/**
 * A plan without actions leaves the volume settled when it is Ready for good, or deleting and no longer holding our
 * finalizer (nothing of it is left on the node); anything else is looked at again later.
 */
export function isSettled(volume: LocalVolume, plan: VolumePlan): boolean {
  if (volume.metadata?.deletionTimestamp !== undefined) return !(volume.metadata.finalizers ?? []).includes(VOLUME_FINALIZER);
  return plan.status.phase === 'Ready' && plan.status.reason === undefined;
}

/** The status with these fields replaced and the others kept; undefined fields are removed. */
function next(volume: LocalVolume, fields: LocalVolumeStatus & Record<string, unknown>): LocalVolumeStatus {
  const merged = { ...volume.status, ...fields, observedGeneration: volume.metadata?.generation };
  return Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined));
}

const failed = (volume: LocalVolume, reason: string, message: string): VolumePlan => ({
  status: next(volume, { phase: 'Failed', reason, message, progress: undefined }),
  actions: [],
});

const where = (volume: LocalVolume, facts: VolumeFacts): string => `on node ${facts.node}, VG ${volume.spec.vgName ?? '?'}`;

function planLvm(volume: LocalVolume, facts: VolumeFacts): VolumePlan {
  const { spec } = volume;
  const name = volume.metadata?.name ?? '';
  const uid = volume.metadata?.uid ?? '';
  const at = where(volume, facts);
  const vgName = spec.vgName ?? '';
  if (spec.source?.snapshot !== undefined) return planRestore(volume, facts, spec.source.snapshot);
  const vg = facts.lvm.vgs.find((v) => v.name === vgName);
  if (!vg) return failed(volume, REASON.volumeGroupNotFound, `volume group ${vgName} does not exist on node ${facts.node}`);
  if (!spec.adopt && !vg.tags.includes(OPEN_LOCAL_TAG)) {
    return failed(volume, REASON.notOwned, `volume group ${vgName} on node ${facts.node} has no "${OPEN_LOCAL_TAG}" tag: open-local creates LVs only in its own VGs`);
  }
  const lvs = facts.lvm.lvs.filter((l) => l.vgName === vgName);
  const lv = lvs.find((l) => l.name === name);
  const wanted = Number(spec.size ?? '0');
  const recorded = volume.status?.lvUUID;
  if (recorded !== undefined) {
    if (!lv) return failed(volume, REASON.lvMissing, `LV ${vgName}/${name} (UUID ${recorded}) is gone ${at}; it is not recreated empty`);
    if (lv.uuid !== recorded) return failed(volume, REASON.notOwned, `LV ${vgName}/${name} ${at} now has UUID ${lv.uuid}, not the recorded ${recorded}: another LV took the name; it is not used`);
  } else if (lv) {
    if (!spec.adopt && !lv.tags.includes(ownerTag(uid))) {
      return failed(volume, REASON.notOwned, `LV ${vgName}/${name} ${at} exists but was not created for this volume (no tag ${ownerTag(uid)}); it is left alone`);
    }
  } else {
    if (spec.adopt) return failed(volume, REASON.notFound, `LV ${vgName}/${name} to adopt does not exist ${at}`);
    return planCreate(volume, facts, vg, lvs, wanted);
  }
  const devicePath = `/dev/${vgName}/${name}`;
  if (spec.snapshotOf !== undefined) {
    if (damagedSnapshot(lv)) return failed(volume, REASON.snapshotInvalid, `snapshot ${vgName}/${name} ${at} overflowed its copy-on-write space; its data is lost`);
    const origin = lvs.find((l) => l.name === lv.origin);
    return { status: next(volume, { phase: 'Ready', devicePath, lvUUID: lv.uuid, size: String(origin?.size ?? lv.size), reason: undefined, message: undefined }), actions: [] };
  }
  const clone = spec.source?.volume;
  if (clone !== undefined) {
    const copy = planCloneCopy(volume, facts, vg, lvs, lv, clone);
    if (copy) return copy;
  }
  if (wanted > lv.size) {
    const target = roundUp(wanted, vg.extentSize);
    if (vg.free < target - lv.size) return noRoom(volume, facts, vg, target - lv.size, `to grow LV ${name} from ${gib(lv.size)} to ${gib(target)}`);
    return { status: next(volume, { lvUUID: lv.uuid }), actions: [{ kind: 'lvm', argv: lvextendArgv(vgName, name, wanted), why: `grow to ${wanted} bytes` }] };
  }
  const progress = clone === undefined ? undefined : 100;
  return { status: next(volume, { phase: 'Ready', devicePath, lvUUID: lv.uuid, size: String(lv.size), progress, reason: undefined, message: undefined }), actions: [] };
}

function noRoom(volume: LocalVolume, facts: VolumeFacts, vg: VgFacts, needed: number, what: string): VolumePlan {
  return failed(volume, REASON.insufficientSpace, `VG ${vg.name} on node ${facts.node} has ${gib(vg.free)} free, ${gib(needed)} needed ${what}`);
}

function planCreate(volume: LocalVolume, facts: VolumeFacts, vg: VgFacts, lvs: readonly LvFacts[], wanted: number): VolumePlan {
  const { spec } = volume;
  const name = volume.metadata?.name ?? '';
  const tags = [LV_TAG, ownerTag(volume.metadata?.uid ?? '')];
  const at = where(volume, facts);
  if (spec.snapshotOf !== undefined) {
    const source = lvs.find((l) => l.name === spec.snapshotOf);
    if (!source) return failed(volume, REASON.sourceNotFound, `LV ${vg.name}/${spec.snapshotOf} to snapshot does not exist ${at}`);
    const cow = roundUp(wanted, vg.extentSize);
    if (vg.free < cow) return noRoom(volume, facts, vg, cow, `for snapshot ${name} of ${spec.snapshotOf}`);
    return { status: volume.status ?? {}, actions: [{ kind: 'lvm', argv: snapshotArgv(vg.name, source.name, name, wanted, tags), why: `snapshot of ${source.name}` }] };
  }
  const size = roundUp(wanted, vg.extentSize);
  const clone = spec.source?.volume;
  if (clone !== undefined) {
    const source = lvs.find((l) => l.name === clone);
    if (!source) return failed(volume, REASON.sourceNotFound, `LV ${vg.name}/${clone} to clone does not exist ${at}`);
    if (size < source.size) return failed(volume, REASON.invalidSpec, `a clone of ${clone} (${gib(source.size)}) needs at least that size, asked ${gib(wanted)} ${at}`);
    if (vg.free < size) return noRoom(volume, facts, vg, size, `for clone ${name} of ${clone}`);
    return {
      status: next(volume, { phase: 'Pending', reason: REASON.copying, message: `cloning ${clone} into a new LV`, progress: 0 }),
      actions: [{ kind: 'lvm', argv: lvcreateArgv(vg, name, wanted, [...tags, COPYING_TAG], spec.lvmType === 'striping'), why: `clone of ${clone}`, creates: { vg: vg.name, name, tags: [...tags, COPYING_TAG] } }],
    };
  }
  if (vg.free < size) return noRoom(volume, facts, vg, size, `for LV ${name}`);
  return { status: volume.status ?? {}, actions: [{ kind: 'lvm', argv: lvcreateArgv(vg, name, wanted, tags, spec.lvmType === 'striping'), why: 'create', creates: { vg: vg.name, name, tags } }] };
}

/**
 * A clone whose LV exists: while it carries COPYING_TAG, take a snapshot of the source, copy from it, then drop the
 * tag; a leftover source snapshot is removed. Undefined when the clone is complete and clean.
 */
function planCloneCopy(volume: LocalVolume, facts: VolumeFacts, vg: VgFacts, lvs: readonly LvFacts[], lv: LvFacts, source: string): VolumePlan | undefined {
  const name = lv.name;
  const temp = lvs.find((l) => l.name === cloneSourceSnapshot(name) && l.tags.includes(ownerTag(volume.metadata?.uid ?? '')));
  const copying = lv.tags.includes(COPYING_TAG);
  if (!copying) {
    return temp ? { status: volume.status ?? {}, actions: [{ kind: 'lvm', argv: lvremoveArgv(temp.uuid), why: 'remove the source snapshot of a finished clone' }] } : undefined;
  }
  const pending = next(volume, { phase: 'Pending', reason: REASON.copying, message: `copying ${source} into ${name}`, lvUUID: lv.uuid, progress: volume.status?.progress ?? 0 });
  if (temp && damagedSnapshot(temp)) {
    return { status: pending, actions: [{ kind: 'lvm', argv: lvremoveArgv(temp.uuid), why: 'the source snapshot overflowed during the copy; copying again' }] };
  }
  const origin = lvs.find((l) => l.name === source);
  if (!origin) return failed(volume, REASON.sourceNotFound, `LV ${vg.name}/${source} to clone is gone ${where(volume, facts)} before the copy completed`);
  if (!temp) {
    const cow = roundUp(cloneSnapshotBytes(origin.size), vg.extentSize);
    if (vg.free < cow) return noRoom(volume, facts, vg, cow, `for the snapshot of ${source} that clone ${name} copies from`);
    const argv = snapshotArgv(vg.name, source, cloneSourceSnapshot(name), cow, [LV_TAG, ownerTag(volume.metadata?.uid ?? '')]);
    return { status: pending, actions: [{ kind: 'lvm', argv, why: `snapshot ${source} for the copy` }] };
  }
  // The copy restarts from the first byte after a crash: the same snapshot gives the same bytes, so that is safe.
  return {
    status: pending,
    actions: [
      { kind: 'copy', from: `/dev/${vg.name}/${temp.name}`, to: `/dev/${vg.name}/${name}`, bytes: origin.size },
      { kind: 'lvm', argv: ['lvm', 'lvchange', '--deltag', COPYING_TAG, `${vg.name}/${name}`], why: 'copy complete' },
    ],
  };
}

/** A read-only restore is the snapshot LV itself: nothing to create, nothing owned. */
function planRestore(volume: LocalVolume, facts: VolumeFacts, snapshot: string): VolumePlan {
  const vgName = volume.spec.vgName ?? '';
  if (volume.spec.readOnly !== true) {
    return failed(volume, REASON.invalidSpec, `a volume restored from snapshot ${snapshot} is the read-only snapshot LV itself; spec.readOnly must be true`);
  }
  const lvs = facts.lvm.lvs.filter((l) => l.vgName === vgName);
  const lv = lvs.find((l) => l.name === snapshot);
  if (!lv || lv.origin === '') return failed(volume, REASON.sourceNotFound, `snapshot LV ${vgName}/${snapshot} does not exist ${where(volume, facts)}`);
  if (damagedSnapshot(lv)) return failed(volume, REASON.snapshotInvalid, `snapshot ${vgName}/${snapshot} ${where(volume, facts)} overflowed its copy-on-write space; its data is lost`);
  const size = lvs.find((l) => l.name === lv.origin)?.size ?? lv.size;
  return { status: next(volume, { phase: 'Ready', devicePath: `/dev/${vgName}/${snapshot}`, size: String(size), reason: undefined, message: undefined }), actions: [] };
}

function planLvmDelete(volume: LocalVolume, facts: VolumeFacts): VolumePlan {
  const name = volume.metadata?.name ?? '';
  const uid = volume.metadata?.uid ?? '';
  const vgName = volume.spec.vgName ?? '';
  const done: VolumePlan = { status: volume.status ?? {}, actions: [{ kind: 'removeFinalizer' }] };
  if (volume.spec.source?.snapshot !== undefined) return done;
  const lvs = facts.lvm.lvs.filter((l) => l.vgName === vgName);
  const deleting = next(volume, { phase: 'Deleting', reason: undefined, message: undefined });
  const temp = lvs.find((l) => l.name === cloneSourceSnapshot(name) && l.tags.includes(ownerTag(uid)));
  if (temp) return { status: deleting, actions: [{ kind: 'lvm', argv: lvremoveArgv(temp.uuid), why: 'remove the source snapshot of a clone being deleted' }] };
  const lv = lvs.find((l) => l.name === name);
  if (!lv) return done;
  const recorded = volume.status?.lvUUID;
  if (recorded === undefined && !lv.tags.includes(ownerTag(uid))) return done;
  if (recorded !== undefined && lv.uuid !== recorded) {
    return failed(volume, REASON.notOwned, `LV ${vgName}/${name} ${where(volume, facts)} has UUID ${lv.uuid}, not the recorded ${recorded}: it is another LV and is not removed`);
  }
  const snapshots = lvs.filter((l) => l.origin === name).map((l) => l.name).sort();
  if (snapshots.length > 0) {
    return { status: next(volume, { reason: REASON.hasSnapshots, message: `LV ${vgName}/${name} ${where(volume, facts)} has snapshots (${snapshots.join(', ')}); delete them first` }), actions: [] };
  }
  // Removed by UUID: once lvremove succeeded nothing of this volume is left (its clone snapshot and snapshots were
  // checked above), so the finalizer goes without another read of the node.
  return { status: deleting, actions: [{ kind: 'lvm', argv: lvremoveArgv(lv.uuid), why: 'delete' }, { kind: 'removeFinalizer' }] };
}

function planExclusive(volume: LocalVolume, facts: VolumeFacts): VolumePlan {
  const device = volume.spec.device ?? '';
  const what = volume.spec.volumeType === 'Device' ? 'device' : 'mount point';
  const found = facts.device?.identity;
  const recorded = volume.status?.deviceIdentity;
  if (found === undefined) {
    return failed(volume, REASON.deviceNotFound, `${what} ${device} on node ${facts.node}: ${facts.device?.problem ?? 'nothing there'}`);
  }
  if (recorded !== undefined && recorded !== found) {
    return failed(volume, REASON.identityMismatch, `${what} ${device} on node ${facts.node} is now ${found}, not the recorded ${recorded}: another disk took the name; it is not used`);
  }
  return { status: next(volume, { phase: 'Ready', devicePath: device, deviceIdentity: found, reason: undefined, message: undefined }), actions: [] };
}

function planExclusiveDelete(volume: LocalVolume, facts: VolumeFacts): VolumePlan {
  const device = volume.spec.device ?? '';
  const recorded = volume.status?.deviceIdentity;
  const found = facts.device?.identity;
  const done: VolumePlan = { status: volume.status ?? {}, actions: [{ kind: 'removeFinalizer' }] };
  // Never handed out, or the disk is gone: there is nothing of this volume's to wipe.
  if (recorded === undefined || found === undefined) return done;
  if (found !== recorded) {
    const what = volume.spec.volumeType === 'Device' ? 'device' : 'mount point';
    return failed(volume, REASON.identityMismatch, `${what} ${device} on node ${facts.node} is now ${found}, not the recorded ${recorded}: it is another disk and is not wiped`);
  }
  const wipe: Action = volume.spec.volumeType === 'Device' ? { kind: 'wipeDevice', device } : { kind: 'clearDirectory', directory: device };
  return { status: next(volume, { phase: 'Deleting', reason: undefined, message: undefined }), actions: [wipe, { kind: 'removeFinalizer' }] };
}
