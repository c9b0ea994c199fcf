/**
 * What `prepare-vg --remove` (the operator's cleanup policy RemoveVolumeGroups) will do, decided purely from the LVM
 * report and the config, so a table test checks every rule without a disk. Per VG the config names:
 * - not present → nothing to do (Removed, "not present"): a second run, or a node that never got the VG, succeeds.
 * - present but not tagged `open-local` → Refused: open-local did not create it (an Open-Local (Go) VG used as is,
 *   or someone else's), so it never removes it.
 * - tagged but holding any LV (volumes, snapshots, thin pools; whatever `lvs` lists) → Refused, naming a few: an LV
 *   is a user's data, and its PersistentVolume must go first. Run does not rely on this check alone: vgremove runs
 *   without --force, and LVM itself refuses (its prompt reads EOF) a VG that gained an LV since the report.
 * - tagged, no LV, but a PV missing (partial) or the name ambiguous (two VGs of that name) → Refused: LVM cannot
 *   remove it cleanly, and a guess could hit the wrong disks.
 * - tagged and empty → remove: vgremove, then pvremove of each of its PVs, so the disks no longer carry an LVM label.
 * The devices the config lists play no part in the decision (the VG's own PVs are what gets unlabelled); they are
 * only looked at to mention a leftover label when the VG is already gone.
 */
import type { ResourceToBeInited } from '../../api/generated/types.js';
import { OPEN_LOCAL_TAG } from '../lvm/commands.js';
import { vgIsPartial, type LvReport, type PvReport, type VgReport } from '../lvm/report.js';

/** LV names a refusal lists before it says "and N more". */
export const LISTED_LVS = 5;

export interface RemovalFacts {
  readonly vgs: readonly VgReport[];
  /** PVs with their canonical paths. */
  readonly pvs: readonly (PvReport & { readonly path: string })[];
  readonly lvs: readonly LvReport[];
  /** Canonical path of each device the config lists (by requested path); undefined when nothing is there. */
  readonly devices: ReadonlyMap<string, string | undefined>;
}

export type RemoveAction =
  | { readonly kind: 'absent'; readonly message: string }
  | { readonly kind: 'refuse'; readonly message: string }
  /** `devices`: the VG's PVs as LVM names them, to pvremove after the vgremove. */
  | { readonly kind: 'remove'; readonly devices: readonly string[] };

export interface RemovePlan {
  readonly name: string;
  readonly action: RemoveAction;
}

function listLvs(lvs: readonly LvReport[]): string {
  const names = lvs.map((l) => l.name).sort();
  const shown = names.slice(0, LISTED_LVS).join(', ');
  return names.length > LISTED_LVS ? `${shown} and ${names.length - LISTED_LVS} more` : shown;
}

function planOne(name: string, requested: readonly string[], facts: RemovalFacts): RemovePlan {
  const refuse = (message: string): RemovePlan => ({ name, action: { kind: 'refuse', message } });
  const found = facts.vgs.filter((v) => v.name === name);
  const [vg] = found;
  if (vg === undefined) {
    // A configured device that is an orphan PV may be a label a failed earlier run left; it may as well be someone
    // else's. Ownership cannot be proven, so it is only mentioned.
    const orphans = [...new Set(requested.map((r) => facts.devices.get(r)).filter((p): p is string => p !== undefined && facts.pvs.some((pv) => pv.path === p && pv.vgName === '')))].sort();
    const note = orphans.length === 0 ? '' : `; ${orphans.join(', ')} still ${orphans.length === 1 ? 'carries' : 'carry'} an LVM label of no volume group, left alone (run \`pvremove\` on it if it is not in use)`;
    return { name, action: { kind: 'absent', message: `not present${note}` } };
  }
  if (found.length > 1) return refuse(`${found.length} volume groups are named ${name} (uuids ${found.map((v) => v.uuid).join(', ')}); removing by name could hit the wrong one, so all are left alone`);
  if (!vg.tags.includes(OPEN_LOCAL_TAG)) return refuse(`not created by open-local (no "${OPEN_LOCAL_TAG}" tag); left alone`);
  const lvs = facts.lvs.filter((l) => l.vgName === name);
  if (lvs.length > 0) return refuse(`holds ${lvs.length} logical volume${lvs.length === 1 ? '' : 's'}: ${listLvs(lvs)}; delete their PersistentVolumes first`);
  if (vgIsPartial(vg.attr)) return refuse(`a physical volume of it is missing (vg_attr ${vg.attr}); not removed: reconnect the disk, or run \`vgreduce --removemissing ${name}\` and retry`);
  const devices = facts.pvs.filter((pv) => pv.vgName === name).map((pv) => pv.name).sort();
  return { name, action: { kind: 'remove', devices } };
}

/** One plan per VG the config names, in config order (names are unique: the CRD's list-map key). */
export function planRemove(config: ResourceToBeInited, facts: RemovalFacts): RemovePlan[] {
  return (config.vgs ?? []).map((vg) => planOne(vg.name, vg.devices, facts));
}
