/**
 * What prepare-vg will do, decided purely from the node's facts and the desired config. Every safety rule lives here,
 * where a table test can check it without a disk.
 *
 * Volume groups:
 * - A VG of that name without the `open-local` tag was not created by open-local and is never written to. Open-Local
 *   (Go) created its VGs untagged, so an upgraded cluster has such VGs under the names its config lists: when every
 *   configured device already is one of its PVs (nothing to change), it is Ready "used as is" (the agent and CSI
 *   serve volumes from it, as Open-Local did); when it would need a new device, it is Refused. No tag is ever added
 *   automatically: `vgchange --addtag open-local <vg>` hands it over explicitly, after which open-local may extend
 *   it, and remove it under the RemoveVolumeGroups cleanup policy (plan-remove.ts).
 * - A device already a PV of the target VG is done (even if listed in forceDevices: it is never wiped again).
 * - Any other device must be free. Never overridable ("hard"): missing, uninspectable, listed twice, read-only, an
 *   LV or CD-ROM, mounted (itself or a partition), in use by a holder (device-mapper/md on it or on a partition).
 *   Overridable by listing that exact path in forceDevices ("soft"): partitions, any signature (filesystem,
 *   LVM2_member, RAID, swap, LUKS, partition table), being a PV of another VG or of none. A forced device is wiped
 *   (its partitions, then itself) before use. A device in use is never forced: wiping under a live user corrupts
 *   it, and the user can stop using it first. Nor is a PV of another open-local VG, or of any VG the config names
 *   (an untagged one used as is, below): forcing it would break a VG that may hold users' volumes (vgreduce it out
 *   first); a PV of a foreign VG the config does not name (e.g. an old machine's disk) can be.
 * - Disk identity (records.ts): every PV open-local adds carries tags recording the configured path it was added as
 *   (and its WWN/serial). A configured path that is not a member of its VG while some PV records having been added as
 *   that path (the recorded disk still there under another kernel name, or missing) now points to another disk: it is
 *   refused ("hard", never forceable), naming both disks. forceDevices is a one-time permission to destroy one disk's
 *   content while that disk is being added; once recorded, no later run wipes anything on the strength of that name.
 *   A device that is itself a PV recorded under another name, or whose WWN is recorded on another PV, is refused too.
 *   Members of an open-local VG that lack records (added by an older open-local) get them ("record").
 * - The same for prepare-vg's host record of each path it initialised (host-records.ts), which still knows the name
 *   was used when the disk is gone together with its whole VG.
 * - All or nothing per VG: if any new device of a VG is refused, none of its devices is touched and the VG is
 *   Refused, so a VG never comes out half-built from a config nobody intended.
 *
 * Mount points: a device path whose host record names a filesystem it does not hold is Refused, even with `force`.
 * A path at or under a system directory (lib/system-paths.ts) or the kubelet directory is Refused.
 * Mounted from the right device with the right fsType → Ready; the path mounted from anything else → Refused. Each
 * mount point's filesystem has a UUID derived from its path (fs-uuid.ts). A free device without signatures is
 * formatted with that UUID (label `open-local`) and mounted; one holding exactly that UUID with the wanted type (ours,
 * e.g. after a reboot) is mounted without formatting. Never, even with `force`: a device while the mount point's UUID
 * is on another disk (the disks' names moved), nor a device holding another open-local filesystem (another mount
 * point's, or an older open-local's: the message says how to hand it over). Anything else is formatted only with
 * `force: true`, after a wipe.
 */
import type { MountpointToBeInited, ResourceToBeInited, VgToBeInited } from '../../api/generated/types.js';
import { DEFAULT_KUBELET_DIR, systemMountPathReason } from '../../lib/system-paths.js';
import { normalizeDir } from '../discovery/mounts.js';
import { OPEN_LOCAL_TAG } from '../lvm/commands.js';
import { pvIsMissing } from '../lvm/report.js';
import { setUuidHint } from './fs-uuid.js';
import { describeIdentity } from './identity.js';
import type { DeviceFacts, NodeFacts } from './inspect.js';
import { parseRecord, recordTags } from './records.js';

/** Filesystem label of every mount-point filesystem prepare-vg creates: how a later run recognises its own. */
export const FS_LABEL = 'open-local';
const DEFAULT_FS = 'ext4';

