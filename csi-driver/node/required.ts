/**
 * REQUIRED fields, checked before anything is looked up (CSI: a missing field is INVALID_ARGUMENT even for a volume
 * that does not exist). proto-loader decodes an unset string as "" and an unset message as null.
 */
import { invalidArgument } from '../grpc/errors.js';

export function required(rpc: string, fields: Readonly<Record<string, unknown>>): void {
  for (const [name, value] of Object.entries(fields)) {
    if (value === '' || value === null || value === undefined) throw invalidArgument(`${rpc}: ${name} is required`);
  }
}

/** Volume IDs are names (LV names, csi-<hash>): CSI caps strings at 128 bytes; a NUL or "/" is never one of ours. */
export function checkVolumeId(rpc: string, volumeId: string): void {
  if (Buffer.byteLength(volumeId) > 128) throw invalidArgument(`${rpc}: volume_id is longer than 128 bytes`);
  if (/[\0/]/.test(volumeId)) throw invalidArgument(`${rpc}: volume_id ${JSON.stringify(volumeId)} contains "/" or a NUL byte`);
}
