/**
 * prepare-vg's own memory on the node: for every configured device path it initialised, what it put there (the PV
 * UUID and VG, or the filesystem UUID and mount point) and the disk's WWN/serial. LVM tags on PVs (records.ts) and
 * mount point UUIDs (fs-uuid.ts) travel with the disks, but they are gone from view when the disk that carried them
 * is gone: a single-disk VG whose disk died is no VG at all, and the next disk then takes its kernel name. This file
 * remembers that the name was used, so a disk that later answers to it is refused instead of wiped.
 *
 * A JSON file on the host (default /var/lib/open-local/prepare-vg-records.json; it survives reboots, not a re-imaged
 * root disk, where the tags and UUIDs still protect what is left), written whole to a temporary file and renamed over
 * the old one through the host-exec channel, so a crash leaves the old or the new file, never half of one. Only one
 * prepare-vg runs per node (host-lock.ts), so there is no concurrent writer. `--remove` forgets the devices whose
 * VG it removed. To reuse a name on purpose (a dead disk replaced), name the new disk by /dev/disk/by-id/... or delete
 * the path's entry from the file.
 */
export const HOST_RECORDS_FILE = 'prepare-vg-records.json';
export const DEFAULT_STATE_DIR = '/var/lib/open-local';

export interface HostRecord {
  /** The PV UUID the device was added as, and its VG. */
  readonly pvUuid?: string;
  readonly vg?: string;
  /** The filesystem UUID formatted (or found) on it, and its mount point. */
  readonly fsUuid?: string;
  readonly mountPoint?: string;
  readonly wwn?: string;
  readonly serial?: string;
}

/** Configured device path → what was put there. */
export type HostRecords = ReadonlyMap<string, HostRecord>;

const FIELDS = ['pvUuid', 'vg', 'fsUuid', 'mountPoint', 'wwn', 'serial'] as const;

/** Parses the file; "" (no file yet) is no records. Anything malformed throws: the run must not guess. */
export function parseHostRecords(text: string): HostRecords {
  if (text.trim() === '') return new Map();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('is not JSON');
  }
  const devices = (value as { version?: unknown; devices?: unknown } | null)?.devices;
  if ((value as { version?: unknown } | null)?.version !== 1 || typeof devices !== 'object' || devices === null || Array.isArray(devices)) {
    throw new Error('is not a version 1 record file ({"version":1,"devices":{...}})');
  }
  const out = new Map<string, HostRecord>();
  for (const [path, entry] of Object.entries(devices as Record<string, unknown>)) {
    if (typeof entry !== 'object' || entry === null) throw new Error(`entry ${path} is not an object`);
    const record: Partial<Record<(typeof FIELDS)[number], string>> = {};
    for (const f of FIELDS) {
      const v = (entry as Record<string, unknown>)[f];
      if (v === undefined) continue;
      if (typeof v !== 'string') throw new Error(`entry ${path}: ${f} is not a string`);
      record[f] = v;
    }
    if (record.pvUuid === undefined && record.fsUuid === undefined) throw new Error(`entry ${path} has neither pvUuid nor fsUuid`);
    out.set(path, record);
  }
  return out;
}

/** The file's text: sorted, so an unchanged set of records is an unchanged file. */
export function formatHostRecords(records: HostRecords): string {
  const devices = Object.fromEntries([...records.entries()].sort(([a], [b]) => a.localeCompare(b)));
  return `${JSON.stringify({ version: 1, devices }, null, 2)}\n`;
}

/** `records` with `updates` applied (undefined removes a path). */
export function withRecords(records: HostRecords, updates: ReadonlyMap<string, HostRecord | undefined>): HostRecords {
  const out = new Map(records);
  for (const [path, r] of updates) {
    if (r === undefined) out.delete(path);
    else out.set(path, r);
  }
  return out;
}

/** What one run leaves to record: each configured device that is now a PV of its VG or holds its mounted filesystem. */
export interface RunOutcome {
  /** Configured VGs with their configured device paths. */
  readonly vgs: readonly { readonly name: string; readonly devices: readonly string[] }[];
  /** Configured mount points: device path, normalised mount path, and the filesystem UUID now mounted there. */
  readonly mountPoints: readonly { readonly device: string; readonly path: string; readonly fsUuid: string | undefined }[];
  /** Canonical path of each configured device path, and its WWN/serial. */
  readonly devices: ReadonlyMap<string, { readonly path: string | undefined; readonly wwn?: string; readonly serial?: string }>;
  /** PVs after the run (canonical path, VG, UUID). */
  readonly pvs: readonly { readonly path: string; readonly vgName: string; readonly uuid?: string }[];
}

/** The records a run adds or changes (only those that differ from `before`). */
export function recordUpdates(before: HostRecords, outcome: RunOutcome): Map<string, HostRecord> {
  const out = new Map<string, HostRecord>();
  const put = (path: string, r: HostRecord) => {
    const clean = Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as HostRecord;
    if (JSON.stringify(before.get(path)) !== JSON.stringify(clean)) out.set(path, clean);
  };
  for (const vg of outcome.vgs) {
    for (const requested of vg.devices) {
      const d = outcome.devices.get(requested);
      const pv = outcome.pvs.find((p) => p.path === d?.path && p.vgName === vg.name);
      if (pv?.uuid) put(requested, { pvUuid: pv.uuid, vg: vg.name, wwn: d?.wwn, serial: d?.serial });
    }
  }
  for (const mp of outcome.mountPoints) {
    const d = outcome.devices.get(mp.device);
    if (mp.fsUuid !== undefined) put(mp.device, { fsUuid: mp.fsUuid, mountPoint: mp.path, wwn: d?.wwn, serial: d?.serial });
  }
  return out;
}
