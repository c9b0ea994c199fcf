/**
 * CSI names → object names. A volume ID is the LocalVolume's name and the LV's name (Open-Local's convention: the
 * provisioner's `local-<uid>` is both), so it must be a valid Kubernetes name and a valid, short LV name. A CO name
 * that is not one (csi-sanity sends upper case and 128 characters) gets a stable derived ID, and the name itself is
 * kept in an annotation, so a repeated call finds the same object.
 */
import { createHash } from 'node:crypto';
import { invalidArgument } from '../grpc/errors.js';

/** The CO's name of a volume or snapshot, as given to CreateVolume / CreateSnapshot. */
export const CSI_NAME_ANNOTATION = 'csi.aliyun.com/csi-name';

/** Kubernetes DNS label, short enough that `/dev/mapper/<vg>-<lv>` stays within device-mapper's 127 characters. */
const DIRECT_ID = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const MAX_DIRECT_ID = 63;
/** The CSI spec's limit on any string field. */
export const MAX_NAME_BYTES = 128;

/**
 * The ID for a CO-given name, or INVALID_ARGUMENT when the name could be read as a path or carries control
 * characters (it ends up in logs, events and, through the node, in device paths).
 */
export function idForName(what: 'volume' | 'snapshot', name: string): string {
  if (name === '') throw invalidArgument(`${what} name is required`);
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) throw invalidArgument(`${what} name is ${Buffer.byteLength(name)} bytes long; at most ${MAX_NAME_BYTES} are allowed`);
  // eslint-disable-next-line no-control-regex
  if (/[/\\\x00-\x1f\x7f\s]/.test(name) || name.startsWith('.')) throw invalidArgument(`${what} name ${JSON.stringify(name)} contains a path separator, a leading dot, white space or a control character`);
  if (DIRECT_ID.test(name) && name.length <= MAX_DIRECT_ID) return name;
  return `csi-${createHash('sha256').update(name).digest('hex').slice(0, 40)}`;
}

/**
 * Whether an ID given back by the CO can be one of ours: volume and snapshot IDs are always DNS labels (an adopted
 * Open-Local volume's `local-<uuid>` included). Anything else cannot name a LocalVolume, so it is looked up nowhere.
 */
export const isPossibleId = (id: string): boolean => DIRECT_ID.test(id) && id.length <= MAX_DIRECT_ID;
