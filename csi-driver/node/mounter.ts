/**
 * Mounts through lib/exec.ts (argv, never a shell), and the questions the node service asks about them: is this
 * path a mount point, of which device, read-only or not. "Same device" is answered with stat numbers (st_dev of a
 * mounted directory, st_rdev of a device node or of a file it is bound onto), not with findmnt's source names,
 * which differ between /dev/vg/lv, /dev/mapper/vg-lv and dm-N.
 */
import { stat } from 'node:fs/promises';
import type { Exec } from '../../lib/exec.js';

const TIMEOUT_MS = 120_000;

export function mountArgv(source: string, target: string, fsType: string, options: readonly string[]): string[] {
  return ['mount', '-t', fsType, '-o', options.join(','), '--', source, target];
}

/** util-linux applies "ro" to a bind mount with a second remount itself, so one command makes a read-only bind. */
export function bindArgv(source: string, target: string, readOnly: boolean, flags: readonly string[]): string[] {
  return ['mount', '-o', ['bind', readOnly ? 'ro' : 'rw', ...flags].join(','), '--', source, target];
}

export const umountArgv = (target: string): string[] => ['umount', '--', target];

export interface MountInfo {
  readonly target: string;
  readonly source: string;
  readonly fsType: string;
  readonly options: readonly string[];
}

/** The top mount at exactly `target` from `findmnt --json --mountpoint`, undefined when `target` is no mount point. */
export function parseFindmntMountpoint(json: string): MountInfo | undefined {
  if (json.trim() === '') return undefined;
  const list = (JSON.parse(json) as { filesystems?: Record<string, unknown>[] }).filesystems ?? [];
  const top = list.at(-1);
  if (!top) return undefined;
  const str = (k: string) => (typeof top[k] === 'string' ? top[k] : '');
  return { target: str('target'), source: str('source'), fsType: str('fstype'), options: str('options').split(',') };
}

export class Mounter {
  private readonly exec: Exec;

  constructor(exec: Exec) {
    this.exec = exec;
  }

  async mountFs(source: string, target: string, fsType: string, options: readonly string[]): Promise<void> {
    await this.exec.run(mountArgv(source, target, fsType, options), { timeoutMs: TIMEOUT_MS });
  }

  async bind(source: string, target: string, readOnly: boolean, flags: readonly string[]): Promise<void> {
    await this.exec.run(bindArgv(source, target, readOnly, flags), { timeoutMs: TIMEOUT_MS });
  }

  async unmount(target: string): Promise<void> {
    await this.exec.run(umountArgv(target), { timeoutMs: TIMEOUT_MS });
  }

  /** findmnt exits 1 when nothing is mounted there. */
  async mountAt(target: string): Promise<MountInfo | undefined> {
    const { stdout, code } = await this.exec.run(['findmnt', '--json', '--list', '--output', 'TARGET,SOURCE,FSTYPE,OPTIONS', '--mountpoint', target], { timeoutMs: 30_000, okCodes: [0, 1] });
    return code === 1 ? undefined : parseFindmntMountpoint(stdout);
  }

  /** Unmounts every layer at `target` (a mount stacked twice by a crash between mount and state write included). */
  async unmountAll(target: string): Promise<void> {
    while (await this.mountAt(target)) await this.unmount(target);
  }
}

/** st_dev of a directory: the filesystem mounted there. */
export async function fsDev(path: string): Promise<bigint> {
  return (await stat(path, { bigint: true })).dev;
}

/** st_rdev of a device node (or of a file a device node is bound onto); undefined if it is missing or not a block device. */
export async function blockRdev(path: string): Promise<bigint | undefined> {
  try {
    const s = await stat(path, { bigint: true });
    return s.isBlockDevice() ? s.rdev : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