/** A forced device to wipe before use: its partitions first, then the device. */
export interface Wipe {
  readonly requested: string;
  readonly device: string;
  readonly partitions: readonly string[];
  /** What the wipe destroys, for the loud log line. */
  readonly destroys: readonly string[];
}

/** Tags to add to a PV (records.ts): after adding it, or on a member added by an older open-local. */
export interface PvTagging {
  readonly device: string;
  readonly tags: readonly string[];
}

export type VgAction =
  /** `message` says why a Ready VG is not fully open-local's (an untagged VG used as is); absent otherwise. */
  | { readonly kind: 'ready'; readonly message?: string; readonly record: readonly PvTagging[] }
  | { readonly kind: 'refuse'; readonly message: string }
  | { readonly kind: 'create' | 'extend'; readonly add: readonly string[]; readonly wipe: readonly Wipe[]; readonly record: readonly PvTagging[] };

export interface VgPlan {
  readonly name: string;
  readonly action: VgAction;
}

export type MountAction =
  | { readonly kind: 'ready' }
  | { readonly kind: 'refuse'; readonly message: string }
  /** `fsUuid`: the UUID the filesystem has (or gets from mkfs); it is checked on the device right before mounting. */
  | { readonly kind: 'mount'; readonly device: string; readonly format: boolean; readonly wipe: Wipe | undefined; readonly fsType: string; readonly fsUuid: string; readonly options: readonly string[] };

export interface MountPlan {
  readonly path: string;
  readonly device: string;
  readonly action: MountAction;
}

export interface Plan {
  readonly vgs: readonly VgPlan[];
  readonly mountPoints: readonly MountPlan[];
}

interface Check {
  readonly hard: readonly string[];
  readonly soft: readonly string[];
}

/** Canonical path → where the config uses it ("vg pool-0 as /dev/sdb"), to refuse a device used twice. */
function usages(config: ResourceToBeInited, facts: NodeFacts): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (requested: string, where: string) => {
    const path = facts.devices.get(requested)?.path;
    if (path !== undefined) out.set(path, [...(out.get(path) ?? []), `${where} as ${requested}`]);
  };
  for (const vg of config.vgs ?? []) for (const d of vg.devices) add(d, `volume group ${vg.name}`);
  for (const mp of config.mountpoints ?? []) add(mp.device, `mount point ${mp.path}`);
  return out;
}

/** VGs whose PVs no other entry may take, even forced: open-local's own (tagged) and every VG the config names. */
function guardedVgs(config: ResourceToBeInited, facts: NodeFacts): Set<string> {
  return new Set([...facts.vgs.filter((v) => v.tags.includes(OPEN_LOCAL_TAG)).map((v) => v.name), ...(config.vgs ?? []).map((v) => v.name)]);
}

/** "/dev/sdb: WWN x, serial y; signatures ext4 UUID u label "data"" — what a path points to now. */
function describeDevice(path: string, f: DeviceFacts): string {
  const sigs = f.signatures.map((s) => `${s.type}${s.uuid ? ` UUID ${s.uuid}` : ''}${s.label ? ` label "${s.label}"` : ''}`);
  return `${path}: ${describeIdentity(f.identity)}; ${sigs.length > 0 ? `signatures ${sigs.join(', ')}` : 'no signature'}`;
}

type NodePv = NodeFacts['pvs'][number];
const pvDescription = (pv: NodePv): string => {
  const r = parseRecord(pv.tags);
  const where = pvIsMissing(pv.attr) || !pv.path.startsWith('/dev/') ? 'now missing' : `now at ${pv.path}`;
  return `PV ${pv.uuid || '(UUID unknown)'} of volume group ${pv.vgName || '(none)'} (${describeIdentity({ ...r, byId: [] })}), ${where}`;
};

/**
 * Why a device may not be taken because of prepare-vg's host record of its path (host-records.ts): an earlier run put
 * a PV or filesystem there, and the path now points to a disk that does not hold it. This catches what the LVM tags
 * cannot: a disk gone together with its whole VG, or a mount point's disk gone.
 */
