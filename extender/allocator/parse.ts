import { parseByteQuantity, QuantityError } from '../../lib/quantity.js';
import { VOLUME_KINDS, type VolumeKind } from './types.js';

export const isVolumeKind = (value: string | undefined): value is VolumeKind => (VOLUME_KINDS as readonly (string | undefined)[]).includes(value);

/** A byte quantity, or undefined when the text is not one (the caller says where it came from). */
export function byteQuantity(text: string): number | undefined {
  try {
    return parseByteQuantity(text);
  } catch (err) {
    if (err instanceof QuantityError) return undefined;
    throw err;
  }
}
