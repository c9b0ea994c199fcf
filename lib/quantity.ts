/**
 * Kubernetes resource quantities ("100Gi", "1.5G", "500M", "1e3", "100m"), parsed exactly with BigInt.
 * @see https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/
 */

export class QuantityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuantityError';
  }
}

/** Binary suffixes are powers of 2, decimal ones powers of 10. "E" alone is exa; "e3" is an exponent. */
const BINARY_SHIFT: Readonly<Record<string, bigint>> = { Ki: 10n, Mi: 20n, Gi: 30n, Ti: 40n, Pi: 50n, Ei: 60n };
const DECIMAL_EXPONENT: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+|[numkMGTPE])?$/;
/** resource.Quantity keeps values within int64; anything larger is a typo, not a disk. */
const INT64_MAX = 2n ** 63n - 1n;

/**
 * The integer value of a quantity, rounded up as resource.Quantity.Value() does ("100m" → 1, "1.5Ki" → 1536).
 * Throws QuantityError with the reason on anything else.
 */
export function parseQuantity(text: string): bigint {
  const m = QUANTITY.exec(text);
  if (!m) throw new QuantityError(`"${text}" is not a quantity (want e.g. 100Gi, 1.5T, 500M or a plain number)`);
  const [, sign = '', number = '', suffix = ''] = m;
  const [whole = '', fraction = ''] = number.split('.');
  // value = digits / 10^fraction.length, then scaled by the suffix; kept as numerator / denominator.
  let numerator = BigInt(`${whole}${fraction}` || '0');
  let denominator = 10n ** BigInt(fraction.length);
  const shift = BINARY_SHIFT[suffix];
  if (shift !== undefined) {
    numerator <<= shift;
  } else {
    const exponent = /^[eE][+-]?\d+$/.test(suffix) ? Number(suffix.slice(1)) : (DECIMAL_EXPONENT[suffix] ?? 0);
    if (Math.abs(exponent) > 30) throw new QuantityError(`"${text}": exponent out of range`);
    if (exponent >= 0) numerator *= 10n ** BigInt(exponent);
    else denominator *= 10n ** BigInt(-exponent);
  }
  const negative = sign === '-' && numerator !== 0n;
  // Round toward +infinity: up for positive values, truncate for negative ones.
  const value = negative ? -(numerator / denominator) : (numerator + denominator - 1n) / denominator;
  if (value > INT64_MAX || value < -INT64_MAX) throw new QuantityError(`"${text}" is too large`);
  return value;
}

/** A byte count from a quantity: non-negative and exact as a JS number (below 8 PiB). */
export function parseByteQuantity(text: string): number {
  const value = parseQuantity(text);
  if (value < 0n) throw new QuantityError(`"${text}" is negative`);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new QuantityError(`"${text}" is too large for a byte count`);
  return Number(value);
}
