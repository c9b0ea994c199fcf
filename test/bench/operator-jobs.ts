/**
 * Benchmark (prints figures; asserts nothing): prepare-VG Jobs rendered per second, as the operator rendered them
 * before (renderPrepareVgJob: validation of the whole cluster + a cdk8s App per node) and as it stamps them now
 * (PrepareVgJobTemplate: one rendering per spec, the node's values stamped in), each with the ownership the
 * operator adds (withOwnership: owner reference and content hash) and on the full example's spec.
 *
 *   npx tsx test/bench/operator-jobs.ts [--nodes 1000]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { withOwnership } from '../../operator/operands/desired.js';
import type { OpenLocalCluster } from '../../api/generated/types.js';
import { renderPrepareVgJob } from '../../synth/render.js';
import { resolveSpec } from '../../synth/resolved-spec.js';
import { PrepareVgJobTemplate } from '../../synth/stack/prepare-vg-stamp.js';
import { loadExample } from '../fixtures/examples.js';

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '1000' } } });
const count = Number(values.nodes);
const cluster = { ...loadExample('full.yaml'), metadata: { name: 'open-local', uid: '6f1c1c8e-0000-4000-8000-000000000001' } } as unknown as OpenLocalCluster;
const labels = { 'node-role.example.com/database': 'true' };
const node = (i: number) => `node-${String(i).padStart(5, '0')}`;

function timed(label: string, run: () => void): void {
  run(); // warm: module loading and the first compilation are not what a thousand nodes cost
  const t = performance.now();
  run();
  const s = (performance.now() - t) / 1000;
  console.log(`  ${label.padEnd(52)} ${(count / s).toFixed(0).padStart(7)} Jobs/s (${(s * 1000).toFixed(0)} ms for ${count})`);
}

console.log(`prepare-VG Jobs for ${count} nodes, full example spec; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
timed('before: renderPrepareVgJob per node', () => {
  for (let i = 0; i < count; i++) withOwnership([renderPrepareVgJob(cluster, node(i), labels)], cluster);
});
timed('after: one PrepareVgJobTemplate, stamped per node', () => {
  const template = new PrepareVgJobTemplate(resolveSpec(cluster));
  for (let i = 0; i < count; i++) withOwnership([template.job(node(i), labels)], cluster);
});
