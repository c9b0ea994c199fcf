/** CreateVolume's and ControllerExpandVolume's capacity_range, read exactly (int64 arrives as a decimal string). */
import type { CapacityRange } from '../grpc/messages.js';
import { invalidArgument, outOfRange } from '../grpc/errors.js';
import { formatBytes } from '../../extender/allocator/bytes.js';

/** A volume without a requested size gets Open-Local's inline default, 1 GiB (capped by limit_bytes). */
export const DEFAULT_VOLUME_BYTES = 1024 ** 3;
/** Sizes are JS numbers in the allocator; 8 PiB is far beyond any local disk. */
const MAX_BYTES = Number.MAX_SAFE_INTEGER;

export interface WantedSize {
  /** Bytes to ask the node for. */
  readonly bytes: number;
  /** The largest size acceptable, 0 = no limit. */
  readonly limit: number;
}

function bytesOf(field: string, text: string): number {
  if (!/^-?\d+$/.test(text)) throw invalidArgument(`capacity_range.${field} ${JSON.stringify(text)} is not a whole number of bytes`);
  if (text.startsWith('-')) throw invalidArgument(`capacity_range.${field} is negative (${text})`);
  const value = BigInt(text);
  if (value > BigInt(MAX_BYTES)) throw outOfRange(`capacity_range.${field} is ${text} bytes; open-local volumes are at most ${MAX_BYTES} bytes`);
  return Number(value);
}

/** The size to create, or INVALID_ARGUMENT / OUT_OF_RANGE. `required` says whether the range itself must be set. */
export function wantedSize(range: CapacityRange | null, required = false): WantedSize {
  if (!range) {
    if (required) throw invalidArgument('capacity_range is required');
    return { bytes: DEFAULT_VOLUME_BYTES, limit: 0 };
  }
  const requiredBytes = bytesOf('required_bytes', range.required_bytes || '0');
  const limit = bytesOf('limit_bytes', range.limit_bytes || '0');
  if (required && requiredBytes === 0 && limit === 0) throw invalidArgument('capacity_range needs required_bytes or limit_bytes');
  if (limit !== 0 && requiredBytes > limit) throw invalidArgument(`capacity_range.required_bytes (${formatBytes(requiredBytes)}) is above limit_bytes (${formatBytes(limit)})`);
  const bytes = requiredBytes !== 0 ? requiredBytes : limit !== 0 ? Math.min(DEFAULT_VOLUME_BYTES, limit) : DEFAULT_VOLUME_BYTES;
  return { bytes, limit };
}

/** Whether an existing size satisfies a range (CreateVolume's idempotency, ControllerExpandVolume's "already large enough"). */
export const sizeFits = (size: number, wanted: WantedSize): boolean => size >= wanted.bytes && (wanted.limit === 0 || size <= wanted.limit);
