/**
 * CreateSnapshot parameters: Open-Local's VolumeSnapshotClass keys plus the names external-snapshotter adds with
 * --extra-create-metadata. Only read-only snapshots exist here (Open-Local's read-write ones are restic backups to
 * S3, which this driver does not ship), so a class without `csi.aliyun.com/readonly: "true"` is refused by name.
 * The expansion keys are read by the agent (node-agent/snapshots.ts); they are checked here with the agent's own
 * parser so a bad class fails at CreateSnapshot, not silently later.
 */
import { invalidArgument } from '../grpc/errors.js';
import type { StringMap } from '../grpc/messages.js';
import { SNAPSHOT_PARAM } from '../volume-context.js';
import { parseSnapshotPolicy } from '../../node-agent/snapshots.js';
import { parseByteQuantity, QuantityError } from '../../lib/quantity.js';

/** Open-Local's default copy-on-write size of a new read-only snapshot. */
export const DEFAULT_SNAPSHOT_INITIAL_BYTES = 4 * 1024 ** 3;

const SNAPSHOTTER_KEYS = ['csi.storage.k8s.io/volumesnapshot/name', 'csi.storage.k8s.io/volumesnapshot/namespace', 'csi.storage.k8s.io/volumesnapshotcontent/name'];
const KNOWN = new Set<string>([...Object.values(SNAPSHOT_PARAM), ...SNAPSHOTTER_KEYS]);

export interface SnapshotParameters {
  /** The snapshot LV's initial size, before capping at the source's size. */
  readonly initialBytes: number;
}

export function parseSnapshotParameters(params: StringMap): SnapshotParameters {
  const problems: string[] = [];
  const unknown = Object.keys(params).filter((k) => !KNOWN.has(k)).sort();
  if (unknown.length > 0) problems.push(`unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')}`);
  const readOnly = params[SNAPSHOT_PARAM.readOnly];
  if (readOnly !== 'true') {
    problems.push(
      readOnly === undefined || readOnly === 'false'
        ? `only read-only snapshots are supported: set ${SNAPSHOT_PARAM.readOnly}: "true" in the VolumeSnapshotClass (read-write snapshots, Open-Local's S3 backups, are not)`
        : `${SNAPSHOT_PARAM.readOnly} ${JSON.stringify(readOnly)} is not "true"`,
    );
  }
  let initialBytes = DEFAULT_SNAPSHOT_INITIAL_BYTES;
  const initialText = params[SNAPSHOT_PARAM.initialSize];
  if (initialText !== undefined) {
    try {
      initialBytes = parseByteQuantity(initialText.trim());
      if (initialBytes === 0) problems.push(`${SNAPSHOT_PARAM.initialSize} is 0`);
    } catch (err) {
      if (!(err instanceof QuantityError)) throw err;
      problems.push(`${SNAPSHOT_PARAM.initialSize}: ${err.message}`);
    }
  }
  const policy = parseSnapshotPolicy(params);
  if (typeof policy === 'string') problems.push(policy);
  if (problems.length > 0) throw invalidArgument(`invalid snapshot parameters: ${problems.join('; ')}`);
  return { initialBytes };
}
