/**
 * A Device volume's disk must be free when it is handed to a pod: no partitions, nothing built on it (an LVM PV of
 * an active VG, RAID, dm-crypt) and no mount. This catches a kernel name that now points to another disk (the VG's
 * disk, the root disk) before a pod gets it as a raw device, where no filesystem check could (a raw volume holds
 * whatever the pod wrote).
 */
import { LSBLK_ARGV, parseLsblk } from '../../node-agent/prepare-vg/block-tools.js';
import { failedPrecondition } from '../grpc/errors.js';
import type { NodeDeps } from './deps.js';

export function deviceUses(tree: ReturnType<typeof parseLsblk>): string[] {
  return [...tree.partitions.map((p) => `partition ${p}`), ...tree.holders.map((h) => `holder ${h}`), ...tree.mounts.map((m) => `mounted: ${m}`)];
}

export async function checkDeviceFree(deps: NodeDeps, volumeId: string, device: string): Promise<void> {
  const tree = parseLsblk((await deps.exec.run([...LSBLK_ARGV, '--', device], { timeoutMs: 30_000 })).stdout);
  const uses = deviceUses(tree);
  if (uses.length > 0) throw failedPrecondition(`volume ${volumeId}: Device ${device} on node ${deps.nodeName} is in use (${uses.join('; ')}); it is not handed to a pod`);
}
