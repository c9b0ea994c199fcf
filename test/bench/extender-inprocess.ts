/**
 * Benchmark (prints figures; asserts nothing): the extender's request path inside one process, without HTTP or an
 * API server, so a change to the allocator or the state indexes shows in CPU time free of network and peer noise.
 * Builds the state `bench:extender` loads (N nodes × 2 VGs of 500Gi, 4 bound 20Gi PVs per node, a pod with 3
 * unbound 100Gi PVCs) through the informer handlers, then times what one filter and one prioritize request cost
 * from body text to answer text: parse, evaluate, serialise. Reports wall time per request (p50/p99/max: the
 * thread's own work plus what the machine's load takes from it, printed beside), the thread's mean CPU per pod, and
 * the garbage collections the run caused. Runs through tsx with the Deployment's V8 flags (the loader costs start-up
 * time, not per-request time).
 *
 *   npm run bench:extender:inprocess -- [--nodes 5000] [--requests 400]
 */
import { spawnSync } from 'node:child_process';
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Evaluator } from '../../extender/evaluator.js';
import { filter, prioritize } from '../../extender/handlers.js';
import { ClusterState } from '../../extender/state/cluster-state.js';
import { parseExtenderArgs } from '../../extender/wire.js';
import { EXTENDER_NODE_OPTIONS } from '../../synth/stack/extender.js';
import { loadAverage, nodeName, nodeStorage, nodeVolume, podBody, PVS_PER_NODE, quantile, sharedObjects } from './extender-fixture.js';

// The heap limits the Deployment gives the extender shape its GC: run again under them if started without.
if (!EXTENDER_NODE_OPTIONS.every((flag) => process.execArgv.includes(flag))) {
  const again = spawnSync(process.execPath, [...EXTENDER_NODE_OPTIONS, '--import', 'tsx', import.meta.filename, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(again.status ?? 1);
}

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '5000' }, requests: { type: 'string', default: '400' } } });
const nodes = Number(values.nodes);
const requests = Number(values.requests);
const state = new ClusterState();
const [storageClass, ...claims] = sharedObjects();
state.onStorageClass('add', storageClass);
for (const claim of claims) state.onPersistentVolumeClaim('add', claim);
for (let i = 0; i < nodes; i++) {
  state.onNodeLocalStorage('add', nodeStorage(i));
  for (let v = 0; v < PVS_PER_NODE; v++) {
    const volume = nodeVolume(i, v);
    state.onPersistentVolume('add', volume.pv);
    state.onPersistentVolumeClaim('add', volume.pvc);
  }
}
const evaluator = new Evaluator(state, { strategy: 'binpack' });
const names = Array.from({ length: nodes }, (_, i) => nodeName(i));
const body = (i: number, nodeNames: readonly string[]) => podBody(`bench-${i}`, nodeNames);

/** The timed calls' thread CPU, summed (building the request bodies is the bench's work, not the extender's). */
let cpuMicros = 0;

/** Wall time in ms of `fn` (synchronous: only this thread's work and what the machine's load takes from it). */
function wallMs(fn: () => void): number {
  const cpu = process.threadCpuUsage();
  const t0 = process.hrtime.bigint();
  fn();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const used = process.threadCpuUsage(cpu);
  cpuMicros += used.user + used.system;
  return ms;
}

const gcs = { minor: 0, major: 0, ms: 0 };
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) gcs.major++;
    else gcs.minor++;
    gcs.ms += e.duration;
  }
});

const filterMs: number[] = [];
const prioritizeMs: number[] = [];
let feasible = 0;
const run = (i: number, record: boolean) => {
  const filterBody = body(i, names);
  let answer = '';
  const f = wallMs(() => {
    answer = JSON.stringify(filter(evaluator, parseExtenderArgs(filterBody)));
  });
  // Reading the answer is kube-scheduler's work: outside the timed call.
  const kept = (JSON.parse(answer) as { NodeNames: string[] }).NodeNames;
  const prioritizeBody = body(i, kept);
  const p = wallMs(() => void prioritize(evaluator, parseExtenderArgs(prioritizeBody)));
  if (record) {
    filterMs.push(f);
    prioritizeMs.push(p);
    feasible = kept.length;
  }
};
for (let i = 0; i < 30; i++) run(-i - 1, false);
observer.observe({ entryTypes: ['gc'] });
cpuMicros = 0;
for (let i = 0; i < requests; i++) {
  run(i, true);
  // GC entries reach the observer on the event loop, as they would between a server's requests.
  await new Promise(setImmediate);
}
observer.disconnect();

console.log(`${nodes} nodes × 2 VGs, ${nodes * PVS_PER_NODE} bound PVs, a pod with 3 unbound PVCs; ${feasible} feasible nodes; per request, body text in, answer text out (load average ${loadAverage()}):`);
for (const [verb, list] of [['filter', filterMs], ['prioritize', prioritizeMs]] as const) {
  const sorted = [...list].sort((a, b) => a - b);
  console.log(`  ${verb.padEnd(10)} p50 ${quantile(sorted, 0.5).toFixed(2)} ms  p99 ${quantile(sorted, 0.99).toFixed(2)} ms  max ${(sorted.at(-1) ?? 0).toFixed(2)} ms`);
}
console.log(`  ${requests} pods: thread CPU ${(cpuMicros / 1000 / requests).toFixed(2)} ms per filter + prioritize; ${gcs.minor} minor and ${gcs.major} major GCs, ${gcs.ms.toFixed(0)} ms in GC; heap used ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB`);
