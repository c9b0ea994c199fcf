/**
 * What the CSI node knows of LVM on its node, with the LV UUIDs (node-agent's discovery report has no lv_uuid: it
 * never needed identity; the reconciler removes and resizes by it, the node service checks inline LVs by it).
 * Parsing goes through node-agent's report reader; readLvmFacts and readLv run the reports through the exec layer.
 */
import type { Exec } from '../../../lib/exec.js';
import { isLvmNotFound } from '../../../node-agent/lvm/commands.js';
import { REPORT_FLAGS, reportBytes, reportRows, reportTags, reportText } from '../../../node-agent/lvm/report.js';

export interface VgFacts {
  readonly name: string;
  readonly tags: readonly string[];
  readonly pvCount: number;
  readonly free: number;
  /** Bytes per extent: LVM rounds every LV size up to a multiple of it. */
  readonly extentSize: number;
}

export interface LvFacts {
  readonly name: string;
  readonly vgName: string;
  readonly uuid: string;
  readonly size: number;
  /** lv_attr, e.g. "-wi-a-----"; 5th character "I" marks a snapshot that overflowed (its data is gone). */
  readonly attr: string;
  /** For a snapshot, the LV it was taken of; "" otherwise. */
  readonly origin: string;
  readonly tags: readonly string[];
}

export interface LvmFacts {
  readonly vgs: readonly VgFacts[];
  readonly lvs: readonly LvFacts[];
}

export const VG_FACT_FIELDS = 'vg_name,vg_tags,pv_count,vg_free,vg_extent_size';
export const LV_FACT_FIELDS = 'lv_name,vg_name,lv_uuid,lv_size,lv_attr,origin,lv_tags';
/** Reports read metadata only; a minute means LVM is stuck on a lock or a dead device. */
const REPORT_TIMEOUT_MS = 60_000;

export function parseVgFacts(json: string): VgFacts[] {
  return reportRows(json, 'vg').map((r) => ({
    name: reportText(r, 'vg_name'),
    tags: reportTags(r, 'vg_tags'),
    pvCount: reportBytes(r, 'pv_count'),
    free: reportBytes(r, 'vg_free'),
    extentSize: reportBytes(r, 'vg_extent_size'),
  }));
}

export function parseLvFacts(json: string): LvFacts[] {
  return reportRows(json, 'lv').map((r) => ({
    name: reportText(r, 'lv_name'),
    vgName: reportText(r, 'vg_name'),
    uuid: reportText(r, 'lv_uuid'),
    size: reportBytes(r, 'lv_size'),
    attr: reportText(r, 'lv_attr'),
    origin: reportText(r, 'origin'),
    tags: reportTags(r, 'lv_tags'),
  }));
}

/**
 * The facts after an LV of our own lvcreate (`lv`, read back from the kernel) was added: listed, and its size taken
 * from its VG's free space, as a report read now would show them. Facts that list it already (read after the
 * lvcreate) have its size counted: only the row is replaced.
 */
export function withCreatedLv(facts: LvmFacts, lv: LvFacts): LvmFacts {
  const same = (l: LvFacts) => l.vgName === lv.vgName && l.name === lv.name;
  const listed = facts.lvs.some(same);
  return {
    vgs: listed ? facts.vgs : facts.vgs.map((vg) => (vg.name === lv.vgName ? { ...vg, free: Math.max(0, vg.free - lv.size) } : vg)),
    lvs: [...facts.lvs.filter((l) => !same(l)), lv],
  };
}

const report = async (exec: Exec, command: 'vgs' | 'lvs', fields: string, select: readonly string[] = []): Promise<string> =>
  (await exec.run(['lvm', command, ...REPORT_FLAGS, '-o', fields, ...select], { timeoutMs: REPORT_TIMEOUT_MS })).stdout;

/** VGs first, then LVs: an LV listed is never in a VG the report missed. */
export async function readLvmFacts(exec: Exec): Promise<LvmFacts> {
  const vgs = parseVgFacts(await report(exec, 'vgs', VG_FACT_FIELDS));
  const lvs = parseLvFacts(await report(exec, 'lvs', LV_FACT_FIELDS));
  return { vgs, lvs };
}

/** One LV's facts, or undefined when it (or its VG) does not exist. */
export async function readLv(exec: Exec, vg: string, lv: string): Promise<LvFacts | undefined> {
  try {
    return parseLvFacts(await report(exec, 'lvs', LV_FACT_FIELDS, ['--', `${vg}/${lv}`])).find((l) => l.name === lv && l.vgName === vg);
  } catch (err) {
    if (isLvmNotFound(err)) return undefined;
    throw err;
  }
}
