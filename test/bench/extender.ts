/**
 * Benchmark (prints figures; asserts nothing): the extender as its own process against a real kube-apiserver
 * loaded with N NodeLocalStorages × 2 VGs and 4 bound PVs per node (5,000 nodes: 20,000 PVs and their PVCs), and a
 * pod with 3 unbound PVCs. Sends filter and prioritize as kube-scheduler does (nodeCacheCapable: all node names;
 * prioritize with the nodes filter kept; every pod a new one), at concurrency 1 and 4, and prints p50/p99/max
 * latency, requests per second, extender CPU per request, RSS, and the time from start to every cache synced.
 * Runs at 500 nodes, then grows the same cluster to 5,000.
 *
 *   npm run build && npm run bench:extender -- [--sizes 500,5000] [--requests 200] [--source]
 *
 * The extender runs as the image runs it: the compiled JavaScript (`dist/`, from `npm run build`), with the image's
 * V8 heap limits (EXTENDER_NODE_OPTIONS). `--source` runs the TypeScript entry point through tsx instead, to show
 * what the loader costs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { crdManifests } from '../../api/generated/crds.js';
import { KubeApi } from '../../lib/kube-api.js';
import { loadKubeConfig } from '../../lib/kube-config.js';
import { EXTENDER_NODE_OPTIONS } from '../../synth/stack/extender.js';
import { startControlPlane } from '../env/control-plane.js';
import { freePorts, httpGet, waitFor } from '../env/net.js';
import { installCrds, rawApi } from '../integration/support/raw-api.js';
import { volumeSnapshotCrd } from '../integration/support/snapshot-crds.js';
import { loadAverage, NS, nodeName, nodeStorage, nodeVolume, podBody, PVS_PER_NODE, quantile, sharedObjects } from './extender-fixture.js';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '500,5000' }, requests: { type: 'string', default: '200' }, source: { type: 'boolean', default: false } } });
const sizes = values.sizes.split(',').map(Number);
const requestCount = Number(values.requests);
const cli = resolve(import.meta.dirname, '..', '..', ...(values.source ? ['bin', 'open-local.js'] : ['dist', 'bin', 'open-local.js']));
if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first (the bench runs the compiled extender, as the image does)`);

/** Runs `fn` over `items` with at most `width` calls in flight. */
async function inParallel<T>(items: readonly T[], width: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++] as T);
  }));
}

