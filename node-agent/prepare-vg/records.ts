/**
 * What prepare-vg records on every physical volume it adds to an open-local VG, as LVM tags on the PV (they live in
 * the VG's metadata, on every PV of the VG, so they survive reboots, re-imaging and renamed devices):
 *
 *   open-local.dev=<the configured path it was added as>     always, e.g. open-local.dev=/dev/ubda
 *   open-local.wwn=<WWN>                                     when the disk reports one
 *   open-local.serial=<serial>                               when the disk reports one
 *
 * The PV UUID (LVM's own) is the identity of the PV itself. With these a later run knows which disk a configured name
 * stood for, and refuses a name that now points to another disk (see plan.ts). LVM allows [A-Za-z0-9_+.-/=!:&#] in
 * tags, up to 1024 characters; any other byte of a value is written as `&` and two hex digits (`&` itself as `&26`).
 * VGs without the `open-local` tag (Open-Local's) and PVs without these tags (added by an older open-local) carry no
 * records: they are treated as before, and a tagged VG's untagged member PVs get their records on the next run.
 */
export const RECORD_PREFIX = 'open-local.';
const KEYS = ['dev', 'wwn', 'serial'] as const;
type Key = (typeof KEYS)[number];
const MAX_TAG = 1024;

export interface PvRecord {
  /** The configured path the PV was added as. */
  readonly dev?: string;
  readonly wwn?: string;
  readonly serial?: string;
}

const PLAIN = /[A-Za-z0-9_+.\-/=!:#]/;

export function encodeTagValue(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += byte < 0x80 && PLAIN.test(c) ? c : `&${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

export function decodeTagValue(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === '&' && /^[0-9a-f]{2}$/i.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(text.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The tags that record `record`; a value too long for one tag is left out rather than cut (a cut value would lie). */
export function recordTags(record: PvRecord): string[] {
  return KEYS.flatMap((k) => {
    const v = record[k];
    if (v === undefined || v === '') return [];
    const tag = `${RECORD_PREFIX}${k}=${encodeTagValue(v)}`;
    return tag.length <= MAX_TAG ? [tag] : [];
  });
}

/** The record in a PV's tags; other tags are ignored. */
export function parseRecord(tags: readonly string[]): PvRecord {
  const out: { -readonly [K in Key]?: string } = {};
  for (const t of tags) {
    if (!t.startsWith(RECORD_PREFIX)) continue;
    const eq = t.indexOf('=');
    const key = t.slice(RECORD_PREFIX.length, eq) as Key;
    if (eq > 0 && KEYS.includes(key)) out[key] = decodeTagValue(t.slice(eq + 1));
  }
  return out;
}