function hostRecordConflict(requested: string, f: DeviceFacts | undefined, facts: NodeFacts): string | undefined {
  const rec = facts.hostRecords.get(requested);
  if (!rec) return undefined;
  const pvUuid = f?.path === undefined ? undefined : facts.pvs.find((p) => p.path === f.path)?.uuid;
  const held = new Set([...(f?.signatures.map((s) => s.uuid) ?? []), pvUuid].filter((u) => u !== undefined));
  if ((rec.pvUuid !== undefined && held.has(rec.pvUuid)) || (rec.fsUuid !== undefined && held.has(rec.fsUuid))) return undefined;
  const what = rec.pvUuid !== undefined ? `PV ${rec.pvUuid} of volume group ${rec.vg ?? '(unknown)'}` : `filesystem UUID ${rec.fsUuid ?? ''} of mount point ${rec.mountPoint ?? '(unknown)'}`;
  return `was initialised by prepare-vg on this node as ${what} (${describeIdentity({ ...rec, byId: [] })}), and now points to ${f?.path === undefined ? 'no device' : `another disk (${describeDevice(f.path, f)})`}: refused, nothing is wiped or added on the strength of a name. If the disk moved, name it by a stable path (/dev/disk/by-id/...) in the config; if it is gone for good, name its replacement by /dev/disk/by-id/..., or remove ${requested} from prepare-vg's record file on the node (/var/lib/open-local/prepare-vg-records.json)`;
}

/** Why a device may never be taken on the strength of a record: its name or its WWN is recorded for another PV. */
function recordConflicts(requested: string, f: DeviceFacts | undefined, facts: NodeFacts, vgName: string): string[] {
  const out: string[] = [];
  const here = f?.path;
  for (const pv of facts.pvs) {
    const r = parseRecord(pv.tags);
    if (pv.path === here) {
      if (r.dev !== undefined && (r.dev !== requested || pv.vgName !== vgName)) out.push(`is recorded as ${r.dev} of volume group ${pv.vgName} (${pvDescription(pv)})`);
      continue;
    }
    if (r.dev === requested) {
      out.push(
        `was added to volume group ${pv.vgName} as ${pvDescription(pv)}, and now points to ${f?.path === undefined ? 'no device' : `another disk (${describeDevice(f.path, f)})`}: refused, nothing is wiped or added on the strength of a name. If the disk moved, name it by a stable path (/dev/disk/by-id/...) in the config; if it is gone for good, run \`vgreduce --removemissing ${pv.vgName}\` first`,
      );
    } else if (f?.identity?.wwn !== undefined && r.wwn === f.identity.wwn) {
      out.push(`has WWN ${r.wwn}, which is recorded on another ${pvDescription(pv)}`);
    }
  }
  return out;
}

function check(f: DeviceFacts | undefined, used: ReadonlyMap<string, readonly string[]>, facts: NodeFacts, guarded: ReadonlySet<string>): Check {
  if (!f?.path) return { hard: ['does not exist'], soft: [] };
  if (f.inspectError !== undefined || !f.tree) return { hard: [`could not be inspected: ${f.inspectError ?? 'no lsblk data'}`], soft: [] };
  const hard: string[] = [];
  const soft: string[] = [];
  const uses = used.get(f.path) ?? [];
  if (uses.length > 1) hard.push(`is the same device as another entry (${uses.join(', ')})`);
  if (f.tree.readOnly) hard.push('is read-only');
  if (f.tree.type === 'lvm' || f.tree.type === 'rom') hard.push(`is a ${f.tree.type} device, not a disk or partition`);
  if (f.tree.mounts.length > 0) hard.push(`is mounted (${f.tree.mounts.join(', ')})`);
  if (f.tree.holders.length > 0) hard.push(`is in use by ${f.tree.holders.join(', ')}`);
  if (f.tree.partitions.length > 0) soft.push(`has partitions ${f.tree.partitions.join(', ')}`);
  for (const s of f.signatures) soft.push(`has a ${s.type} signature${s.label ? ` (label "${s.label}")` : ''}`);
  const vgName = f.pvOf;
  if (vgName !== undefined && vgName !== '' && guarded.has(vgName)) {
    const ours = facts.vgs.some((v) => v.name === vgName && v.tags.includes(OPEN_LOCAL_TAG));
    hard.push(`is a physical volume of ${ours ? `open-local volume group ${vgName}` : `volume group ${vgName}, which the config names`} (move it out with vgreduce first)`);
  } else if (vgName !== undefined) {
    soft.push(vgName === '' ? 'is an LVM physical volume of no volume group' : `is a physical volume of volume group ${vgName}`);
  }
  return { hard, soft };
}

