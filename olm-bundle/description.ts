/**
 * The CSV's long description (markdown, shown on OperatorHub). Its feature table and safety notes are cut
 * from README.md, so the catalog page says exactly what the README says.
 */

/** The body of the `## title` section of a markdown document (up to the next `## `), trimmed. */
export function markdownSection(markdown: string, title: string): string {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.trim() === `## ${title}`);
  if (start < 0) throw new Error(`README.md has no "## ${title}" section`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  return lines
    .slice(start + 1, end < 0 ? undefined : end)
    .join('\n')
    .trim();
}

/** The first markdown table (consecutive `|` lines) of `text`. */
export function firstTable(text: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith('|'));
  if (start < 0) throw new Error('no markdown table found');
  const end = lines.findIndex((l, i) => i > start && !l.startsWith('|'));
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

/** The paragraphs between the `# ` title and the first `## ` section. */
export function introduction(markdown: string): string {
  const lines = markdown.split('\n');
  const title = lines.findIndex((l) => l.startsWith('# '));
  const end = lines.findIndex((l) => l.startsWith('## '));
  if (title < 0 || end < title) throw new Error('README.md has no "# title" followed by an introduction');
  return lines
    .slice(title + 1, end)
    .join('\n')
    .trim();
}

export function csvDescription(readme: string): string {
  return [
    introduction(readme),
    '## Features',
    'This is an alpha release. What works today and what is still to come:',
    firstTable(markdownSection(readme, 'Status')),
    '## Getting started',
    [
      'The operator is cluster-wide: it watches the cluster-scoped `OpenLocalCluster` (one per cluster) and',
      'creates, in the namespace that resource names, everything Open-Local needs, including the objects a',
      'bundle cannot carry (CSIDriver, StorageClasses, VolumeSnapshotClass, DaemonSets, per-node prepare-VG Jobs).',
      'Create an `OpenLocalCluster` listing the disks to turn into volume groups (see the examples), then watch',
      '`kubectl get openlocalcluster`: it is Ready once every storage node is prepared and every component is up.',
    ].join('\n'),
    '## Safety',
    markdownSection(readme, 'Safety'),
  ].join('\n\n');
}
