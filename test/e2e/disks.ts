// The disks of one e2e node, as host files (so they outlive a stopped guest, and the suite can read their bytes
// from outside): /dev/ubdb for VG open-local-pool-0, /dev/ubdc whole for Device volumes, and /dev/ubdd carrying an
// ext4 filesystem with a known file: a disk with data on it that open-local must never touch.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, openSync, closeSync, readSync, writeFileSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import type { UmlDisk } from '../env/uml.js';

export interface NodeDisks {
  readonly vg: string;
  readonly device: string;
  /** The disk with a filesystem and data on it. */
  readonly foreign: string;
  /** In guest order: /dev/ubdb, /dev/ubdc, /dev/ubdd. */
  readonly umlDisks: UmlDisk[];
}

/** The guest names of the three disks. */
export const GUEST = { vg: '/dev/ubdb', device: '/dev/ubdc', foreign: '/dev/ubdd' } as const;

const sparse = (path: string, bytes: number): void => {
  const fd = openSync(path, 'w');
  ftruncateSync(fd, bytes);
  closeSync(fd);
};

export function prepareDisks(dir: string, node: string): NodeDisks {
  const d = join(dir, 'disks', node);
  mkdirSync(join(d, 'foreign-content'), { recursive: true });
  const vg = join(d, 'vg.img');
  const device = join(d, 'device.img');
  const foreign = join(d, 'foreign.img');
  sparse(vg, 2 * 2 ** 30); // not 2 << 30: a 32-bit shift, -2 GiB, which ftruncate made a 0-byte disk
  sparse(device, 1 << 30);
  writeFileSync(join(d, 'foreign-content', 'precious.txt'), `data of another system on ${node}\n`);
  execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'precious', '-d', join(d, 'foreign-content'), foreign, '256M'], { stdio: 'pipe' });
  return { vg, device, foreign, umlDisks: [{ file: vg }, { file: device }, { file: foreign }] };
}

/** sha256 of a disk file's bytes (read from the host: what is on the disk, not what a guest's cache says). */
export function diskDigest(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(1 << 20);
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}
