/**
 * The identity of what is at a Device or MountPoint volume's path now, read on the node: a disk by its WWN, serial or
 * /dev/disk/by-id name (node-agent/prepare-vg/identity.ts), a mount point by the UUID of the filesystem mounted there.
 * The reconciler records it when it hands the volume out and wipes only what still has it.
 */
import type { Exec } from '../../../lib/exec.js';
import { resolveDevicePath } from '../../../node-agent/discovery/resolve.js';
import { BY_ID_ARGV, parseByIdListing, type DiskIdentity } from '../../../node-agent/prepare-vg/identity.js';
import { readIdentity } from '../../../node-agent/prepare-vg/inspect.js';
import type { DeviceFacts } from './plan.js';

const PROBE_TIMEOUT_MS = 30_000;

/** The one string a disk is recorded by: the most stable name it has (readIdentity keeps only names that mean one disk). */
export function diskIdentityString(id: DiskIdentity): string | undefined {
  if (id.wwn !== undefined) return `WWN ${id.wwn}`;
  if (id.serial !== undefined) return `serial ${id.serial}`;
  const byId = id.byId[0];
  return byId === undefined ? undefined : `by-id ${byId}`;
}

export async function readDiskFacts(exec: Exec, device: string, sysfs = '/sys'): Promise<DeviceFacts> {
  const path = await resolveDevicePath(exec, device);
  if (path === undefined) return { identity: undefined, problem: 'no such device' };
  const block = await exec.run(['test', '-b', path], { timeoutMs: PROBE_TIMEOUT_MS, okCodes: [0, 1] });
  if (block.code !== 0) return { identity: undefined, problem: `${path} is not a block device` };
  // No by-id directory (no udev) is a node without by-id names, not an error.
  const listing = await exec.run([...BY_ID_ARGV], { timeoutMs: PROBE_TIMEOUT_MS, okCodes: [0, 1] });
  const identity = diskIdentityString(await readIdentity(sysfs, path, parseByIdListing(listing.stdout)));
  return identity === undefined ? { identity, problem: `${path} has no WWN, serial or by-id name to recognise it by` } : { identity };
}

export async function readMountPointFacts(exec: Exec, directory: string): Promise<DeviceFacts> {
  const mount = await exec.run(['findmnt', '--noheadings', '--output', 'SOURCE', '--mountpoint', directory], { timeoutMs: PROBE_TIMEOUT_MS, okCodes: [0, 1] });
  const source = mount.stdout.trim().split('\n')[0] ?? '';
  if (mount.code !== 0 || source === '') return { identity: undefined, problem: 'not a mount point' };
  // -p probes the device itself: no blkid cache or udev database that could be stale.
  const probe = await exec.run(['blkid', '-p', '-o', 'value', '-s', 'UUID', '--', source], { timeoutMs: PROBE_TIMEOUT_MS, okCodes: [0, 2] });
  const uuid = probe.stdout.trim();
  return uuid === '' ? { identity: undefined, problem: `the filesystem on ${source} has no UUID` } : { identity: `fs UUID ${uuid}` };
}
