/**
 * Benchmark (prints figures; asserts nothing): the extender as its own process against a real kube-apiserver
 * loaded with N NodeLocalStorages × 2 VGs and 4 bound PVs per node (5,000 nodes: 20,000 PVs and their PVCs), and a
 * pod with 3 unbound PVCs. A load generator of its own (extender-client.ts) sends filter and prioritize as
 * kube-scheduler does (nodeCacheCapable: all node names; prioritize with the nodes filter kept; every pod a new one),
 * at concurrency 1 and 4, and prints p50/p99/max latency, requests per second, extender CPU per request and RSS;
 * this process prints the time from start to every cache synced.
 * Runs at 500 nodes, then grows the same cluster to 5,000.
 *
 *   npm run build && npm run bench:extender -- [--sizes 500,5000] [--requests 200] [--source]
 *
 * The extender runs as the image runs it: the compiled JavaScript (`dist/`, from `npm run build`), with the image's
 * V8 heap limits (EXTENDER_NODE_OPTIONS). `--source` runs the TypeScript entry point through tsx instead, to show
 * what the loader costs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
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
import { inParallel, loadAverage, NS, nodeStorage, nodeVolume, PVS_PER_NODE, sharedObjects } from './extender-fixture.js';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '500,5000' }, requests: { type: 'string', default: '200' }, source: { type: 'boolean', default: false } } });
const sizes = values.sizes.split(',').map(Number);
const requestCount = Number(values.requests);
const cli = resolve(import.meta.dirname, '..', '..', ...(values.source ? ['bin', 'open-local.js'] : ['dist', 'bin', 'open-local.js']));
if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first (the bench runs the compiled extender, as the image does)`);

/** The load generator (see its header), run once per concurrency. */
const CLIENT = resolve(import.meta.dirname, 'extender-client.ts');

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
    for (const concurrency of [1, 4]) {
      const client = spawn(process.execPath, ['--import', 'tsx', CLIENT, String(port), String(extender.pid ?? 0), String(size), String(concurrency), String(requestCount)], { stdio: 'inherit' });
      const code = await new Promise((r) => client.once('exit', r));
      if (code !== 0) throw new Error(`the bench client exited with ${String(code)}`);
    }
    extender.kill('SIGTERM');
    await new Promise((r) => extender?.once('exit', r));
    extender = undefined;
  }
} finally {
  extender?.kill('SIGKILL');
  await cp.stop();
}
