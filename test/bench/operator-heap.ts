/**
 * What holds a V8 heap snapshot's memory (written by `node --heapsnapshot-signal`): the biggest groups of objects by
 * self size (objects by constructor, strings, arrays, code...) with their counts, and for each group the edges
 * that most often hold its members (retainer constructor and property), which names the cache or structure.
 *
 *   tsx test/bench/operator-heap.ts FILE.heapsnapshot [--top 25]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export interface HeapGroup {
  readonly group: string;
  readonly count: number;
  readonly selfBytes: number;
  /** The most frequent holders: "Constructor.property" (or "Constructor[]" for elements), with counts. */
  readonly heldBy: readonly { readonly by: string; readonly count: number }[];
}

/** Groups a snapshot's nodes by what they are and names who holds each group. */
export function summariseHeap(s: Snapshot, top: number): { total: number; groups: HeapGroup[] } {
  const nf = s.snapshot.meta.node_fields;
  const ef = s.snapshot.meta.edge_fields;
  const nodeTypes = s.snapshot.meta.node_types[0];
  const edgeTypes = s.snapshot.meta.edge_types[0];
  const N = nf.length;
  const E = ef.length;
  const [iType, iName, iSize, iEdges] = ['type', 'name', 'self_size', 'edge_count'].map((f) => nf.indexOf(f)) as [number, number, number, number];
  const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((f) => ef.indexOf(f)) as [number, number, number];
  const count = s.nodes.length / N;
  const groupOf = (n: number): string => {
    const type = nodeTypes[s.nodes[n * N + iType] ?? 0] ?? '?';
    const name = s.strings[s.nodes[n * N + iName] ?? 0] ?? '';
    if (type === 'object' || type === 'closure' || type === 'native') return `${type} ${name}`;
    if (type === 'hidden' || type === 'object shape' || type === 'array') return `${type} ${name.slice(0, 60)}`;
    return type; // strings, numbers, code: their names are contents
  };
  const groups = new Map<string, { count: number; selfBytes: number }>();
  const nodeGroup: string[] = new Array<string>(count);
  let total = 0;
  for (let n = 0; n < count; n++) {
    const g = groupOf(n);
    nodeGroup[n] = g;
    const size = s.nodes[n * N + iSize] ?? 0;
    total += size;
    const entry = groups.get(g) ?? { count: 0, selfBytes: 0 };
    entry.count++;
    entry.selfBytes += size;
    groups.set(g, entry);
  }
  const biggest = [...groups].sort((a, b) => b[1].selfBytes - a[1].selfBytes).slice(0, top);
  const wanted = new Set(biggest.map(([g]) => g));
  const holders = new Map<string, Map<string, number>>();
  let edge = 0;
  for (let n = 0; n < count; n++) {
    const from = s.strings[s.nodes[n * N + iName] ?? 0] ?? '';
    const edges = s.nodes[n * N + iEdges] ?? 0;
    for (let k = 0; k < edges; k++, edge++) {
      const type = edgeTypes[s.edges[edge * E + eType] ?? 0] ?? '';
      if (type === 'weak' || type === 'shortcut') continue;
      const to = (s.edges[edge * E + eTo] ?? 0) / N;
      const g = nodeGroup[to] ?? '';
      if (!wanted.has(g)) continue;
      const nameOrIndex = s.edges[edge * E + eName] ?? 0;
      const via = type === 'element' || type === 'hidden' ? '[]' : `.${s.strings[nameOrIndex] ?? ''}`;
      const by = `${from.slice(0, 50)}${via.slice(0, 40)}`;
      const m = holders.get(g) ?? new Map<string, number>();
      m.set(by, (m.get(by) ?? 0) + 1);
      holders.set(g, m);
    }
  }
  return {
    total,
    groups: biggest.map(([group, v]) => ({
      group,
      ...v,
      heldBy: [...(holders.get(group) ?? [])].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([by, c]) => ({ by, count: c })),
    })),
  };
}

if (import.meta.filename === process.argv[1]) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
  const file = positionals[0];
  if (!file) throw new Error('usage: tsx test/bench/operator-heap.ts FILE.heapsnapshot [--top 25]');
  const { total, groups } = summariseHeap(JSON.parse(readFileSync(file, 'utf8')) as Snapshot, Number(values.top));
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  console.log(`${file}: ${mib(total)} in the snapshot (self sizes)`);
  for (const g of groups) {
    console.log(`${mib(g.selfBytes).padStart(10)} ${String(g.count).padStart(8)}  ${g.group}`);
    console.log(`${' '.repeat(20)}held by ${g.heldBy.map((h) => `${h.by} ×${h.count}`).join(', ')}`);
  }
}