const describe = (requested: string, f: DeviceFacts | undefined): string => (f?.path !== undefined && f.path !== requested ? `${requested} (${f.path})` : requested);

const wipeOf = (f: DeviceFacts, destroys: readonly string[]): Wipe => ({ requested: f.requested, device: f.path ?? f.requested, partitions: f.tree?.partitions ?? [], destroys });

function planVg(vg: VgToBeInited, facts: NodeFacts, used: ReadonlyMap<string, readonly string[]>, guarded: ReadonlySet<string>): VgPlan {
  const existing = facts.vgs.find((v) => v.name === vg.name);
  const members = new Set(facts.pvs.filter((pv) => pv.vgName === vg.name).map((pv) => pv.path));
  if (existing && !existing.tags.includes(OPEN_LOCAL_TAG)) {
    // Not open-local's: read, never written. All that matters is whether it already is what the config describes.
    const outside = vg.devices.filter((r) => {
      const path = facts.devices.get(r)?.path;
      return path === undefined || !members.has(path);
    });
    if (outside.length === 0) {
      return {
        name: vg.name,
        action: {
          kind: 'ready',
          record: [],
          message: `existing volume group used as is; it is not tagged ${OPEN_LOCAL_TAG}, so open-local will never extend or remove it (run \`vgchange --addtag ${OPEN_LOCAL_TAG} ${vg.name}\` to let it)`,
        },
      };
    }
    const list = outside.map((r) => describe(r, facts.devices.get(r))).join(', ');
    const notIn = outside.length === 1 ? 'is not one of its physical volumes' : 'are not among its physical volumes';
    return {
      name: vg.name,
      action: {
        kind: 'refuse',
        message: `volume group ${vg.name} exists but was not created by open-local (no "${OPEN_LOCAL_TAG}" tag) and ${list} ${notIn}; it is left untouched. To let open-local extend it, run \`vgchange --addtag ${OPEN_LOCAL_TAG} ${vg.name}\` on the node`,
      },
    };
  }
  const refusals: string[] = [];
  const add: string[] = [];
  const wipe: Wipe[] = [];
  const record: PvTagging[] = [];
  const recordOf = (f: DeviceFacts, requested: string): PvTagging => ({ device: f.path ?? requested, tags: recordTags({ dev: requested, wwn: f.identity?.wwn, serial: f.identity?.serial }) });
  for (const requested of vg.devices) {
    const f = facts.devices.get(requested);
    if (existing && f?.path !== undefined && members.has(f.path)) {
      const pv = facts.pvs.find((p) => p.path === f.path);
      if (pv && parseRecord(pv.tags).dev === undefined) record.push(recordOf(f, requested));
      continue;
    }
    const checked = check(f, used, facts, guarded);
    const tagged = recordConflicts(requested, f, facts, vg.name);
    const host = tagged.length > 0 ? undefined : hostRecordConflict(requested, f, facts);
    const hard = [...tagged, ...(host === undefined ? [] : [host]), ...checked.hard];
    const soft = checked.soft;
    const forced = vg.forceDevices?.includes(requested) === true;
    if (hard.length > 0) refusals.push(`${describe(requested, f)} ${[...hard, ...soft].join('; ')}`);
    else if (soft.length > 0 && !forced) refusals.push(`${describe(requested, f)} ${soft.join('; ')} (list it in forceDevices to DESTROY its content and use it)`);
    else if (f?.path !== undefined && !add.includes(f.path)) {
      add.push(f.path);
      record.push(recordOf(f, requested));
      if (soft.length > 0 && f.tree) wipe.push(wipeOf(f, soft));
    }
  }
  if (refusals.length > 0) return { name: vg.name, action: { kind: 'refuse', message: `${refusals.join('; ')}; no device of volume group ${vg.name} was touched` } };
  if (add.length === 0) return { name: vg.name, action: { kind: 'ready', record } };
  return { name: vg.name, action: { kind: existing ? 'extend' : 'create', add, wipe, record } };
}

