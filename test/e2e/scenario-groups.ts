// Which scenario files a run plays, and on which of its clusters. Pure: test/e2e/run.ts does the spawning.
//
// The suite's wall time is mostly waiting (pods starting under UML kubelets, the node-lifecycle grace period, guests
// booting), not CPU, so two clusters side by side on the 2-core machine take little more than the longer of their
// two halves. Each cluster plays its scenarios in file order: 01-install first (it checks the freshly prepared
// cluster), 09-deletion last (it deletes the OpenLocalCluster).

/**
 * Each scenario's wall time in a whole-suite run on one cluster (seconds, the summary reporter's "slowest files",
 * boot excluded; measured under load 4–12): the weights that balance the clusters. Only the ratios matter; a
 * scenario missing here weighs as much as the heaviest one, so a new scenario is never packed in as if it were free.
 */
export const MEASURED_SECONDS: Readonly<Record<string, number>> = {
  '01-install': 271,
  '02-provision': 374,
  '03-volume-kinds': 317,
  '04-snapshot': 258,
  '05-scheduling': 431,
  '06-failures': 1017,
  '07-upgrade': 158,
  '08-adopt': 69,
  '09-deletion': 246,
};

const stem = (file: string): string => file.replace(/\.test\.ts$/, '');

export function pickScenarios(files: readonly string[], wanted: readonly string[]): string[] {
  if (wanted.length === 0) return [...files];
  return wanted.map((w) => {
    const hits = files.filter((f) => f === w || stem(f) === w || f.startsWith(`${w}-`) || stem(f).replace(/^\d+-/, '') === w);
    if (hits.length !== 1) throw new Error(`scenario "${w}" ${hits.length === 0 ? 'matches none' : `matches ${hits.join(', ')}`} of: ${files.join(', ')}`);
    return hits[0]!;
  });
}

/**
 * Splits the scenarios over `clusters` clusters so that the longest cluster is as short as the weights allow
 * (heaviest first, each onto the cluster with the least so far), then puts each cluster's share back in file order.
 * Never returns an empty group: with fewer scenarios than clusters, fewer clusters boot.
 */
export function splitAcrossClusters(files: readonly string[], clusters: number, seconds: Readonly<Record<string, number>> = MEASURED_SECONDS): string[][] {
  if (!Number.isInteger(clusters) || clusters < 1) throw new Error(`clusters must be a whole number ≥ 1, not ${clusters}`);
  const heaviest = Math.max(0, ...Object.values(seconds));
  const weight = (f: string): number => seconds[stem(f)] ?? heaviest;
  const groups = Array.from({ length: Math.min(clusters, files.length) }, () => ({ files: [] as string[], total: 0 }));
  for (const f of [...files].sort((a, b) => weight(b) - weight(a) || a.localeCompare(b))) {
    const lightest = groups.reduce((min, g) => (g.total < min.total ? g : min));
    lightest.files.push(f);
    lightest.total += weight(f);
  }
  return groups.map((g) => g.files.sort());
}
