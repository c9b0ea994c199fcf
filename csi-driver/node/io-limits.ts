/**
 * Applies a volume's IO limits to the pod's cgroup: cgroup v2 `io.max` when the root is a cgroup2 mount
 * (`cgroup.controllers` exists), v1 `blkio.throttle.*` under `<root>/blkio` otherwise. The pod's directory is probed
 * among the systemd and cgroupfs layouts (cgroup-paths.ts).
 */
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { blkioWrites, ioMaxLine, podCgroupCandidates, type DeviceNumber } from './cgroup-paths.js';
import type { IoLimits } from './volume-source.js';

const exists = (p: string) => access(p).then(() => true, () => false);

/** The files written; empty when the pod's cgroup was not found (the caller reports it). */
export async function applyIoLimits(cgroupRoot: string, podUid: string, dev: DeviceNumber, limits: IoLimits): Promise<string[]> {
  const v2 = await exists(join(cgroupRoot, 'cgroup.controllers'));
  const base = v2 ? cgroupRoot : join(cgroupRoot, 'blkio');
  for (const candidate of podCgroupCandidates(podUid)) {
    const dir = join(base, candidate);
    if (!(await exists(dir))) continue;
    if (v2) {
      const file = join(dir, 'io.max');
      await writeFile(file, `${ioMaxLine(dev, limits)}\n`);
      return [file];
    }
    const written: string[] = [];
    for (const w of blkioWrites(dev, limits)) {
      const file = join(dir, w.file);
      await writeFile(file, `${w.line}\n`);
      written.push(file);
    }
    return written;
  }
  return [];
}
