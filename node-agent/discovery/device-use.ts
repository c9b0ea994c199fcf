/**
 * Whether a device is in use, so that the agent never offers it as a free Device: the scheduler hands a listed
 * device whole to a pod, and a Device volume formats it. In two steps, so the agent stays cheap:
 * 1. `cheapUse`: what sysfs, the LVM report, the mount table, /proc/swaps and the spec already say (partitions,
 *    holders, read-only, a PV, mounted, active swap, named in resourceToBeInited, itself or its disk);
 * 2. `deviceUse`: for a device that passed step 1, the signature probe (`wipefs --no-act`): any filesystem, LVM,
 *    RAID, swap, LUKS or partition-table signature. No probe, or a failed one, counts as in use: when in doubt the
 *    device is not offered.
 * Each returns why the device is in use, or undefined when it is free.
 */
import type { Signature } from '../prepare-vg/block-tools.js';
import type { BlockDevice } from './sysfs.js';

/** What the node already told us about its devices, by canonical `/dev/` path. */
export interface UseFacts {
  readonly pvs: ReadonlySet<string>;
  /** Sources of every mount (a bind mount of a sub-directory counts as its device). */
  readonly mounted: ReadonlySet<string>;
  /** Devices in /proc/swaps. */
  readonly swaps: ReadonlySet<string>;
  /** Devices resourceToBeInited names: both as written and resolved (a by-id link → /dev/sdb). */
  readonly configured: ReadonlySet<string>;
}

/** A signature probe's outcome; `error` when wipefs failed, timed out or could not run. */
export type SignatureProbe = { readonly signatures: readonly Signature[] } | { readonly error: string };

export function cheapUse(d: BlockDevice, facts: UseFacts): string | undefined {
  if (d.partitions.length > 0) return `has partitions (${d.partitions.join(', ')})`;
  if (d.holders.length > 0) return `holds ${d.holders.join(', ')}`;
  if (d.readOnly) return 'is read-only';
  if (facts.pvs.has(d.name)) return 'is an LVM physical volume';
  if (facts.mounted.has(d.name)) return 'is mounted';
  if (facts.swaps.has(d.name)) return 'is active swap';
  if (facts.configured.has(d.name)) return 'is named in resourceToBeInited';
  if (d.parent !== undefined && facts.configured.has(d.parent)) return `is a partition of ${d.parent}, named in resourceToBeInited`;
  return undefined;
}

export function deviceUse(d: BlockDevice, facts: UseFacts, probe: SignatureProbe | undefined): string | undefined {
  const cheap = cheapUse(d, facts);
  if (cheap !== undefined) return cheap;
  if (probe === undefined) return 'was not probed for signatures';
  if ('error' in probe) return `could not be probed for signatures: ${probe.error}`;
  const types = probe.signatures.map((s) => s.type);
  return types.length === 0 ? undefined : `has signatures: ${[...new Set(types)].join(', ')}`;
}

/** The facts from one discovery pass (everything but the probes, which depend on them). */
export function useFacts(d: {
  readonly lvm: { readonly pvs: readonly { readonly name: string }[] };
  readonly mounts: readonly { readonly source: string }[];
  readonly swaps: readonly string[];
  readonly specDevices: ReadonlyMap<string, string | undefined>;
}): UseFacts {
  const configured = new Set<string>();
  for (const [named, resolved] of d.specDevices) {
    configured.add(named);
    if (resolved !== undefined) configured.add(resolved);
  }
  return { pvs: new Set(d.lvm.pvs.map((pv) => pv.name)), mounted: new Set(d.mounts.map((m) => m.source)), swaps: new Set(d.swaps), configured };
}
