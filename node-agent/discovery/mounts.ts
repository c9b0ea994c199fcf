/**
 * The mount table as `findmnt --json --list --bytes` prints it. findmnt runs through the exec layer, so in a pod it
 * shows the host's mount namespace (nsenter) and statfs sizes of the host's filesystems.
 */
import { posix } from 'node:path';
import type { Exec } from '../../lib/exec.js';

export interface MountEntry {
  readonly target: string;
  /** The mounted device (`/dev/sdb`), without findmnt's `[/subdir]` suffix of a bind mount. */
  readonly source: string;
  /** True for a bind mount of a sub-directory (findmnt shows `source[/subdir]`). */
  readonly isBind: boolean;
  readonly fsType: string;
  readonly options: readonly string[];
  /** statfs total bytes. */
  readonly size: number;
  /** statfs bytes available to unprivileged users. */
  readonly avail: number;
}

export const FINDMNT_ARGV: readonly string[] = ['findmnt', '--json', '--list', '--bytes', '--output', 'TARGET,SOURCE,FSTYPE,OPTIONS,SIZE,AVAIL'];

/** Sizes are JSON numbers in util-linux ≥ 2.37 and strings before; null for a filesystem statfs cannot read. */
function size(v: unknown): number {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return 0;
}

export function parseFindmnt(json: string): MountEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error(`findmnt output is not JSON: ${json.slice(0, 200)}`);
  }
  const list = (parsed as { filesystems?: unknown } | null)?.filesystems;
  if (!Array.isArray(list)) throw new Error('findmnt output has no "filesystems" array');
  return (list as Record<string, unknown>[]).map((f) => {
    const rawSource = typeof f.source === 'string' ? f.source : '';
    const bracket = /^(.*?)\[(.*)\]$/.exec(rawSource);
    return {
      target: typeof f.target === 'string' ? f.target : '',
      source: bracket ? (bracket[1] ?? '') : rawSource,
      isBind: bracket !== null,
      fsType: typeof f.fstype === 'string' ? f.fstype : '',
      options: typeof f.options === 'string' ? f.options.split(',').filter((o) => o !== '') : [],
      size: size(f.size),
      avail: size(f.avail),
    };
  });
}

/** Removes trailing slashes and dot segments, so "/mnt/open-local/" and "/mnt/open-local" compare equal. */
export const normalizeDir = (path: string): string => {
  const p = posix.normalize(path);
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
};

/**
 * The mount points directly under `root` (Open-Local's --path.mount), sorted by path. When a path is mounted
 * several times the last entry is the one on top, which is what a user of the path sees.
 */
export function mountPointsUnder(root: string, mounts: readonly MountEntry[]): MountEntry[] {
  const dir = normalizeDir(root);
  const byTarget = new Map<string, MountEntry>();
  for (const m of mounts) if (posix.dirname(normalizeDir(m.target)) === dir && normalizeDir(m.target) !== dir) byTarget.set(normalizeDir(m.target), m);
  return [...byTarget.values()].sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
}

export async function readMounts(exec: Exec): Promise<MountEntry[]> {
  return parseFindmnt((await exec.run(FINDMNT_ARGV, { timeoutMs: 30_000 })).stdout);
}
