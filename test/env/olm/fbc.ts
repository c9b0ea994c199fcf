// The file-based catalog (FBC) of olm-bundle/ as data: the `olm.channel` blob that ties the rendered bundles into an
// upgrade graph. opm writes the `olm.package` blob (`opm init`) and one `olm.bundle` blob per bundle (`opm render`),
// but a channel is the catalog author's to write; ours follows each CSV's own `spec.replaces` and `olm.skipRange`,
// as the operator-registry's bundle-to-catalog conversion does, so the graph OLM resolves is the one the bundles say.
import { stringify } from 'yaml';

/** One `entries` item of an `olm.channel` blob. */
export interface ChannelEntry {
  readonly name: string;
  readonly replaces?: string;
  readonly skipRange?: string;
  readonly skips?: readonly string[];
}

export interface ChannelBlob {
  readonly schema: 'olm.channel';
  readonly package: string;
  readonly name: string;
  readonly entries: readonly ChannelEntry[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The channel entry a ClusterServiceVersion asks for: its name, what it replaces, skips and skips by range. */
export function channelEntry(csv: unknown): ChannelEntry {
  if (!isRecord(csv) || csv.kind !== 'ClusterServiceVersion') throw new Error('not a ClusterServiceVersion');
  const metadata = isRecord(csv.metadata) ? csv.metadata : {};
  const spec = isRecord(csv.spec) ? csv.spec : {};
  const name = metadata.name;
  if (typeof name !== 'string' || name === '') throw new Error('the ClusterServiceVersion has no metadata.name');
  const annotations = isRecord(metadata.annotations) ? metadata.annotations : {};
  const skipRange = annotations['olm.skipRange'];
  const skips = Array.isArray(spec.skips) ? spec.skips.filter((s): s is string => typeof s === 'string') : [];
  return {
    name,
    ...(typeof spec.replaces === 'string' ? { replaces: spec.replaces } : {}),
    ...(typeof skipRange === 'string' ? { skipRange } : {}),
    ...(skips.length > 0 ? { skips } : {}),
  };
}

/**
 * The `olm.channel` blob for `csvs`. Refuses what OLM would resolve wrongly or not at all: two bundles of one name,
 * or a channel without exactly one head (the bundle nothing replaces or skips, where a Subscription ends up).
 */
export function channelBlob(packageName: string, channel: string, csvs: readonly unknown[]): ChannelBlob {
  if (csvs.length === 0) throw new Error(`channel ${channel}: no bundles`);
  const entries = csvs.map(channelEntry);
  const names = new Set<string>();
  for (const e of entries) {
    if (names.has(e.name)) throw new Error(`channel ${channel}: two bundles are named ${e.name}`);
    names.add(e.name);
  }
  const replaced = new Set(entries.flatMap((e) => [...(e.replaces === undefined ? [] : [e.replaces]), ...(e.skips ?? [])]));
  const heads = entries.filter((e) => !replaced.has(e.name)).map((e) => e.name);
  if (heads.length !== 1) throw new Error(`channel ${channel}: needs exactly one head, has ${heads.length === 0 ? 'none' : heads.join(', ')}`);
  return { schema: 'olm.channel', package: packageName, name: channel, entries };
}

/** Blobs as one multi-document YAML file, the form `opm render -o yaml` writes and opm reads back. */
export function fbcYaml(blobs: readonly unknown[]): string {
  return blobs.map((b) => `---\n${stringify(b, { lineWidth: 0 })}`).join('');
}
