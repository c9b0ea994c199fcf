/**
 * Pure parsers for what prepare-vg asks util-linux about one device before touching it:
 * - `lsblk --json --bytes --paths --output NAME,TYPE,RO,MOUNTPOINTS <dev>`: its partitions, whatever is built on it
 *   (device-mapper holders such as active LVs), and every mount of it or of anything under it;
 * - `wipefs --no-act --json <dev>`: every signature libblkid finds (filesystems, LVM2_member, RAID members, swap,
 *   LUKS, dos/gpt partition tables), read from the disk itself, so it works without udev.
 */

export const LSBLK_ARGV: readonly string[] = ['lsblk', '--json', '--bytes', '--paths', '--output', 'NAME,TYPE,RO,MOUNTPOINTS'];
export const WIPEFS_PROBE_ARGV: readonly string[] = ['wipefs', '--no-act', '--json'];

export interface BlockTree {
  readonly name: string;
  /** lsblk TYPE: disk, part, lvm, crypt, raid1, loop, rom, mpath, ... */
  readonly type: string;
  readonly readOnly: boolean;
  /** `/dev/` paths of partitions (type "part" children). */
  readonly partitions: readonly string[];
  /** Everything else built on the device or on its partitions (device-mapper, md), by path. */
  readonly holders: readonly string[];
  /** Mounts of the device or of anything under it, as "device on path". */
  readonly mounts: readonly string[];
}

interface LsblkNode {
  name?: unknown;
  type?: unknown;
  ro?: unknown;
  mountpoints?: unknown;
  mountpoint?: unknown;
  children?: unknown;
}

/** The tree of the first device lsblk printed (the one asked about). */
export function parseLsblk(json: string): BlockTree {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error(`lsblk output is not JSON: ${json.slice(0, 200)}`);
  }
  const root = ((parsed as { blockdevices?: unknown } | null)?.blockdevices as LsblkNode[] | undefined)?.[0];
  if (!root || typeof root.name !== 'string') throw new Error('lsblk printed no device');
  const partitions: string[] = [];
  const holders: string[] = [];
  const mounts: string[] = [];
  const visit = (node: LsblkNode, depth: number) => {
    const name = typeof node.name === 'string' ? node.name : '?';
    // MOUNTPOINTS (util-linux ≥ 2.37) lists every mount; MOUNTPOINT only the first. [null] means none.
    const points = Array.isArray(node.mountpoints) ? (node.mountpoints as unknown[]) : [node.mountpoint];
    for (const p of points) if (typeof p === 'string' && p !== '') mounts.push(`${name} on ${p}`);
    if (depth === 1 && node.type === 'part') partitions.push(name);
    else if (depth >= 1 && node.type !== 'part') holders.push(name);
    for (const child of Array.isArray(node.children) ? (node.children as LsblkNode[]) : []) visit(child, depth + 1);
  };
  visit(root, 0);
  return {
    name: root.name,
    type: typeof root.type === 'string' ? root.type : '',
    readOnly: root.ro === true || root.ro === '1',
    partitions: [...new Set(partitions)].sort(),
    holders: [...new Set(holders)].sort(),
    mounts: [...new Set(mounts)].sort(),
  };
}

export interface Signature {
  /** libblkid's name: ext4, xfs, LVM2_member, linux_raid_member, swap, crypto_LUKS, dos, gpt, PMBR, ... */
  readonly type: string;
  readonly label: string | undefined;
  /** The filesystem UUID (the PV UUID for LVM2_member), when the signature has one. */
  readonly uuid?: string;
  readonly offset: string;
}

export function parseWipefs(json: string): Signature[] {
  // wipefs prints nothing at all for a device without signatures in some versions.
  if (json.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error(`wipefs output is not JSON: ${json.slice(0, 200)}`);
  }
  const list = (parsed as { signatures?: unknown } | null)?.signatures;
  if (!Array.isArray(list)) throw new Error('wipefs output has no "signatures" array');
  return (list as Record<string, unknown>[]).map((s) => ({
    type: typeof s.type === 'string' ? s.type : 'unknown',
    label: typeof s.label === 'string' ? s.label : undefined,
    ...(typeof s.uuid === 'string' && s.uuid !== '' ? { uuid: s.uuid } : {}),
    offset: typeof s.offset === 'string' ? s.offset : '',
  }));
}

/** Filesystem types prepare-vg formats mount points with (the CRD's fsType enum). */
export const FILESYSTEMS: readonly string[] = ['ext2', 'ext3', 'ext4', 'xfs'];
