/**
 * The result `open-local prepare-vg` writes to its termination message (/dev/termination-log) and stdout, and
 * the operator copies into OpenLocalCluster status.nodes[]. The kubelet keeps at most 4096 bytes of a
 * termination message, so the format is compact JSON and `formatResult` trims messages to fit.
 *
 * Two modes write the same format:
 * - default: create/extend every configured VG and mount point; VG states Ready | Created | Extended | Refused |
 *   Failed. A Ready VG with a message is an existing VG without the `open-local` tag, used as is (never written to).
 * - `--remove` (the operator's cleanup policy RemoveVolumeGroups): remove every configured VG that open-local created
 *   and that holds no LV, then wipe the LVM label of each of its PVs; VG states Removed (also when not present) |
 *   Refused (not tagged open-local, or holds LVs) | Failed. Mount points are never touched: `mountPoints` is [].
 * Readers must accept VG states they do not know (version 1 gained Removed without a version bump), and fields they do
 * not know (version 1 gained `physicalVolumes` and `fsUuid`, and `error` for a run that found the node's prepare-vg
 * lock held).
 *
 * Exit codes (both modes): 0 every VG and mount point is ready (or removed); 1 something was refused or failed, or the
 * run was interrupted by SIGTERM/SIGINT (the result says what); 2 bad invocation (flags, config; a bad config is also
 * reported as a result with `error`); 3 the node could not be inspected at all (result has `error`); 4 another
 * prepare-vg held the node's lock for the whole wait, nothing was done (result has `error`).
 */
export const RESULT_VERSION = 1;
export const TERMINATION_MESSAGE_LIMIT = 4096;

export type VgState = 'Ready' | 'Created' | 'Extended' | 'Removed' | 'Refused' | 'Failed';
export type MountPointState = 'Ready' | 'Created' | 'Refused' | 'Failed';

export interface VgResult {
  readonly name: string;
  readonly state: VgState;
  /** Devices that are PVs of the VG after the run; for Removed, the former PVs whose LVM label the run wiped. */
  readonly devices: readonly string[];
  /** VG size in bytes after the run, as a decimal string. */
  readonly size?: string;
  /** Why a device was refused or the VG failed; empty when all is well. */
  readonly message: string;
  /** The PVs of the VG after the run with their identities (records.ts); dropped first when the result is too long. */
  readonly physicalVolumes?: readonly PvIdentity[];
}

export interface PvIdentity {
  readonly device: string;
  readonly uuid: string;
  /** The configured path it was added as, from its record; absent for PVs without one. */
  readonly addedAs?: string;
  readonly wwn?: string;
  readonly serial?: string;
}

export interface MountPointResult {
  readonly path: string;
  readonly device: string;
  readonly state: MountPointState;
  readonly message: string;
  /** The UUID of its filesystem (fs-uuid.ts), when it is mounted or was about to be. */
  readonly fsUuid?: string;
}

export interface PrepareVgResult {
  readonly version: typeof RESULT_VERSION;
  readonly node: string;
  /** initConfigHash of the config this run applied. */
  readonly configHash: string;
  readonly volumeGroups: readonly VgResult[];
  readonly mountPoints: readonly MountPointResult[];
  /** Set when the run could not inspect the node at all. */
  readonly error?: string;
}

export const EXIT = { ok: 0, refusedOrFailed: 1, usage: 2, inspectFailed: 3, busy: 4 } as const;

/** True when every VG and mount point ended Ready, Created, Extended or Removed (nothing Refused or Failed). */
export function resultSucceeded(r: PrepareVgResult): boolean {
  return (
    r.error === undefined &&
    r.volumeGroups.every((v) => v.state !== 'Refused' && v.state !== 'Failed') &&
    r.mountPoints.every((m) => m.state !== 'Refused' && m.state !== 'Failed')
  );
}

/** JSON within the termination-message limit: messages are shortened (longest first) until it fits. */
export function formatResult(r: PrepareVgResult): string {
  let current: PrepareVgResult = r;
  for (let limit = 1024; limit >= 16; limit = Math.floor(limit / 2)) {
    const text = JSON.stringify(current);
    if (Buffer.byteLength(text) <= TERMINATION_MESSAGE_LIMIT) return text;
    const cut = (m: string) => (m.length > limit ? `${m.slice(0, limit - 1)}…` : m);
    current = {
      ...current,
      ...(current.error === undefined ? {} : { error: cut(current.error) }),
      volumeGroups: current.volumeGroups.map((v) => ({ ...v, message: cut(v.message) })),
      mountPoints: current.mountPoints.map((m) => ({ ...m, message: cut(m.message) })),
    };
  }
  const bare: PrepareVgResult = { ...current, volumeGroups: current.volumeGroups.map((v) => ({ name: v.name, state: v.state, devices: v.devices, ...(v.size === undefined ? {} : { size: v.size }), message: v.message })) };
  if (Buffer.byteLength(JSON.stringify(bare)) <= TERMINATION_MESSAGE_LIMIT) return JSON.stringify(bare);
  return JSON.stringify({ ...bare, volumeGroups: bare.volumeGroups.map((v) => ({ ...v, devices: [] })) });
}

/** Parses a termination message; anything that is not a version-1 result gives a reason string instead. */
export function parseResult(text: string): PrepareVgResult | { readonly invalid: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { invalid: `not JSON: ${text.slice(0, 200)}` };
  }
  if (typeof value !== 'object' || value === null) return { invalid: 'not an object' };
  const v = value as Partial<PrepareVgResult>;
  if (v.version !== RESULT_VERSION) return { invalid: `unsupported result version ${String(v.version)}` };
  if (typeof v.node !== 'string' || typeof v.configHash !== 'string' || !Array.isArray(v.volumeGroups) || !Array.isArray(v.mountPoints)) {
    return { invalid: 'missing node, configHash, volumeGroups or mountPoints' };
  }
  return v as PrepareVgResult;
}
