/**
 * An LV we just created, read back from the kernel instead of from an lvm2 report: lvcreate activates the LV, and
 * device-mapper then holds its identity (dm uuid "LVM-" + VG UUID + LV UUID, both without dashes) and its size.
 * Reading two sysfs files takes microseconds; an `lvs` of the one LV starts lvm2 and scans every disk, which costs
 * as much as the lvcreate itself on a slow node. Undefined whenever the kernel's answer is not that exact shape (the
 * LV not active, a device-mapper layer): the caller then asks lvm2.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** The dashed form LVM prints (6-4-4-4-4-4-6) of the LV UUID inside a dm uuid of a top-level LV. */
export function lvUuidOfDmUuid(dmUuid: string): string | undefined {
  const id = /^LVM-[A-Za-z0-9]{32}([A-Za-z0-9]{32})$/.exec(dmUuid.trim())?.[1];
  return id?.replace(/^(.{6})(.{4})(.{4})(.{4})(.{4})(.{4})(.{6})$/, '$1-$2-$3-$4-$5-$6-$7');
}

/** "major:minor" of a Linux dev_t, as glibc's gnu_dev_major/gnu_dev_minor split it (and /sys/dev/block names it). */
export function devNumbers(rdev: bigint): string {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

export interface ActiveLv {
  readonly uuid: string;
  readonly size: number;
}

export async function readActiveLv(vg: string, lv: string, sysfs = '/sys'): Promise<ActiveLv | undefined> {
  try {
    const node = await stat(`/dev/${vg}/${lv}`, { bigint: true });
    if (!node.isBlockDevice()) return undefined;
    const dir = join(sysfs, 'dev', 'block', devNumbers(node.rdev));
    const uuid = lvUuidOfDmUuid(await readFile(join(dir, 'dm', 'uuid'), 'utf8'));
    const sectors = (await readFile(join(dir, 'size'), 'utf8')).trim();
    if (uuid === undefined || !/^\d+$/.test(sectors)) return undefined;
    return { uuid, size: Number(sectors) * 512 };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