function processStats(pid: number): { cpuSeconds: number; rssMiB: number; peakRssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { cpuSeconds: ticks / 100, rssMiB: kb('VmRSS') / 1024, peakRssMiB: kb('VmHWM') / 1024 };
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });
function post(port: number, path: string, body: string): Promise<{ ms: number; text: string }> {
  const started = process.hrtime.bigint();
  return new Promise((resolvePost, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path, agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`${path}: ${res.statusCode ?? 0} ${text}`));
        else resolvePost({ ms: Number(process.hrtime.bigint() - started) / 1e6, text });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const fmt = (ms: number) => ms.toFixed(2).padStart(7);

async function load(api: KubeApi, from: number, to: number): Promise<void> {
  const nodes = Array.from({ length: to - from }, (_, k) => from + k);
  await inParallel(nodes, 32, async (i) => {
    const object = nodeStorage(i);
    await api.createIfAbsent({ ...object, status: undefined });
    await api.mergePatch(object, { status: object.status }, 'status');
  });
  const volumes = nodes.flatMap((i) => Array.from({ length: PVS_PER_NODE }, (_, v) => ({ i, v })));
  await inParallel(volumes, 48, async ({ i, v }) => {
    const volume = nodeVolume(i, v);
    await api.createIfAbsent(volume.pv);
    await api.createIfAbsent(volume.pvc);
  });
}

async function measure(port: number, pid: number, nodes: number, concurrency: number): Promise<void> {
  const nodeNames = Array.from({ length: nodes }, (_, i) => nodeName(i));
  const body = (i: number, names: readonly string[]) => podBody(`bench-${concurrency}-${i}`, names);
  // Warm up (JIT), not counted.
  for (let i = 0; i < 20; i++) await post(port, '/scheduler/predicates', body(-i - 1, nodeNames));
  const filterMs: number[] = [];
  const prioritizeMs: number[] = [];
  const before = processStats(pid);
  const started = Date.now();
  let feasible = 0;
  await inParallel(Array.from({ length: requestCount }, (_, i) => i), concurrency, async (i) => {
    const filtered = await post(port, '/scheduler/predicates', body(i, nodeNames));
    filterMs.push(filtered.ms);
    const kept = (JSON.parse(filtered.text) as { NodeNames: string[] }).NodeNames;
    feasible = kept.length;
    prioritizeMs.push((await post(port, '/scheduler/priorities', body(i, kept))).ms);
  });
  const seconds = (Date.now() - started) / 1000;
  const after = processStats(pid);
  const metrics = await httpGet(`http://127.0.0.1:${port}/metrics`);
  const heapUsed = Number(/^nodejs_heap_size_used_bytes\{[^}]*\} (\d+)/m.exec(metrics.body)?.[1] ?? 0) / 2 ** 20;
  const cpuMsPerRequest = ((after.cpuSeconds - before.cpuSeconds) * 1000) / (2 * requestCount);
  for (const [verb, list] of [['filter', filterMs], ['prioritize', prioritizeMs]] as const) {
    const sorted = [...list].sort((a, b) => a - b);
    console.log(`  ${verb.padEnd(10)} c=${concurrency}  p50 ${fmt(quantile(sorted, 0.5))} ms  p99 ${fmt(quantile(sorted, 0.99))} ms  max ${fmt(sorted.at(-1) ?? 0)} ms`);
  }
  console.log(`  ${requestCount} pods (filter + prioritize) in ${seconds.toFixed(2)} s: ${((2 * requestCount) / seconds).toFixed(0)} requests/s, extender CPU ${cpuMsPerRequest.toFixed(2)} ms/request, RSS ${after.rssMiB.toFixed(0)} MiB (peak ${after.peakRssMiB.toFixed(0)} MiB, V8 heap used ${heapUsed.toFixed(0)} MiB), ${feasible} feasible nodes, load average ${loadAverage()}`);
}

const cp = await startControlPlane({ apiServerFlags: ['--max-requests-inflight=800', '--max-mutating-requests-inflight=400'] });
let extender: ChildProcess | undefined;
try {
  await installCrds(rawApi(cp), [...crdManifests, volumeSnapshotCrd] as never);
  const api = new KubeApi(loadKubeConfig(cp.kubeconfigPath));
  await api.createIfAbsent({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  for (const object of sharedObjects()) await api.createIfAbsent(object);
  let loaded = 0;
  for (const size of sizes) {
    const t0 = Date.now();
    await load(api, loaded, size);
    loaded = size;
    console.log(`\n${size} nodes × 2 VGs, ${size * PVS_PER_NODE} bound PVs and PVCs (loaded in ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    const [port = 0] = await freePorts(1);
    const startedAt = Date.now();
    extender = spawn(process.execPath, [...EXTENDER_NODE_OPTIONS, cli, 'extender', `--port=${port}`, '--bind-address=127.0.0.1', `--kubeconfig=${cp.kubeconfigPath}`, '--strategy=binpack', '--log-level=warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
    await waitFor('extender ready', async () => (await httpGet(`http://127.0.0.1:${port}/readyz`)).status === 200, { timeoutMs: 300_000, intervalMs: 50 });
    console.log(`  caches synced ${((Date.now() - startedAt) / 1000).toFixed(1)} s after the process started (node start-up included), load average ${loadAverage()}`);
    for (const concurrency of [1, 4]) await measure(port, extender.pid ?? 0, size, concurrency);
    extender.kill('SIGTERM');
    await new Promise((r) => extender?.once('exit', r));
    extender = undefined;
  }
} finally {
  extender?.kill('SIGKILL');
  agent.destroy();
  await cp.stop();
}
