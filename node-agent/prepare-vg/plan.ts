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
 * - All or nothing per VG: if any new device of a VG is refused, none of its devices is touched and the VG is
 *   Refused, so a VG never comes out half-built from a config nobody intended.
 *
 * Mount points: mounted from the right device with the right fsType → Ready; the path mounted from anything else →
 * Refused. A free device without signatures is formatted (label `open-local`) and mounted; one holding exactly an
 * open-local filesystem of the wanted type (our own, e.g. after a reboot) is mounted without formatting, even with
 * `force`; anything else is formatted only with `force: true`, after a wipe.
 */
import type { MountpointToBeInited, ResourceToBeInited, VgToBeInited } from '../../api/generated/types.js';
import { normalizeDir } from '../discovery/mounts.js';
import { OPEN_LOCAL_TAG } from '../lvm/commands.js';
import type { DeviceFacts, NodeFacts } from './inspect.js';

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

export type VgAction =
  /** `message` says why a Ready VG is not fully open-local's (an untagged VG used as is); absent otherwise. */
  | { readonly kind: 'ready'; readonly message?: string }
  | { readonly kind: 'refuse'; readonly message: string }
  | { readonly kind: 'create' | 'extend'; readonly add: readonly string[]; readonly wipe: readonly Wipe[] };

export interface VgPlan {
  readonly name: string;
  readonly action: VgAction;
}

export type MountAction =
  | { readonly kind: 'ready' }
  | { readonly kind: 'refuse'; readonly message: string }
  | { readonly kind: 'mount'; readonly device: string; readonly format: boolean; readonly wipe: Wipe | undefined; readonly fsType: string; readonly options: readonly string[] };

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
  for (const requested of vg.devices) {
    const f = facts.devices.get(requested);
    if (existing && f?.path !== undefined && members.has(f.path)) continue;
    const { hard, soft } = check(f, used, facts, guarded);
    const forced = vg.forceDevices?.includes(requested) === true;
    if (hard.length > 0) refusals.push(`${describe(requested, f)} ${[...hard, ...soft].join('; ')}`);
    else if (soft.length > 0 && !forced) refusals.push(`${describe(requested, f)} ${soft.join('; ')} (list it in forceDevices to DESTROY its content and use it)`);
    else if (f?.path !== undefined && !add.includes(f.path)) {
      add.push(f.path);
      if (soft.length > 0 && f.tree) wipe.push(wipeOf(f, soft));
    }
  }
  if (refusals.length > 0) return { name: vg.name, action: { kind: 'refuse', message: `${refusals.join('; ')}; no device of volume group ${vg.name} was touched` } };
  if (add.length === 0) return { name: vg.name, action: { kind: 'ready' } };
  return { name: vg.name, action: { kind: existing ? 'extend' : 'create', add, wipe } };
}

function planMount(mp: MountpointToBeInited, facts: NodeFacts, used: ReadonlyMap<string, readonly string[]>, guarded: ReadonlySet<string>): MountPlan {
  const path = normalizeDir(mp.path);
  const fsType = mp.fsType ?? DEFAULT_FS;
  const f = facts.devices.get(mp.device);
  const refuse = (message: string): MountPlan => ({ path: mp.path, device: mp.device, action: { kind: 'refuse', message } });
  const current = facts.mountedAt.get(path);
  if (current) {
    if (f?.path === undefined || current.source !== f.path) return refuse(`${path} is already a mount point of ${current.source}; it is left untouched`);
    if (current.fsType !== fsType) return refuse(`${describe(mp.device, f)} is mounted on ${path} as ${current.fsType}, not ${fsType}; it is left untouched`);
    return { path: mp.path, device: mp.device, action: { kind: 'ready' } };
  }
  const { hard, soft } = check(f, used, facts, guarded);
  if (hard.length > 0 || !f?.path) return refuse(`${describe(mp.device, f)} ${[...hard, ...soft].join('; ')}`);
  const mount = (format: boolean, wipe: Wipe | undefined): MountPlan => ({
    path: mp.path,
    device: mp.device,
    action: { kind: 'mount', device: f.path ?? mp.device, format, wipe, fsType, options: mp.options ?? [] },
  });
  if (soft.length === 0) return mount(true, undefined);
  const [only] = f.signatures;
  const ours = f.signatures.length === 1 && only?.type === fsType && only.label === FS_LABEL && (f.tree?.partitions.length ?? 0) === 0 && f.pvOf === undefined;
  if (ours) return mount(false, undefined);
  if (mp.force === true) return mount(true, wipeOf(f, soft));
  return refuse(`${describe(mp.device, f)} ${soft.join('; ')} (set force: true to DESTROY its content and format it)`);
}

export function planPrepare(config: ResourceToBeInited, facts: NodeFacts): Plan {
  const used = usages(config, facts);
  const guarded = guardedVgs(config, facts);
  return {
    vgs: (config.vgs ?? []).map((vg) => planVg(vg, facts, used, guarded)),
    mountPoints: (config.mountpoints ?? []).map((mp) => planMount(mp, facts, used, guarded)),
  };
}
