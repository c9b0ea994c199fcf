/**
 * Reads everything prepare-vg's plan needs from the node, touching nothing: the LVM report, the mount table, and
 * for each device the config names its canonical path, its lsblk tree, its signatures and its identity (WWN/serial
 * from sysfs, /dev/disk/by-id links); for each mount point the devices that hold its filesystem UUID (fs-uuid.ts). `--remove` needs less
 * (inspectForRemoval): the LVM report with the PVs' canonical paths, and the canonical paths of the listed devices.
 */
import type { ResourceToBeInited } from '../../api/generated/types.js';
import type { Exec } from '../../lib/exec.js';
import { normalizeDir, readMounts } from '../discovery/mounts.js';
import { resolveDevicePath } from '../discovery/resolve.js';
import type { LvmReader } from '../lvm/commands.js';
import type { PvReport, VgReport } from '../lvm/report.js';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { mountPointFsUuid } from './fs-uuid.js';
import { readHostRecords } from './host-records-file.js';
import type { HostRecords } from './host-records.js';
import { BY_ID_ARGV, identityFromSysfs, parseByIdListing, SERIAL_FILES, WWN_FILES, type DiskIdentity } from './identity.js';
import { LSBLK_ARGV, parseLsblk, parseWipefs, WIPEFS_PROBE_ARGV, type BlockTree, type Signature } from './block-tools.js';
import type { RemovalFacts } from './plan-remove.js';

export interface DeviceFacts {
  /** The path as the config wrote it. */
  readonly requested: string;
  /** Canonical `/dev/` path (symlinks such as /dev/disk/by-id resolved); undefined when nothing is there. */
  readonly path: string | undefined;
  readonly tree: BlockTree | undefined;
  readonly signatures: readonly Signature[];
  /** The VG it is a PV of, "" for a PV in no VG, undefined when it is no PV. */
  readonly pvOf: string | undefined;
  /** WWN, serial and by-id names; undefined when nothing is there. */
  readonly identity?: DiskIdentity;
  /** Set when lsblk or wipefs failed on it: such a device is refused. */
  readonly inspectError?: string;
}

export interface MountedAt {
  /** Canonical source device. */
  readonly source: string;
  readonly fsType: string;
}

export interface NodeFacts {
  /** By requested path. */
  readonly devices: ReadonlyMap<string, DeviceFacts>;
  readonly vgs: readonly VgReport[];
  /** PVs with their canonical paths. */
  readonly pvs: readonly (PvReport & { readonly path: string })[];
  /** What is mounted on each mount point path of the config (normalised path → mount). */
  readonly mountedAt: ReadonlyMap<string, MountedAt>;
  /** Per mount point path (normalised): its filesystem UUID and the canonical devices that hold it now. */
  readonly mountFs: ReadonlyMap<string, { readonly uuid: string; readonly on: readonly string[] }>;
  /** What earlier runs put on each configured device path (host-records.ts). */
  readonly hostRecords: HostRecords;
}

export interface InspectOptions {
  /** Where the host's /sys is (the Job mounts it at /host/sys). */
  readonly sysfs: string;
  /** The host directory of prepare-vg's record file. */
  readonly stateDir: string;
}

