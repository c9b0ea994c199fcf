/**
 * Block devices from sysfs, as Open-Local's agent finds them (no lsblk, no udev): every `<sysfs>/block/<disk>` whose
 * name looks like a real disk, with its partitions (sub-directories named after the disk that hold a `partition`
 * file). The root is a parameter so tests read fixture trees and the pod reads the host's /sys at /host/sys.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export type MediaType = 'ssd' | 'hdd';

export interface BlockDevice {
  /** `/dev/<kernel name>`. */
  readonly name: string;
  readonly kernelName: string;
  /** For a partition, the `/dev/` name of its disk. */
  readonly parent?: string;
  /** From the disk's queue/rotational: "1" is a spinning disk, anything else solid state. */
  readonly mediaType: MediaType;
  readonly size: number;
  readonly readOnly: boolean;
  /** `/dev/` names of a disk's partitions, sorted; empty for partitions. */
  readonly partitions: readonly string[];
  /** Kernel names in `holders/` (device-mapper devices built on it, e.g. active LVs of a PV). */
  readonly holders: readonly string[];
  /**
   * Changes whenever the content may have changed: size, diskseq (a new medium) and the write and discard counters
   * of `stat`. Undefined when those cannot be trusted: no readable `stat`, or I/O accounting off for the disk
   * (`queue/iostats` not "1": the counters stand still). Keys the signature cache (signatures.ts).
   */
  readonly writeStamp?: string;
}

/**
 * Disks open-local reports: SCSI/SATA (sd), virtio (vd), Xen (xvd), UML (ubd) and NVMe namespaces (nvme0n1; not
 * the nvme0c0n1 multipath paths). Loop, ram, zram, dm-, md, sr and friends are not disks a user hands to
 * open-local. Open-Local's default `^(s|v|xv)d[a-z]+$` misses NVMe, which every modern node has.
 */
export const DISK_NAME = /^(?:(?:s|v|xv)d[a-z]+|ubd[a-z]+|nvme\d+n\d+)$/;

const SECTOR = 512;

async function readText(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

async function list(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
}

const isMissing = (err: unknown): boolean =>
  typeof err === 'object' && err !== null && 'code' in err && (err.code === 'ENOENT' || err.code === 'ENOTDIR');

/** sysfs `size` is in 512-byte sectors whatever the device's logical block size. */
export function parseSectors(text: string, where: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`${where}: size "${text}" is not a sector count`);
  const bytes = Number(text) * SECTOR;
  if (!Number.isSafeInteger(bytes)) throw new Error(`${where}: size ${text} sectors is too large`);
  return bytes;
}

/**
 * The write stamp from a `stat` file (Documentation/block/stat.rst: field 5 write I/Os, 7 sectors written, 12
 * discard I/Os, 14 sectors discarded; kernels before 4.18 have no discard fields) and `diskseq` (5.15+).
 */
export function writeStamp(size: number, stat: string | undefined, diskseq: string | undefined): string | undefined {
  const fields = stat?.trim().split(/\s+/) ?? [];
  if (fields.length < 11 || !fields.every((f) => /^\d+$/.test(f))) return undefined;
  return [size, diskseq ?? '-', fields[4], fields[6], fields[11] ?? '-', fields[13] ?? '-'].join(':');
}

/** One device directory; undefined when it vanished while being read (hot-unplug), so one disk cannot fail all. */
async function readDevice(dir: string, kernelName: string, media: MediaType, counted: boolean, parent?: string): Promise<Omit<BlockDevice, 'partitions'> | undefined> {
  const sizeText = await readText(join(dir, 'size'));
  if (sizeText === undefined) return undefined;
  const size = parseSectors(sizeText, join(dir, 'size'));
  // A partition has no diskseq of its own: its disk's is the one that changes with the medium.
  const stamp = counted ? writeStamp(size, await readText(join(dir, 'stat')), await readText(join(parent === undefined ? dir : join(dir, '..'), 'diskseq'))) : undefined;
  return {
    name: `/dev/${kernelName}`,
    kernelName,
    ...(parent === undefined ? {} : { parent }),
    mediaType: media,
    size,
    readOnly: (await readText(join(dir, 'ro'))) === '1',
    holders: (await list(join(dir, 'holders'))).sort(),
    ...(stamp === undefined ? {} : { writeStamp: stamp }),
  };
}

/**
 * Disks and their partitions under `<sysfsRoot>/block`, disks sorted by name, each followed by its partitions.
 * Disks of size 0 (an empty card reader, a detached virtual disk) are left out: there is nothing to store on them.
 */
export async function readBlockDevices(sysfsRoot: string): Promise<BlockDevice[]> {
  const blockDir = join(sysfsRoot, 'block');
  const entries = await readdir(blockDir);
  const out: BlockDevice[] = [];
  for (const kernelName of entries.filter((n) => DISK_NAME.test(n)).sort()) {
    const dir = join(blockDir, kernelName);
    const media: MediaType = (await readText(join(dir, 'queue', 'rotational'))) === '1' ? 'hdd' : 'ssd';
    const counted = (await readText(join(dir, 'queue', 'iostats'))) === '1';
    const disk = await readDevice(dir, kernelName, media, counted);
    if (!disk || disk.size === 0) continue;
    const partitions: BlockDevice[] = [];
    for (const child of (await list(dir)).filter((n) => n.startsWith(kernelName) && n !== kernelName).sort()) {
      if ((await readText(join(dir, child, 'partition'))) === undefined) continue;
      const part = await readDevice(join(dir, child), child, media, counted, disk.name);
      if (part) partitions.push({ ...part, partitions: [] });
    }
    out.push({ ...disk, partitions: partitions.map((p) => p.name) }, ...partitions);
  }
  return out;
}
