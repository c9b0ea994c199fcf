/**
 * Where the node finds a volume's data, from the request alone: the volume ID (= LV name, for volumes made by this
 * driver and by Open-Local v0.7 alike) and Open-Local's volume context keys. No API call: the node plugin stages a
 * PV made by Open-Local itself exactly as one of ours. Pure.
 */
import { posix } from 'node:path';
import { parseByteQuantity, parseQuantity, QuantityError } from '../../lib/quantity.js';
import { invalidArgument } from '../grpc/errors.js';
import { CONTEXT, PARAM, PROVISIONER_KEY } from '../volume-context.js';

export type NodeVolume =
  /** An LV of ours; `readOnly` for a read-only snapshot restore, whose device is the snapshot LV. */
  | { readonly type: 'LVM'; readonly vg: string; readonly lv: string; readonly device: string; readonly readOnly: boolean }
  /** An exclusive whole disk or partition, by the path the controller recorded. */
  | { readonly type: 'Device'; readonly device: string; readonly readOnly: boolean }
  /** An exclusive pre-mounted directory (Open-Local's legacy MountPoint kind): bind-mounted, never formatted. */
  | { readonly type: 'MountPoint'; readonly path: string; readonly readOnly: boolean }
  /** A CSI inline volume: an LV the node creates on publish and removes on unpublish. */
  | { readonly type: 'Ephemeral'; readonly vg: string; readonly lv: string; readonly device: string; readonly sizeBytes: number; readonly readOnly: false };

/** Open-Local's default size of an inline volume. */
export const EPHEMERAL_DEFAULT_SIZE = '1Gi';

/** LVM's rules for VG and LV names (lvm(8) "VALID NAMES"), kept strict: a name is also a path under /dev. */
const LVM_NAME = /^[A-Za-z0-9+_.][A-Za-z0-9+_.-]{0,126}$/;

export function checkLvmName(what: string, name: string): string {
  if (!LVM_NAME.test(name) || name === '.' || name === '..') throw invalidArgument(`${what} "${name}" is not a valid LVM name (letters, digits, + _ . -, at most 127, not starting with -)`);
  return name;
}

function checkDevPath(volumeId: string, device: string): string {
  if (!device.startsWith('/dev/') || posix.normalize(device) !== device || device.split('/').includes('..')) {
    throw invalidArgument(`volume ${volumeId}: ${CONTEXT.device} "${device}" is not a clean path under /dev`);
  }
  return device;
}

export function parseNodeVolume(volumeId: string, context: Readonly<Record<string, string>>): NodeVolume {
  const get = (key: string) => context[key] ?? '';
  const ephemeral = get(PROVISIONER_KEY.ephemeral) === 'true';
  const readOnly = get(CONTEXT.readOnly) === 'true';
  if (ephemeral) {
    const vg = checkLvmName(`inline volume ${volumeId}: ${PARAM.vgName}`, get(PARAM.vgName));
    const lv = checkLvmName('inline volume ID', volumeId);
    const sizeText = get(PARAM.size) || EPHEMERAL_DEFAULT_SIZE;
    let sizeBytes: number;
    try {
      sizeBytes = parseByteQuantity(sizeText);
    } catch (err) {
      throw invalidArgument(`inline volume ${volumeId}: size: ${(err as Error).message}`);
    }
    if (sizeBytes <= 0) throw invalidArgument(`inline volume ${volumeId}: size "${sizeText}" must be more than 0`);
    return { type: 'Ephemeral', vg, lv, device: `/dev/${vg}/${lv}`, sizeBytes, readOnly: false };
  }
  const volumeType = get(PARAM.volumeType);
  switch (volumeType) {
    case 'LVM': {
      const vg = checkLvmName(`volume ${volumeId}: ${PARAM.vgName}`, get(PARAM.vgName));
      // A read-only snapshot restore is the snapshot LV itself (Open-Local: /dev/<vg>/<snapshot-id>).
      const snapshot = get(CONTEXT.snapshotId);
      const lv = readOnly && snapshot !== '' ? checkLvmName(`volume ${volumeId}: ${CONTEXT.snapshotId}`, snapshot) : checkLvmName('volume ID', volumeId);
      return { type: 'LVM', vg, lv, device: `/dev/${vg}/${lv}`, readOnly };
    }
    case 'Device':
      return { type: 'Device', device: checkDevPath(volumeId, get(CONTEXT.device)), readOnly };
    case 'MountPoint': {
      const path = get(CONTEXT.mountPoint);
      if (!path.startsWith('/') || posix.normalize(path) !== path || path.split('/').includes('..') || path === '/') {
        throw invalidArgument(`volume ${volumeId}: ${CONTEXT.mountPoint} "${path}" is not a clean absolute path`);
      }
      return { type: 'MountPoint', path, readOnly };
    }
    case '':
      throw invalidArgument(`volume ${volumeId}: volume_context has no ${PARAM.volumeType} (LVM, Device or MountPoint); is this volume one of local.csi.aliyun.com?`);
    default:
      throw invalidArgument(`volume ${volumeId}: ${PARAM.volumeType} "${volumeType}" is not supported (LVM, Device or MountPoint)`);
  }
}

export interface IoLimits {
  /** Read and write IOs per second, each. */
  readonly iops?: number;
  /** Read and write bytes per second, each. */
  readonly bps?: number;
}

/** Open-Local's `iops` (integer) and `bps` (quantity) keys; absent or empty means no limit. */
export function parseIoLimits(volumeId: string, context: Readonly<Record<string, string>>): IoLimits {
  const out: { iops?: number; bps?: number } = {};
  const iops = context[PARAM.iops] ?? '';
  if (iops !== '') {
    if (!/^\d+$/.test(iops) || Number(iops) <= 0 || !Number.isSafeInteger(Number(iops))) throw invalidArgument(`volume ${volumeId}: iops "${iops}" must be a positive integer`);
    out.iops = Number(iops);
  }
  const bps = context[PARAM.bps] ?? '';
  if (bps !== '') {
    let value: bigint;
    try {
      value = parseQuantity(bps);
    } catch (err) {
      throw invalidArgument(`volume ${volumeId}: bps: ${err instanceof QuantityError ? err.message : String(err)}`);
    }
    if (value <= 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) throw invalidArgument(`volume ${volumeId}: bps "${bps}" must be a positive quantity of bytes per second`);
    out.bps = Number(value);
  }
  return out;
}
