/**
 * The load generator of `npm run bench:extender`, in a process of its own so that its latency figures carry the
 * extender's pauses and not the bench's: the bench process has loaded tens of thousands of objects into the API
 * server, and its garbage collections landed inside requests it was timing. Sends filter and prioritize as
 * kube-scheduler does (nodeCacheCapable: all node names; prioritize with the nodes filter kept; every pod a new one)
 * and prints latency, requests per second, the extender's CPU per request (from /proc) and its RSS and heap.
 *
 *   node --import tsx test/bench/extender-client.ts <port> <extender pid> <nodes> <concurrency> <requests>
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { httpGet } from '../env/net.js';
import { inParallel, loadAverage, nodeName, podBody, quantile } from './extender-fixture.js';

const args = process.argv.slice(2).map(Number);
if (args.length !== 5 || !args.every((n) => Number.isInteger(n) && n > 0)) throw new Error('usage: extender-client.ts <port> <extender pid> <nodes> <concurrency> <requests>');
const [port, pid, nodes, concurrency, requestCount] = args as [number, number, number, number, number];

function processStats(pid: number): { cpuSeconds: number; rssMiB: number; peakRssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { cpuSeconds: ticks / 100, rssMiB: kb('VmRSS') / 1024, peakRssMiB: kb('VmHWM') / 1024 };
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });
function post(path: string, body: string): Promise<{ ms: number; text: string }> {
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

async function measure(): Promise<void> {
  const nodeNames = Array.from({ length: nodes }, (_, i) => nodeName(i));
  const body = (i: number, names: readonly string[]) => podBody(`bench-${concurrency}-${i}`, names);
  // Warm up (JIT), not counted.
  for (let i = 0; i < 20; i++) await post('/scheduler/predicates', body(-i - 1, nodeNames));
  const filterMs: number[] = [];
  const prioritizeMs: number[] = [];
  const before = processStats(pid);
  const started = Date.now();
  let feasible = 0;
  await inParallel(Array.from({ length: requestCount }, (_, i) => i), concurrency, async (i) => {
    const filtered = await post('/scheduler/predicates', body(i, nodeNames));
    filterMs.push(filtered.ms);
    const kept = (JSON.parse(filtered.text) as { NodeNames: string[] }).NodeNames;
    feasible = kept.length;
    prioritizeMs.push((await post('/scheduler/priorities', body(i, kept))).ms);
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

try {
  await measure();
} finally {
  agent.destroy();
}
