/**
 * What the volume reconciler needs to know of LVM on its node, with the LV UUIDs (node-agent's report has no
 * lv_uuid: discovery never needed identity, the reconciler removes and resizes by it). Parsing is pure; readLvmFacts
 * runs the two reports through the exec layer.
 */
import type { Exec } from '../../../lib/exec.js';

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
const REPORT = ['--reportformat', 'json', '--units', 'b', '--nosuffix'] as const;
const REPORT_TIMEOUT_MS = 60_000;

type Row = Readonly<Record<string, unknown>>;

function rows(json: string, section: 'vg' | 'lv'): Row[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error(`lvm ${section}s report is not JSON: ${json.slice(0, 200)}`);
  }
  const report = (parsed as { report?: unknown } | null)?.report;
  if (!Array.isArray(report)) throw new Error(`lvm ${section}s report has no "report" array`);
  return (report as Record<string, unknown>[]).flatMap((part) => {
    const list = part[section];
    if (list === undefined) return [];
    if (!Array.isArray(list)) throw new Error(`lvm ${section}s report: "${section}" is not an array`);
    return list as Row[];
  });
}

function text(row: Row, field: string): string {
  const v = row[field];
  if (typeof v !== 'string') throw new Error(`lvm report row lacks ${field}: ${JSON.stringify(row)}`);
  return v;
}

function count(row: Row, field: string): number {
  const v = text(row, field);
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw new Error(`lvm report: ${field} "${v}" is not a byte count`);
  return n;
}

const tags = (row: Row, field: string): string[] => text(row, field).split(',').filter((t) => t !== '');

export function parseVgFacts(json: string): VgFacts[] {
  return rows(json, 'vg').map((r) => ({
    name: text(r, 'vg_name'),
    tags: tags(r, 'vg_tags'),
    pvCount: count(r, 'pv_count'),
    free: count(r, 'vg_free'),
    extentSize: count(r, 'vg_extent_size'),
  }));
}

export function parseLvFacts(json: string): LvFacts[] {
  return rows(json, 'lv').map((r) => ({
    name: text(r, 'lv_name'),
    vgName: text(r, 'vg_name'),
    uuid: text(r, 'lv_uuid'),
    size: count(r, 'lv_size'),
    attr: text(r, 'lv_attr'),
    origin: text(r, 'origin'),
    tags: tags(r, 'lv_tags'),
  }));
}

/** VGs first, then LVs: an LV listed is never in a VG the report missed. */
export async function readLvmFacts(exec: Exec): Promise<LvmFacts> {
  const run = async (command: string, fields: string) => (await exec.run(['lvm', command, ...REPORT, '-o', fields], { timeoutMs: REPORT_TIMEOUT_MS })).stdout;
  const vgs = parseVgFacts(await run('vgs', VG_FACT_FIELDS));
  const lvs = parseLvFacts(await run('lvs', LV_FACT_FIELDS));
  return { vgs, lvs };
}
