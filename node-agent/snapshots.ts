/**
 * Auto-extension of read-only snapshot LVs, as Open-Local's agent does it: a snapshot whose copy-on-write space is
 * fuller than its VolumeSnapshotClass's `snapshot-expansion-threshold` grows by `snapshot-expansion-size`, so it does
 * not overflow (an overflowed LVM snapshot is invalid for good).
 *
 * Only LVs that are provably open-local snapshots are touched: named `snap-...`, with an origin, and with a
 * VolumeSnapshotContent of our driver whose snapshotHandle is the LV name. Another LV with an origin (someone's own
 * LVM snapshot) is never extended. Unlike Open-Local, one failing lvextend does not stop the others.
 */
import { CSI_DRIVER_NAME } from '../api/group.js';
import type { KubeApi, KubeObject } from '../lib/kube-api.js';
import { KubeApiError } from '../lib/kube-api.js';
import type { Logger } from '../lib/log.js';
import { parseByteQuantity, QuantityError } from '../lib/quantity.js';
import type { LvExtender } from './lvm/commands.js';
import { parseLvAttr, type LvReport } from './lvm/report.js';
import { SNAPSHOT_LV_PREFIX } from './status.js';

export const THRESHOLD_PARAM = 'csi.aliyun.com/snapshot-expansion-threshold';
export const EXPANSION_SIZE_PARAM = 'csi.aliyun.com/snapshot-expansion-size';
/** Open-Local's VolumeSnapshotClass defaults, used when a class leaves a parameter out. */
export const DEFAULT_THRESHOLD = '50%';
export const DEFAULT_EXPANSION_SIZE = '1Gi';

export interface SnapshotPolicy {
  /** Fraction of the COW space (0..1] above which the snapshot grows. */
  readonly threshold: number;
  readonly expansionBytes: number;
}

/** The policy from VolumeSnapshotClass parameters, or why it cannot be read. */
export function parseSnapshotPolicy(parameters: Readonly<Record<string, string>> | undefined): SnapshotPolicy | string {
  const thresholdText = parameters?.[THRESHOLD_PARAM] ?? DEFAULT_THRESHOLD;
  const m = /^(\d+(?:\.\d+)?)%$/.exec(thresholdText.trim());
  const percent = Number(m?.[1]);
  if (!m || percent <= 0 || percent > 100) return `${THRESHOLD_PARAM} "${thresholdText}" is not a percentage in (0%, 100%]`;
  const sizeText = parameters?.[EXPANSION_SIZE_PARAM] ?? DEFAULT_EXPANSION_SIZE;
  try {
    const expansionBytes = parseByteQuantity(sizeText.trim());
    if (expansionBytes === 0) return `${EXPANSION_SIZE_PARAM} is 0`;
    return { threshold: percent / 100, expansionBytes };
  } catch (err) {
    if (err instanceof QuantityError) return `${EXPANSION_SIZE_PARAM}: ${err.message}`;
    throw err;
  }
}

/** Snapshot LVs that may be open-local's: the only ones whose class is looked up at all. */
export const candidateSnapshots = (lvs: readonly LvReport[]): LvReport[] => lvs.filter((lv) => lv.origin !== '' && lv.name.startsWith(SNAPSHOT_LV_PREFIX));

export interface Extension {
  readonly vg: string;
  readonly lv: string;
  readonly bytes: number;
  readonly usedPercent: number;
}

export interface ExtensionPlan {
  readonly extend: readonly Extension[];
  readonly skipped: readonly { readonly lv: string; readonly reason: string }[];
}

/**
 * Which snapshots to grow. `policies` maps LV name → its class's policy, or a reason; an LV missing from it has no
 * VolumeSnapshotContent of ours and is left alone. Grows when used/100 > threshold, as Open-Local.
 */
export function planSnapshotExtensions(lvs: readonly LvReport[], policies: ReadonlyMap<string, SnapshotPolicy | string>): ExtensionPlan {
  const extend: Extension[] = [];
  const skipped: { lv: string; reason: string }[] = [];
  for (const lv of candidateSnapshots(lvs)) {
    const id = `${lv.vgName}/${lv.name}`;
    const policy = policies.get(lv.name);
    if (policy === undefined) skipped.push({ lv: id, reason: `no VolumeSnapshotContent of ${CSI_DRIVER_NAME} has snapshotHandle ${lv.name}` });
    else if (typeof policy === 'string') skipped.push({ lv: id, reason: policy });
    else if (parseLvAttr(lv.attr).invalidSnapshot) skipped.push({ lv: id, reason: 'the snapshot already overflowed and is invalid; growing it cannot help' });
    else if (lv.snapPercent !== undefined && lv.snapPercent / 100 > policy.threshold) {
      extend.push({ vg: lv.vgName, lv: lv.name, bytes: policy.expansionBytes, usedPercent: lv.snapPercent });
    }
  }
  return { extend, skipped };
}

