/**
 * Pure parsers of lvm2 JSON reports (`vgs|pvs|lvs --reportformat json --units b --nosuffix -o ...`). Every value
 * arrives as a string; sizes become exact byte numbers, tag lists become arrays. A report that does not have the
 * expected shape throws LvmReportError rather than yielding half-filled objects.
 */

export class LvmReportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LvmReportError';
  }
}

export interface VgReport {
  readonly name: string;
  readonly uuid: string;
  readonly size: number;
  readonly free: number;
  readonly tags: readonly string[];
  /** vg_attr, e.g. "wz--n-"; the 4th character is "p" when a PV is missing. */
  readonly attr: string;
  readonly pvCount: number;
  /** Increments on every metadata change: equal before and after means LVM changed nothing. */
  readonly seqno: number;
}

export interface PvReport {
  readonly name: string;
  /** LVM's PV UUID; absent from a report asked without pv_uuid. */
  readonly uuid?: string;
  /** "" for a PV that belongs to no VG (an orphan). */
  readonly vgName: string;
  readonly size: number;
  readonly free: number;
  readonly tags: readonly string[];
  /** pv_attr, e.g. "a--"; the 3rd character is "m" when the PV is missing. */
  readonly attr: string;
}

export interface LvReport {
  readonly name: string;
  readonly vgName: string;
  /** For a snapshot: its copy-on-write space, not the origin's size. */
  readonly size: number;
  /** lv_attr, e.g. "-wi-a-----", "swi-a-s---". */
  readonly attr: string;
  /** Name of the origin LV for a snapshot, "" otherwise. */
  readonly origin: string;
  /** How full a snapshot's COW space is, in percent; undefined for LVs that are not snapshots. */
  readonly snapPercent: number | undefined;
  readonly tags: readonly string[];
  readonly path: string;
}

export interface LvmReport {
  readonly vgs: readonly VgReport[];
  readonly pvs: readonly PvReport[];
  readonly lvs: readonly LvReport[];
}

/** How every report is asked for: JSON, sizes as plain byte counts (what reportBytes accepts). */
export const REPORT_FLAGS = ['--reportformat', 'json', '--units', 'b', '--nosuffix'] as const;

/** The -o field lists the parsers expect; commands.ts passes exactly these. */
export const VG_FIELDS = 'vg_name,vg_uuid,vg_size,vg_free,vg_tags,vg_attr,pv_count,vg_seqno';
export const PV_FIELDS = 'pv_name,pv_uuid,vg_name,pv_size,pv_free,pv_tags,pv_attr';
export const LV_FIELDS = 'lv_name,vg_name,lv_size,lv_attr,origin,snap_percent,lv_tags,lv_path';

export type ReportRow = Readonly<Record<string, unknown>>;

/**
 * The rows of one section ("vg", "pv", "lv") of a JSON report. Exported with the field readers below: every reader
 * of an lvm2 report (discovery here, the CSI node's LV lookups and reconciler facts) parses through these.
 */
export function reportRows(json: string, section: 'vg' | 'pv' | 'lv'): ReportRow[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new LvmReportError(`${section}s report is not JSON: ${json.slice(0, 200)}`);
  }
  const report = (parsed as { report?: unknown } | null)?.report;
  if (!Array.isArray(report)) throw new LvmReportError(`${section}s report has no "report" array`);
  const out: ReportRow[] = [];
  for (const part of report as unknown[]) {
    const list = (part as Record<string, unknown> | null)?.[section];
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new LvmReportError(`${section}s report: "${section}" is not an array`);
    for (const row of list as unknown[]) {
      if (typeof row !== 'object' || row === null) throw new LvmReportError(`${section}s report: a row is not an object`);
      out.push(row as ReportRow);
    }
  }
  return out;
}

export function reportText(row: ReportRow, field: string): string {
  const v = row[field];
  if (typeof v !== 'string') throw new LvmReportError(`report row lacks field ${field}: ${JSON.stringify(row)}`);
  return v;
}

export function reportBytes(row: ReportRow, field: string): number {
  const v = reportText(row, field);
  // --units b --nosuffix prints plain integers; anything else means the flags were not applied.
  if (!/^\d+$/.test(v)) throw new LvmReportError(`${field} "${v}" is not a byte count`);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new LvmReportError(`${field} ${v} is too large`);
  return n;
}

export const reportTags = (row: ReportRow, field: string): string[] => reportText(row, field).split(',').filter((t) => t !== '');

export function parseVgsReport(json: string): VgReport[] {
  return reportRows(json, 'vg').map((r) => ({
    name: reportText(r, 'vg_name'),
    uuid: reportText(r, 'vg_uuid'),
    size: reportBytes(r, 'vg_size'),
    free: reportBytes(r, 'vg_free'),
    tags: reportTags(r, 'vg_tags'),
    attr: reportText(r, 'vg_attr'),
    pvCount: reportBytes(r, 'pv_count'),
    seqno: reportBytes(r, 'vg_seqno'),
  }));
}

export function parsePvsReport(json: string): PvReport[] {
  return reportRows(json, 'pv').map((r) => ({
    name: reportText(r, 'pv_name'),
    ...(r.pv_uuid === undefined ? {} : { uuid: reportText(r, 'pv_uuid') }),
    vgName: reportText(r, 'vg_name'),
    size: reportBytes(r, 'pv_size'),
    free: reportBytes(r, 'pv_free'),
    tags: reportTags(r, 'pv_tags'),
    attr: reportText(r, 'pv_attr'),
  }));
}

export function parseLvsReport(json: string): LvReport[] {
  return reportRows(json, 'lv').map((r) => {
    const percent = reportText(r, 'snap_percent');
    if (percent !== '' && !/^\d+(\.\d+)?$/.test(percent)) throw new LvmReportError(`snap_percent "${percent}" is not a number`);
    return {
      name: reportText(r, 'lv_name'),
      vgName: reportText(r, 'vg_name'),
      size: reportBytes(r, 'lv_size'),
      attr: reportText(r, 'lv_attr'),
      origin: reportText(r, 'origin'),
      snapPercent: percent === '' ? undefined : Number(percent),
      tags: reportTags(r, 'lv_tags'),
      path: reportText(r, 'lv_path'),
    };
  });
}

export interface LvAttr {
  /** 1st character: "s" snapshot, "o" origin, "-" plain volume, ... */
  readonly volumeType: string;
  /** 2nd character "r" (or "R": activated read-only). */
  readonly readOnly: boolean;
  /** 5th character "a". */
  readonly active: boolean;
  /** 5th character "I": a snapshot whose COW space overflowed; it holds no usable data any more. */
  readonly invalidSnapshot: boolean;
  /** 9th character "p": a PV under it is missing. */
  readonly partial: boolean;
}

/** Decodes lv_attr (see lvs(8), "lv_attr bits"); short or empty strings read as plain, writable, inactive. */
export function parseLvAttr(attr: string): LvAttr {
  const at = (i: number): string => attr.charAt(i);
  return {
    volumeType: at(0) || '-',
    readOnly: at(1) === 'r' || at(1) === 'R',
    active: at(4) === 'a',
    invalidSnapshot: at(4) === 'I' || at(4) === 'S',
    partial: at(8) === 'p',
  };
}

/** vg_attr 4th character "p": the VG is missing a PV (LVM calls it partial). */
export const vgIsPartial = (attr: string): boolean => attr.charAt(3) === 'p';
/** pv_attr 3rd character "m": the PV is missing. */
export const pvIsMissing = (attr: string): boolean => attr.charAt(2) === 'm';