const PROBE_TIMEOUT_MS = 30_000;

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * WWN and serial from sysfs; a partition (it has a `partition` file) reads its disk's and adds its number. Paths are
 * concatenated, not joined: `class/block/sdb1` is a symlink into the device tree, and its `..` must be resolved by the
 * kernel (the disk's directory), not lexically (which would give `class/block`).
 */
export async function readIdentity(sysfs: string, path: string, byId: ReadonlyMap<string, readonly string[]>): Promise<DiskIdentity> {
  const kernel = basename(path);
  const dir = `${sysfs}/class/block/${kernel}`;
  const partition = (await readOptional(`${dir}/partition`))?.trim();
  const base = partition === undefined ? dir : `${dir}/..`;
  const files = new Map<string, string | undefined>();
  for (const f of [...WWN_FILES, ...SERIAL_FILES]) files.set(f, await readOptional(`${base}/${f}`));
  return identityFromSysfs(files, byId.get(kernel) ?? [], partition);
}

async function inspectDevice(exec: Exec, requested: string, pvOf: (path: string) => string | undefined, identity: (path: string) => Promise<DiskIdentity>): Promise<DeviceFacts> {
  const path = await resolveDevicePath(exec, requested);
  if (path === undefined) return { requested, path, tree: undefined, signatures: [], pvOf: undefined };
  try {
    const tree = parseLsblk((await exec.run([...LSBLK_ARGV, path], { timeoutMs: PROBE_TIMEOUT_MS })).stdout);
    const signatures = parseWipefs((await exec.run([...WIPEFS_PROBE_ARGV, path], { timeoutMs: PROBE_TIMEOUT_MS })).stdout);
    return { requested, path, tree, signatures, pvOf: pvOf(path), identity: await identity(path) };
  } catch (err) {
    return { requested, path, tree: undefined, signatures: [], pvOf: pvOf(path), inspectError: err instanceof Error ? err.message : String(err) };
  }
}

async function resolvedPvs(exec: Exec, pvs: readonly PvReport[]): Promise<(PvReport & { readonly path: string })[]> {
  const out: (PvReport & { readonly path: string })[] = [];
  for (const pv of pvs) out.push({ ...pv, path: (await resolveDevicePath(exec, pv.name)) ?? pv.name });
  return out;
}

/** Throws when the node cannot be inspected at all (LVM or findmnt do not run): prepare-vg then exits 3. */
export async function inspectNode(exec: Exec, lvm: LvmReader, config: ResourceToBeInited, options: InspectOptions): Promise<NodeFacts> {
  const report = await lvm.report();
  const mounts = await readMounts(exec);
  const pvs = await resolvedPvs(exec, report.pvs);
  const pvOf = (path: string) => pvs.find((pv) => pv.path === path)?.vgName;
  // No /dev/disk/by-id (no udev, as in the test guests) is an answer: find exits 1 and the disks have no by-id names.
  const byId = parseByIdListing((await exec.run(BY_ID_ARGV, { timeoutMs: PROBE_TIMEOUT_MS, okCodes: [0, 1] })).stdout);
  const identity = (path: string) => readIdentity(options.sysfs, path, byId);
  const requested = [...(config.vgs ?? []).flatMap((vg) => vg.devices), ...(config.mountpoints ?? []).map((m) => m.device)];
  const devices = new Map<string, DeviceFacts>();
  for (const r of new Set(requested)) devices.set(r, await inspectDevice(exec, r, pvOf, identity));
  const mountedAt = new Map<string, MountedAt>();
  const mountFs = new Map<string, { uuid: string; on: string[] }>();
  for (const mp of config.mountpoints ?? []) {
    const path = normalizeDir(mp.path);
    const uuid = mountPointFsUuid(path);
    // Every block device is probed for the UUID (exit 2: none has it). Not `blkid -U`: it answers from blkid's cache,
    // which it trusts for 2 s even when the name now points to another disk (a stale answer here hides where the
    // mount point's filesystem went). `-c /dev/null -t` reads no cache and probes each device.
    const found = await exec.run(['blkid', '-c', '/dev/null', '-o', 'device', '-t', `UUID=${uuid}`], { timeoutMs: PROBE_TIMEOUT_MS, okCodes: [0, 2] });
    const on: string[] = [];
    for (const d of found.stdout.split('\n').filter((l) => l.trim() !== '')) on.push((await resolveDevicePath(exec, d.trim())) ?? d.trim());
    mountFs.set(path, { uuid, on });
    // The last entry for a path is the mount on top, the one a user of the path sees.
    const top = mounts.filter((m) => normalizeDir(m.target) === path).at(-1);
    if (!top) continue;
    const source = top.source.startsWith('/dev/') ? ((await resolveDevicePath(exec, top.source)) ?? top.source) : top.source;
    mountedAt.set(path, { source, fsType: top.fsType });
  }
  return { devices, vgs: report.vgs, pvs, mountedAt, mountFs, hostRecords: await readHostRecords(exec, options.stateDir) };
}

/** For `--remove`; throws when LVM cannot be read (exit 3). Touches nothing. */
export async function inspectForRemoval(exec: Exec, lvm: LvmReader, config: ResourceToBeInited): Promise<RemovalFacts> {
  const report = await lvm.report();
  const pvs = await resolvedPvs(exec, report.pvs);
  const devices = new Map<string, string | undefined>();
  for (const r of new Set((config.vgs ?? []).flatMap((vg) => vg.devices))) devices.set(r, await resolveDevicePath(exec, r));
  return { vgs: report.vgs, pvs, lvs: report.lvs, devices };
}
