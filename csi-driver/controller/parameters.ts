/**
 * CreateVolume parameters: Open-Local's StorageClass keys plus the PVC/PV names external-provisioner adds with
 * --extra-create-metadata. Every key is checked before any lookup; an unknown key is refused (a typo such as
 * `vgname` would otherwise silently pick another VG).
 */
import { invalidArgument } from '../grpc/errors.js';
import type { StringMap } from '../grpc/messages.js';
import { PARAM, PROVISIONER_KEY } from '../volume-context.js';
import { VOLUME_KINDS, type VolumeKind } from '../../extender/allocator/types.js';
import { parseByteQuantity, QuantityError } from '../../lib/quantity.js';

export interface VolumeParameters {
  readonly kind: VolumeKind;
  readonly vgName?: string;
  readonly mediaType?: string;
  readonly lvmType: 'linear' | 'striping';
  /** The PVC this volume is for (with --extra-create-metadata). */
  readonly pvc?: { readonly namespace: string; readonly name: string };
  /** Every parameter as given: they all go into the volume context, as Open-Local does. */
  readonly all: StringMap;
}

const KNOWN = new Set<string>([PARAM.volumeType, PARAM.vgName, PARAM.mediaType, PARAM.lvmType, PARAM.iops, PARAM.bps, PARAM.spdk, PARAM.direct, PROVISIONER_KEY.pvcName, PROVISIONER_KEY.pvcNamespace, PROVISIONER_KEY.pvName]);
/** LVM's own rule for VG names (and the LocalVolume schema's). */
const VG_NAME = /^[A-Za-z0-9_+.][A-Za-z0-9_+.-]{0,127}$/;
const MEDIA_TYPES = ['ssd', 'hdd'];

/** The parameters, or INVALID_ARGUMENT listing every problem. */
export function parseVolumeParameters(params: StringMap): VolumeParameters {
  const problems: string[] = [];
  const unknown = Object.keys(params).filter((k) => !KNOWN.has(k)).sort();
  if (unknown.length > 0) problems.push(`unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')} (known: ${[...KNOWN].join(', ')})`);
  const kindText = params[PARAM.volumeType] ?? 'LVM';
  const kind = (VOLUME_KINDS as readonly string[]).includes(kindText) ? (kindText as VolumeKind) : undefined;
  if (!kind) problems.push(`volumeType ${JSON.stringify(kindText)} is not one of ${VOLUME_KINDS.join(', ')}`);
  const vgName = params[PARAM.vgName];
  if (vgName !== undefined) {
    if (!VG_NAME.test(vgName) || vgName === '.' || vgName === '..') problems.push(`vgName ${JSON.stringify(vgName)} is not a volume group name`);
    if (kind && kind !== 'LVM') problems.push(`vgName is for LVM volumes, not ${kind}`);
  }
  const mediaType = params[PARAM.mediaType];
  if (mediaType !== undefined && !MEDIA_TYPES.includes(mediaType)) problems.push(`mediaType ${JSON.stringify(mediaType)} is not one of ${MEDIA_TYPES.join(', ')}`);
  if (kind && kind !== 'LVM' && mediaType === undefined) problems.push(`volumeType ${kind} needs the parameter mediaType (ssd or hdd): it picks the disk`);
  const lvmText = params[PARAM.lvmType] ?? 'linear';
  const lvmType = lvmText === 'striping' ? 'striping' : 'linear';
  if (lvmText !== 'linear' && lvmText !== 'striping') problems.push(`lvmType ${JSON.stringify(lvmText)} is not linear or striping`);
  const iops = params[PARAM.iops];
  if (iops !== undefined && (!/^\d+$/.test(iops) || Number(iops) < 1 || !Number.isSafeInteger(Number(iops)))) problems.push(`iops ${JSON.stringify(iops)} is not a positive whole number`);
  const bps = params[PARAM.bps];
  if (bps !== undefined) {
    try {
      if (parseByteQuantity(bps) < 1) problems.push('bps is 0');
    } catch (err) {
      if (!(err instanceof QuantityError)) throw err;
      problems.push(`bps: ${err.message}`);
    }
  }
  for (const flag of [PARAM.spdk, PARAM.direct]) {
    const value = params[flag];
    if (value === undefined || value === 'false') continue;
    problems.push(value === 'true' ? `${flag}=true (SPDK / Kata direct volumes) is not supported by this driver` : `${flag} ${JSON.stringify(value)} is not true or false`);
  }
  const pvcName = params[PROVISIONER_KEY.pvcName];
  const pvcNamespace = params[PROVISIONER_KEY.pvcNamespace];
  if ((pvcName === undefined) !== (pvcNamespace === undefined)) problems.push(`${PROVISIONER_KEY.pvcName} and ${PROVISIONER_KEY.pvcNamespace} go together`);
  if (problems.length > 0 || !kind) throw invalidArgument(`invalid parameters: ${problems.join('; ')}`);
  return {
    kind,
    ...(vgName !== undefined ? { vgName } : {}),
    ...(mediaType !== undefined ? { mediaType } : {}),
    lvmType,
    ...(pvcName !== undefined && pvcNamespace !== undefined ? { pvc: { namespace: pvcNamespace, name: pvcName } } : {}),
    all: { ...params },
  };
}
