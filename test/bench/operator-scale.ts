/**
 * Benchmark (prints figures; asserts nothing): N Nodes in a real kube-apiserver, one OpenLocalCluster, the
 * operator as its own process, the benchmark playing kubelet and Job controller. Reports the time from CR
 * creation to Ready, the API requests the operator issued (by verb), and its peak RSS.
 *
 *   npm run bench:operator -- [--nodes 1000] [--concurrency 50]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { crdManifests } from '../../api/generated/crds.js';
import type { OpenLocalCluster } from '../../api/generated/types.js';
import { KubeApi } from '../../lib/kube-api.js';
import type { KubeObject } from '../../lib/kube-object.js';
import { loadKubeConfig } from '../../lib/kube-config.js';
import { OPERATOR_MAX_HEAP_MB } from '../../synth/install/operator-install.js';
import { startControlPlane } from '../env/control-plane.js';
import { freePorts } from '../env/net.js';
import { loadExample, withField } from '../fixtures/examples.js';
import { createNode, finishPrepareVgJob, markAvailable, prepareResult } from '../integration/support/kubelet-play.js';
import { installCrds, rawApi } from '../integration/support/raw-api.js';
import { volumeSnapshotClassCrd } from '../integration/support/snapshot-crds.js';

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '1000' }, concurrency: { type: 'string', default: '50' } } });
const nodeCount = Number(values.nodes);
const concurrency = Number(values.concurrency);
const GV = 'csi.aliyun.com/v1alpha1';
const cli = resolve(import.meta.dirname, '..', '..', 'bin', 'open-local.js');

const cp = await startControlPlane({ apiServerFlags: ['--max-requests-inflight=800', '--max-mutating-requests-inflight=400'] });
try {
  await installCrds(rawApi(cp), [...crdManifests, volumeSnapshotClassCrd]);
  const api = new KubeApi(loadKubeConfig(cp.kubeconfigPath));
  const t0 = Date.now();
  for (let i = 0; i < nodeCount; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, nodeCount - i) }, (_, k) => createNode(api, `node-${String(i + k).padStart(5, '0')}`)));
  }
  console.log(`created ${nodeCount} nodes in ${((Date.now() - t0) / 1000).toFixed(1)}s`);

  const [port = 0] = await freePorts(1);
  const operator = spawn(process.execPath, [`--max-old-space-size=${OPERATOR_MAX_HEAP_MB}`, cli, 'operator', `--kubeconfig=${cp.kubeconfigPath}`, '--leader-elect=false', `--http-addr=127.0.0.1:${port}`, '--log-level=error'], { stdio: ['ignore', 'ignore', 'inherit'] });
  let peakRss = 0;
  const rssTimer = setInterval(() => {
    try {
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${operator.pid ?? 0}/status`, 'utf8'));
      peakRss = Math.max(peakRss, Number(hwm?.[1] ?? 0) * 1024);
    } catch {
      // the process has exited
    }
  }, 200);
  await new Promise((r) => setTimeout(r, 2000));

  const cluster = withField(loadExample('minimal.yaml'), 'spec.prepareVolumeGroups.concurrency', concurrency);
  const start = Date.now();
  await api.request('POST', `/apis/${GV}/openlocalclusters`, { body: cluster });

  // Play kubelet + Job controller: finish every Job as soon as it appears; mark the workloads available.
  const finished = new Set<string>();
  let ready: OpenLocalCluster | undefined;
  let marked = false;
  while (!ready) {
    const jobs = (await api.list<KubeObject>('batch/v1', 'Job', { namespace: 'open-local' })).items.filter((j) => !finished.has(j.metadata?.name ?? '') && !j.metadata?.deletionTimestamp);
    await Promise.all(jobs.map(async (j) => {
      finished.add(j.metadata?.name ?? '');
      const node = j.metadata?.annotations?.['csi.aliyun.com/node-name'] ?? '';
      await finishPrepareVgJob(api, j, prepareResult(node, j.metadata?.annotations?.['csi.aliyun.com/storage-config-hash'] ?? ''), true);
    }));
    const c = await api.get<OpenLocalCluster>(GV, 'OpenLocalCluster', 'open-local');
    if (!marked && c?.status?.nodeCounts?.ready === nodeCount) {
      for (const kind of ['Deployment', 'DaemonSet']) {
        for (const w of (await api.list<KubeObject & { spec?: { replicas?: number } }>('apps/v1', kind, { namespace: 'open-local' })).items) await markAvailable(api, w, nodeCount);
      }
      marked = true;
    }
    if (c?.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'True') ready = c;
    else await new Promise((r) => setTimeout(r, 250));
  }
  const seconds = (Date.now() - start) / 1000;
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const requests = [...metrics.matchAll(/^open_local_kube_requests_total\{verb="(\w+)",code="(\d+)"[^}]*\} (\d+)/gm)].map((m) => ({ verb: m[1] ?? '', code: m[2] ?? '', n: Number(m[3]) }));
  const byVerb = new Map<string, number>();
  for (const r of requests) byVerb.set(r.verb, (byVerb.get(r.verb) ?? 0) + r.n);
  const statusBytes = JSON.stringify(ready.status).length;
  clearInterval(rssTimer);
  operator.kill('SIGTERM');
  console.log(`\nopen-local operator, ${nodeCount} nodes, prepare-VG concurrency ${concurrency}`);
  console.log(`  CR created → Ready:          ${seconds.toFixed(1)} s`);
  console.log(`  prepare-VG Jobs finished:    ${finished.size}`);
  console.log(`  API requests by the operator: ${[...byVerb].map(([v, n]) => `${v} ${n}`).join(', ')} (total ${[...byVerb.values()].reduce((a, b) => a + b, 0)})`);
  console.log(`  operator peak RSS:           ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
  console.log(`  status size:                 ${(statusBytes / 1024).toFixed(0)} KiB`);
} finally {
  await cp.stop();
}
