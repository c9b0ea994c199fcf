/**
 * A disk's stable identity, as opposed to its kernel name (which moves between boots): the WWN and serial number the
 * hardware reports in sysfs, the /dev/disk/by-id links udev made for it, and the PV UUID or filesystem UUID written on
 * it. Virtual disks may have none of WWN, serial or by-id (UML's ubd, some clouds' disks); the PV UUID and filesystem
 * UUID are then what identifies them. Pure: inspect.ts reads the files and runs the commands.
 */

export interface DiskIdentity {
  /** World-wide name (SCSI/SATA wwid, NVMe wwid/nguid/eui/uuid), as sysfs prints it; partitions get "-partN". */
  readonly wwn?: string;
  /** Serial number (virtio, NVMe controller). */
  readonly serial?: string;
  /** Names under /dev/disk/by-id that point at it. */
  readonly byId: readonly string[];
}

/**
 * sysfs files read for a disk, relative to `<sysfs>/class/block/<disk>/`, in order of preference. A partition reads
 * its disk's (`../`) and adds its number.
 */
export const WWN_FILES: readonly string[] = ['wwid', 'device/wwid', 'nguid', 'eui', 'uuid'];
export const SERIAL_FILES: readonly string[] = ['serial', 'device/serial'];

/** Absent, empty and all-zero values (an NVMe namespace without an NGUID prints zeros) say nothing. */
// All zeros names no disk (an NVMe NGUID a vendor left blank), nor does "(null)": a driver without the value prints a
// NULL string so (UML's ubd does for serial), and two such disks would look like one.
const meaningful = (v: string | undefined): string | undefined => {
  const t = v?.trim().replace(/\s+/g, ' ');
  return t === undefined || t === '' || /^[0:-]+$/.test(t) || /^0x0+$/.test(t) || t.startsWith('(null)') ? undefined : t;
};

/**
 * The identity from the sysfs file contents (`files`: path relative to the disk's directory → content, undefined when
 * missing) and the by-id links. `partition` is the partition number when the device is a partition.
 */
export function identityFromSysfs(files: ReadonlyMap<string, string | undefined>, byId: readonly string[], partition?: string): DiskIdentity {
  const first = (names: readonly string[]) => names.map((n) => meaningful(files.get(n))).find((v) => v !== undefined);
  const suffix = partition === undefined ? '' : `-part${partition}`;
  const wwn = first(WWN_FILES);
  const serial = first(SERIAL_FILES);
  return { ...(wwn ? { wwn: `${wwn}${suffix}` } : {}), ...(serial ? { serial: `${serial}${suffix}` } : {}), byId: [...byId].sort() };
}

/**
 * `find /dev/disk/by-id -maxdepth 1 -type l -printf '%f %l\n'`: link name and its (relative) target on each line.
 * Returns kernel name (`sdb`) → full link paths.
 */
export const BY_ID_DIR = '/dev/disk/by-id';
export const BY_ID_ARGV: readonly string[] = ['find', BY_ID_DIR, '-maxdepth', '1', '-type', 'l', '-printf', '%f %l\\n'];

export function parseByIdListing(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const space = line.lastIndexOf(' ');
    if (space <= 0) continue;
    const name = line.slice(0, space);
    const target = line.slice(space + 1).split('/').at(-1) ?? '';
    if (target === '' || name.includes('/')) continue;
    out.set(target, [...(out.get(target) ?? []), `${BY_ID_DIR}/${name}`]);
  }
  return out;
}

/** "WWN x, serial y, /dev/disk/by-id/z" or "no WWN, serial or by-id name". */
export function describeIdentity(id: DiskIdentity | undefined): string {
  const parts = [...(id?.wwn ? [`WWN ${id.wwn}`] : []), ...(id?.serial ? [`serial ${id.serial}`] : []), ...(id?.byId.slice(0, 2) ?? [])];
  return parts.length > 0 ? parts.join(', ') : 'no WWN, serial or by-id name';
}
