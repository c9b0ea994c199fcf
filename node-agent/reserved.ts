/**
 * The `csi.aliyun.com/storage-reserved` annotation on a NodeLocalStorage: a JSON map from VG name to the space
 * the scheduler must leave alone, either a byte quantity ("100Gi") or a share of the VG ("10%").
 *
 * Open-Local parsed "10%" into a reservation of 0 bytes, so percentages silently did nothing; here both forms work.
 * An entry that cannot be read is ignored and reported as a problem (status updateStatusInfo.reason), never a crash.
 */
import { parseByteQuantity, QuantityError } from '../lib/quantity.js';

export const STORAGE_RESERVED_ANNOTATION = 'csi.aliyun.com/storage-reserved';

export type Reservation = { readonly bytes: number } | { readonly percent: number };

export interface ParsedReservations {
  readonly byVg: ReadonlyMap<string, Reservation>;
  readonly problems: readonly string[];
}

const PERCENT = /^(\d+(?:\.\d+)?)%$/;

export function parseReservations(annotation: string | undefined): ParsedReservations {
  const byVg = new Map<string, Reservation>();
  const problems: string[] = [];
  if (annotation === undefined || annotation.trim() === '') return { byVg, problems };
  const where = `annotation ${STORAGE_RESERVED_ANNOTATION}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(annotation);
  } catch {
    return { byVg, problems: [`${where} is not JSON (want e.g. {"open-local-pool-0":"100Gi"}); ignored`] };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { byVg, problems: [`${where} is not a JSON object of VG name to size; ignored`] };
  }
  for (const [vg, value] of Object.entries(parsed as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const bad = (why: string) => problems.push(`${where}: "${vg}": ${why}; ignored`);
    if (typeof value !== 'string') {
      bad(`${JSON.stringify(value)} is not a string such as "100Gi" or "10%"`);
      continue;
    }
    const pct = PERCENT.exec(value.trim());
    if (pct) {
      const percent = Number(pct[1]);
      if (percent > 100) bad(`${value} is more than 100%`);
      else byVg.set(vg, { percent });
      continue;
    }
    try {
      byVg.set(vg, { bytes: parseByteQuantity(value.trim()) });
    } catch (err) {
      if (!(err instanceof QuantityError)) throw err;
      bad(err.message);
    }
  }
  return { byVg, problems };
}

/** Bytes a reservation takes from a VG of `total` bytes; a percentage is rounded up, so 10% of 1 GiB never undercounts. */
export function reservedBytes(r: Reservation, total: number): number {
  if ('bytes' in r) return r.bytes;
  // Exact for VGs beyond 2^53/100 bytes too: total × percent in BigInt, the percent's decimals as a denominator.
  const [whole = '0', fraction = ''] = String(r.percent).split('.');
  if (!/^\d+$/.test(whole + fraction)) return Math.ceil((total * r.percent) / 100);
  const numerator = BigInt(total) * BigInt(whole + fraction);
  const denominator = 100n * 10n ** BigInt(fraction.length);
  return Number((numerator + denominator - 1n) / denominator);
}

/** Open-Local's rule, with working percentages: allocatable never exceeds total − reserved, and never goes below 0. */
export function applyReservation(allocatable: number, total: number, r: Reservation | undefined): number {
  if (!r) return allocatable;
  return Math.max(0, Math.min(allocatable, total - reservedBytes(r, total)));
}
