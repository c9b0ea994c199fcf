/**
 * Reads everything prepare-vg's plan needs from the node, touching nothing: the LVM report, the mount table, and
 * for each device the config names its canonical path, its lsblk tree and its signatures. `--remove` needs less
 * (inspectForRemoval): the LVM report with the PVs' canonical paths, and the canonical paths of the listed devices.
 */
import type { ResourceToBeInited } from '../../api/generated/types.js';
import type { Exec } from '../../lib/exec.js';
import { normalizeDir, readMounts } from '../discovery/mounts.js';
import { resolveDevicePath } from '../discovery/resolve.js';
import type { LvmReader } from '../lvm/commands.js';
import type { PvReport, VgReport } from '../lvm/report.js';
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
}

const PROBE_TIMEOUT_MS = 30_000;

async function inspectDevice(exec: Exec, requested: string, pvOf: (path: string) => string | undefined): Promise<DeviceFacts> {
  const path = await resolveDevicePath(exec, requested);
  if (path === undefined) return { requested, path, tree: undefined, signatures: [], pvOf: undefined };
  try {
    const tree = parseLsblk((await exec.run([...LSBLK_ARGV, path], { timeoutMs: PROBE_TIMEOUT_MS })).stdout);
    const signatures = parseWipefs((await exec.run([...WIPEFS_PROBE_ARGV, path], { timeoutMs: PROBE_TIMEOUT_MS })).stdout);
    return { requested, path, tree, signatures, pvOf: pvOf(path) };
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
export async function inspectNode(exec: Exec, lvm: LvmReader, config: ResourceToBeInited): Promise<NodeFacts> {
  const report = await lvm.report();
  const mounts = await readMounts(exec);
  const pvs = await resolvedPvs(exec, report.pvs);
  const pvOf = (path: string) => pvs.find((pv) => pv.path === path)?.vgName;
  const requested = [...(config.vgs ?? []).flatMap((vg) => vg.devices), ...(config.mountpoints ?? []).map((m) => m.device)];
  const devices = new Map<string, DeviceFacts>();
  for (const r of new Set(requested)) devices.set(r, await inspectDevice(exec, r, pvOf));
  const mountedAt = new Map<string, MountedAt>();
  for (const mp of config.mountpoints ?? []) {
    const path = normalizeDir(mp.path);
    // The last entry for a path is the mount on top, the one a user of the path sees.
    const top = mounts.filter((m) => normalizeDir(m.target) === path).at(-1);
    if (!top) continue;
    const source = top.source.startsWith('/dev/') ? ((await resolveDevicePath(exec, top.source)) ?? top.source) : top.source;
    mountedAt.set(path, { source, fsType: top.fsType });
  }
  return { devices, vgs: report.vgs, pvs, mountedAt };
}

/** For `--remove`; throws when LVM cannot be read (exit 3). Touches nothing. */
export async function inspectForRemoval(exec: Exec, lvm: LvmReader, config: ResourceToBeInited): Promise<RemovalFacts> {
  const report = await lvm.report();
  const pvs = await resolvedPvs(exec, report.pvs);
  const devices = new Map<string, string | undefined>();
  for (const r of new Set((config.vgs ?? []).flatMap((vg) => vg.devices))) devices.set(r, await resolveDevicePath(exec, r));
  return { vgs: report.vgs, pvs, lvs: report.lvs, devices };
}