function planMount(mp: MountpointToBeInited, facts: NodeFacts, used: ReadonlyMap<string, readonly string[]>, guarded: ReadonlySet<string>, kubeletDir: string): MountPlan {
  const path = normalizeDir(mp.path);
  const fsType = mp.fsType ?? DEFAULT_FS;
  const f = facts.devices.get(mp.device);
  const refuse = (message: string): MountPlan => ({ path: mp.path, device: mp.device, action: { kind: 'refuse', message } });
  const system = systemMountPathReason(path, kubeletDir);
  if (system !== undefined) return refuse(`${path} may not be a mount point: ${system}; nothing was done`);
  const current = facts.mountedAt.get(path);
  if (current) {
    if (f?.path === undefined || current.source !== f.path) return refuse(`${path} is already a mount point of ${current.source}; it is left untouched`);
    if (current.fsType !== fsType) return refuse(`${describe(mp.device, f)} is mounted on ${path} as ${current.fsType}, not ${fsType}; it is left untouched`);
    return { path: mp.path, device: mp.device, action: { kind: 'ready' } };
  }
  const { hard, soft } = check(f, used, facts, guarded);
  if (hard.length > 0 || !f?.path) return refuse(`${describe(mp.device, f)} ${[...hard, ...soft].join('; ')}`);
  const fs = facts.mountFs.get(path);
  if (!fs) throw new Error(`no filesystem UUID was looked up for mount point ${path}`);
  const mount = (format: boolean, wipe: Wipe | undefined): MountPlan => ({
    path: mp.path,
    device: mp.device,
    action: { kind: 'mount', device: f.path ?? mp.device, format, wipe, fsType, fsUuid: fs.uuid, options: mp.options ?? [] },
  });
  const [only] = f.signatures;
  const ours = f.signatures.length === 1 && only?.type === fsType && only.uuid === fs.uuid && (f.tree?.partitions.length ?? 0) === 0 && f.pvOf === undefined;
  if (ours) return mount(false, undefined);
  const elsewhere = fs.on.filter((d) => d !== f.path);
  if (elsewhere.length > 0) {
    return refuse(
      `the filesystem of mount point ${path} (UUID ${fs.uuid}) is on ${elsewhere.join(', ')}, not on ${describe(mp.device, f)}, which now holds another disk (${describeDevice(f.path, f)}): refused even with force; nothing was mounted, formatted or wiped. Name the disk by a stable path (/dev/disk/by-id/...) in the config`,
    );
  }
  // Where the filesystem is now (above) says more than the record of where it was; the record is for when it is gone.
  const host = hostRecordConflict(mp.device, f, facts);
  if (host !== undefined) return refuse(`${describe(mp.device, f)} ${[host, ...soft].join('; ')}`);
  if (soft.length === 0) return mount(true, undefined);
  const foreignOurs = f.signatures.find((s) => s.label === FS_LABEL);
  if (foreignOurs) {
    return refuse(
      `${describe(mp.device, f)} holds an open-local ${foreignOurs.type} filesystem (UUID ${foreignOurs.uuid ?? 'unknown'}) that is not mount point ${path}'s (UUID ${fs.uuid}): another mount point's disk, or one made by an older open-local; refused even with force, nothing was touched. If it is this mount point's filesystem, hand it over with \`${setUuidHint(foreignOurs.type, f.path, fs.uuid)}\``,
    );
  }
  if (mp.force === true) return mount(true, wipeOf(f, soft));
  return refuse(`${describe(mp.device, f)} ${soft.join('; ')} (set force: true to DESTROY its content and format it)`);
}

export interface PlanRules {
  /** The kubelet's root directory (spec.csi.kubeletDir): no mount point at or under it. */
  readonly kubeletDir: string;
}

export function planPrepare(config: ResourceToBeInited, facts: NodeFacts, rules: PlanRules = { kubeletDir: DEFAULT_KUBELET_DIR }): Plan {
  const used = usages(config, facts);
  const guarded = guardedVgs(config, facts);
  return {
    vgs: (config.vgs ?? []).map((vg) => planVg(vg, facts, used, guarded)),
    mountPoints: (config.mountpoints ?? []).map((mp) => planMount(mp, facts, used, guarded, rules.kubeletDir)),
  };
}