/** Reads, per snapshot LV name, the policy of its VolumeSnapshotClass. */
export interface SnapshotPolicySource {
  policies(lvNames: readonly string[]): Promise<ReadonlyMap<string, SnapshotPolicy | string>>;
}

interface SnapshotContent extends KubeObject {
  spec?: { driver?: string; volumeSnapshotClassName?: string };
  status?: { snapshotHandle?: string };
}
interface SnapshotClass extends KubeObject {
  parameters?: Record<string, string>;
}

const SNAPSHOT_API = 'snapshot.storage.k8s.io/v1';

/**
 * Looks the classes up through the API: one LIST of VolumeSnapshotContents and one GET per class, and only on passes
 * that found snapshot LVs, so a node without snapshots costs nothing. Clusters without the snapshot CRDs answer an
 * empty map (nothing is extended; the agent logs it once).
 */
export class ApiSnapshotPolicies implements SnapshotPolicySource {
  private readonly api: KubeApi;
  private readonly log: Logger;
  private warnedUnserved = false;

  constructor(api: KubeApi, log: Logger) {
    this.api = api;
    this.log = log;
  }

  async policies(lvNames: readonly string[]): Promise<ReadonlyMap<string, SnapshotPolicy | string>> {
    const out = new Map<string, SnapshotPolicy | string>();
    let contents: SnapshotContent[];
    try {
      contents = (await this.api.list<SnapshotContent>(SNAPSHOT_API, 'VolumeSnapshotContent')).items;
    } catch (err) {
      if (!isUnserved(err)) throw err;
      if (!this.warnedUnserved) this.log.warn({ err }, 'snapshot.storage.k8s.io/v1 is not served: snapshot LVs are not auto-extended');
      this.warnedUnserved = true;
      return out;
    }
    const classes = new Map<string, Promise<SnapshotClass | undefined>>();
    for (const name of lvNames) {
      const content = contents.find((c) => c.spec?.driver === CSI_DRIVER_NAME && c.status?.snapshotHandle === name);
      if (!content) continue;
      const className = content.spec?.volumeSnapshotClassName;
      if (!className) {
        out.set(name, `VolumeSnapshotContent ${content.metadata?.name ?? ''} names no VolumeSnapshotClass`);
        continue;
      }
      let cls = classes.get(className);
      if (!cls) classes.set(className, (cls = this.api.get<SnapshotClass>(SNAPSHOT_API, 'VolumeSnapshotClass', className)));
      const found = await cls;
      out.set(name, found ? parseSnapshotPolicy(found.parameters) : `VolumeSnapshotClass ${className} does not exist`);
    }
    return out;
  }
}

const isUnserved = (err: unknown): boolean =>
  (err instanceof KubeApiError && err.status === 404) || (err instanceof Error && err.message.includes('does not serve'));

export interface SnapshotExtenderOptions {
  readonly policies: SnapshotPolicySource;
  readonly lvm: LvExtender;
  readonly log: Logger;
  /** Called once per lvextend with its outcome (metrics). */
  readonly onExtend?: (ok: boolean) => void;
}

/** Runs one auto-extension pass over the LVs of a discovery; returns how many snapshots grew. */
export async function extendSnapshots(lvs: readonly LvReport[], options: SnapshotExtenderOptions): Promise<number> {
  const candidates = candidateSnapshots(lvs);
  if (candidates.length === 0) return 0;
  const plan = planSnapshotExtensions(lvs, await options.policies.policies(candidates.map((lv) => lv.name)));
  for (const s of plan.skipped) options.log.debug(s, 'snapshot not auto-extended');
  let grown = 0;
  for (const e of plan.extend) {
    try {
      await options.lvm.extendBy(e.vg, e.lv, e.bytes);
      grown++;
      options.onExtend?.(true);
      options.log.info({ vg: e.vg, lv: e.lv, usedPercent: e.usedPercent, bytes: String(e.bytes) }, 'extended snapshot LV');
    } catch (err) {
      options.onExtend?.(false);
      options.log.error({ err, vg: e.vg, lv: e.lv }, 'could not extend snapshot LV');
    }
  }
  return grown;
}
