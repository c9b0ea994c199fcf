/**
 * Benchmark (prints figures; asserts nothing): the operator as its own process on N kwok Nodes (kubelet-sized,
 * Leases and status heartbeats) with the real kube-controller-manager (Job, DaemonSet, Deployment, ReplicaSet,
 * node lifecycle) and kube-scheduler. kwok runs the pods; prepare-VG pods end with a prepare-vg result built from
 * their own node and config hash (test/env/kwok/prepare-vg-complete.yaml). Nothing is finished by the benchmark.
 *
 * Prints: CR → ComponentsAvailable and → Ready; the operator's API requests by verb, counted by kube-apiserver's
 * audit log for the operator's own ServiceAccount (and, as a cross-check, by the operator's
 * open_local_kube_requests_total); the operator's peak RSS and CPU seconds; status size; the operator's writes over
 * a steady window; and each control-plane peer's CPU seconds and peak RSS, so a control-plane limit shows.
 *
 *   npm run bench:operator -- [--nodes 1000] [--concurrency 50] [--steady-seconds 300]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { crdManifests } from '../../api/generated/crds.js';
import type { OpenLocalCluster } from '../../api/generated/types.js';
import { KubeApi } from '../../lib/kube-api.js';
import type { KubeObject } from '../../lib/kube-object.js';
import { loadKubeConfig } from '../../lib/kube-config.js';
import { OPERATOR_MAX_HEAP_MB } from '../../synth/install/operator-install.js';
import { KWOK_CONTROLLER_MANAGER, SCALE_API_SERVER_FLAGS, SCALE_SCHEDULER, startControlPlane } from '../env/control-plane.js';
import { createKwokNodes, startKwok, waitKwokNodesReady } from '../env/kwok.js';
import { freePorts } from '../env/net.js';
import { loadExample, withField } from '../fixtures/examples.js';
import { installCrds, rawApi } from '../integration/support/raw-api.js';
import { volumeSnapshotClassCrd } from '../integration/support/snapshot-crds.js';

const { values } = parseArgs({
  options: { nodes: { type: 'string', default: '1000' }, concurrency: { type: 'string', default: '50' }, 'steady-seconds': { type: 'string', default: '300' } },
});
const nodeCount = Number(values.nodes);
const concurrency = Number(values.concurrency);
const steadySeconds = Number(values['steady-seconds']);
for (const [flag, v] of [['--nodes', nodeCount], ['--concurrency', concurrency], ['--steady-seconds', steadySeconds]] as const) {
  if (!Number.isInteger(v) || v < 0) throw new Error(`${flag} must be a whole number, got ${String(v)}`);
}
const GV = 'csi.aliyun.com/v1alpha1';
const cli = resolve(import.meta.dirname, '..', '..', 'bin', 'open-local.js');
const OPERATOR_SA = { namespace: 'open-local-bench', name: 'operator' };
const OPERATOR_USER = `system:serviceaccount:${OPERATOR_SA.namespace}:${OPERATOR_SA.name}`;
const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);
const CLK_TCK = 100; // Linux's USER_HZ on every platform Kubernetes runs on

/** CPU seconds (user + system) and peak RSS (VmHWM) of a live process, from /proc. */
function usage(pid: number): { cpu: number; peakRss: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime (fields 14 and 15 of stat)
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { cpu, peakRss: Number(hwm?.[1] ?? 0) * 1024 };
  } catch {
    return undefined; // exited
  }
}

/** The operator's requests by verb (get, list, watch, create, patch, ...) in kube-apiserver's audit log. */
function auditedRequests(logPath: string): Map<string, number> {
  const out = new Map<string, number>();
  let text: string;
  try {
    text = readFileSync(logPath, 'utf8');
  } catch {
    return out; // nothing audited yet
  }
  for (const line of text.split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line) as { verb?: string; stage?: string; user?: { username?: string } };
    if (e.user?.username !== OPERATOR_USER || !e.verb) continue;
    // A watch is counted when it starts (it may never complete); everything else when it completes.
    if (e.stage === (e.verb === 'watch' ? 'ResponseStarted' : 'ResponseComplete')) out.set(e.verb, (out.get(e.verb) ?? 0) + 1);
  }
  return out;
}

const sum = (m: ReadonlyMap<string, number>, pick: (verb: string) => boolean = () => true): number =>
  [...m].filter(([v]) => pick(v)).reduce((n, [, c]) => n + c, 0);
const diff = (a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): Map<string, number> =>
  new Map([...a].map(([v, n]) => [v, n - (b.get(v) ?? 0)] as const).filter(([, n]) => n !== 0));
const fmt = (m: ReadonlyMap<string, number>): string => [...m].sort(([a], [b]) => a.localeCompare(b)).map(([v, n]) => `${v} ${n}`).join(', ') || 'none';
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

/** The operator's own request counter from its /metrics, by verb (HTTP method). */
async function operatorMetrics(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^open_local_kube_requests_total\{verb="(\w+)"[^}]*\} (\d+)/gm)) out.set(m[1] ?? '', (out.get(m[1] ?? '') ?? 0) + Number(m[2]));
  return out;
}

const benchDir = await mkdtemp(join(tmpdir(), 'open-local-bench-'));
const auditPolicy = join(benchDir, 'audit-policy.json');
const auditLog = join(benchDir, 'audit.log');
// Only the operator's requests are audited (Metadata level: no bodies), so the log costs the API server little.
await writeFile(auditPolicy, JSON.stringify({
  apiVersion: 'audit.k8s.io/v1',
  kind: 'Policy',
  omitStages: ['RequestReceived'],
  rules: [{ level: 'Metadata', users: [OPERATOR_USER] }, { level: 'None' }],
}));
console.log(`open-local operator benchmark: ${nodeCount} kwok nodes, prepare-VG concurrency ${concurrency}, steady window ${steadySeconds} s; load ${load()}`);
const cp = await startControlPlane({
  withControllerManager: KWOK_CONTROLLER_MANAGER,
  withScheduler: SCALE_SCHEDULER,
  apiServerFlags: [...SCALE_API_SERVER_FLAGS, `--audit-policy-file=${auditPolicy}`, `--audit-log-path=${auditLog}`, '--audit-log-format=json', '--audit-log-maxsize=0'],
});
const kwok = await startKwok(cp);
let stopOperator = (): void => undefined;
try {
  await installCrds(rawApi(cp), [...crdManifests, volumeSnapshotClassCrd]);
  const api = new KubeApi(loadKubeConfig(cp.kubeconfigPath));
  const t = Date.now();
  await createKwokNodes(api, nodeCount);
  console.log(`  ${nodeCount} Nodes created in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  await waitKwokNodesReady(cp, nodeCount, Math.max(120_000, nodeCount * 200));
  const sample = await api.request<unknown>('GET', '/api/v1/nodes/node-00000');
  console.log(`  all Ready ${((Date.now() - t) / 1000).toFixed(1)} s after the first was created; a Node is ${(JSON.stringify(sample).length / 1024).toFixed(1)} KiB as served`);

  // The operator runs as its own ServiceAccount, so the audit log tells its requests from everyone else's.
  const opKc = await cp.kubeConfigForServiceAccount(OPERATOR_SA.namespace, OPERATOR_SA.name, { create: true, expirationSeconds: 24 * 3600 });
  await api.request('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'open-local-bench-operator' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'ServiceAccount', ...OPERATOR_SA }] },
  });
  const opKubeconfig = join(benchDir, 'operator.kubeconfig');
  await writeFile(opKubeconfig, opKc.exportConfig(), { mode: 0o600 });
  const [port = 0] = await freePorts(1);
  const operator = spawn(process.execPath, [`--max-old-space-size=${OPERATOR_MAX_HEAP_MB}`, cli, 'operator', `--kubeconfig=${opKubeconfig}`, '--leader-elect=false', `--http-addr=127.0.0.1:${port}`, '--log-level=error'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const operatorPid = operator.pid ?? 0;
  stopOperator = () => operator.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 3000));

  const peers = [...cp.processes, kwok.process].map((p) => ({ name: p.name, pid: p.pid, cpu0: usage(p.pid)?.cpu ?? 0 }));
  const opCpu0 = usage(operatorPid)?.cpu ?? 0;
  const cluster = withField(loadExample('minimal.yaml'), 'spec.prepareVolumeGroups.concurrency', concurrency);
  const start = Date.now();
  console.log(`  OpenLocalCluster created; load ${load()}`);
  await api.request('POST', `/apis/${GV}/openlocalclusters`, { body: cluster });
  let available: number | undefined;
  let ready: OpenLocalCluster | undefined;
  let lastReport = start;
  // Generous: on the shared 2-core machine other work can slow everything several times over.
  const limitMs = Math.max(1_800_000, nodeCount * 1200);
  while (!ready) {
    const c = await api.get<OpenLocalCluster>(GV, 'OpenLocalCluster', 'open-local');
    const status = (type: string) => c?.status?.conditions?.find((x) => x.type === type)?.status;
    if (available === undefined && status('ComponentsAvailable') === 'True') available = Date.now() - start;
    if (status('Ready') === 'True') ready = c;
    else {
      if (Date.now() - lastReport > 30_000) {
        lastReport = Date.now();
        const components = c?.status?.conditions?.find((x) => x.type === 'ComponentsAvailable')?.message ?? '';
        console.log(`  … ${((Date.now() - start) / 1000).toFixed(0)} s: nodes ${JSON.stringify(c?.status?.nodeCounts ?? {})}; components: ${components}; load ${load()}`);
      }
      if (Date.now() - start > limitMs) throw new Error(`not Ready after ${limitMs / 1000} s: ${JSON.stringify(c?.status?.conditions ?? [])}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const readyMs = Date.now() - start;
  const loadAtReady = load();
  const opAtReady = usage(operatorPid);
  const peersAtReady = peers.map((p) => ({ ...p, at: usage(p.pid) }));
  await new Promise((r) => setTimeout(r, 2000)); // the audit log is written in the background
  const toReady = auditedRequests(auditLog);
  const ownToReady = await operatorMetrics(port);
  const statusBytes = Buffer.byteLength(JSON.stringify(ready.status));
  const jobs = (await api.list<KubeObject & { status?: { succeeded?: number } }>('batch/v1', 'Job', { namespace: 'open-local' })).items;
  const ds = await api.get<KubeObject & { status?: { numberAvailable?: number } }>('apps/v1', 'DaemonSet', 'open-local-node', 'open-local');

  console.log(`\nopen-local operator, ${nodeCount} kwok nodes, prepare-VG concurrency ${concurrency} (load at Ready: ${loadAtReady})`);
  console.log(`  CR created → ComponentsAvailable: ${available === undefined ? 'never' : `${(available / 1000).toFixed(1)} s`}`);
  console.log(`  CR created → Ready:               ${(readyMs / 1000).toFixed(1)} s`);
  console.log(`  prepare-VG Jobs succeeded:        ${jobs.filter((j) => (j.status?.succeeded ?? 0) > 0).length}/${jobs.length}; open-local-node DaemonSet available ${ds?.status?.numberAvailable ?? 0}`);
  console.log(`  API requests by the operator until Ready (kube-apiserver audit log, user ${OPERATOR_USER}):`);
  console.log(`    ${fmt(toReady)}; total ${sum(toReady)} (${(sum(toReady) / Math.max(1, nodeCount)).toFixed(2)} per node), writes ${sum(toReady, (v) => WRITE_VERBS.has(v))}`);
  console.log(`    the operator's own open_local_kube_requests_total (HTTP methods, since start): ${fmt(ownToReady)}; total ${sum(ownToReady)}`);
  console.log(`  operator peak RSS:                ${mib(opAtReady?.peakRss ?? 0)}; CPU until Ready ${((opAtReady?.cpu ?? 0) - opCpu0).toFixed(1)} s`);
  console.log(`  status size:                      ${(statusBytes / 1024).toFixed(1)} KiB (${statusBytes} bytes)`);
  console.log('  control plane, CR created → Ready (CPU seconds; peak RSS since start):');
  for (const p of peersAtReady) console.log(`    ${p.name.padEnd(24)} ${((p.at?.cpu ?? 0) - p.cpu0).toFixed(1).padStart(7)} s  ${mib(p.at?.peakRss ?? 0).padStart(9)}`);

  if (steadySeconds > 0) {
    const opBefore = usage(operatorPid);
    const peersBefore = peers.map((p) => ({ ...p, at: usage(p.pid) }));
    const ownBefore = await operatorMetrics(port);
    await new Promise((r) => setTimeout(r, steadySeconds * 1000));
    await new Promise((r) => setTimeout(r, 2000));
    const window = diff(auditedRequests(auditLog), toReady);
    const ownWindow = diff(await operatorMetrics(port), ownBefore);
    const opAfter = usage(operatorPid);
    console.log(`\n  steady window of ${steadySeconds} s after Ready (kwok heartbeating every node; load ${load()}):`);
    console.log(`    operator writes (audit): ${sum(window, (v) => WRITE_VERBS.has(v))}; all requests (audit): ${fmt(window)}; own counter: ${fmt(ownWindow)}`);
    console.log(`    operator CPU ${((opAfter?.cpu ?? 0) - (opBefore?.cpu ?? 0)).toFixed(1)} s, peak RSS ${mib(opAfter?.peakRss ?? 0)}`);
    for (const p of peersBefore) {
      const after = usage(p.pid);
      console.log(`    ${p.name.padEnd(24)} ${((after?.cpu ?? 0) - (p.at?.cpu ?? 0)).toFixed(1).padStart(7)} s  ${mib(after?.peakRss ?? 0).padStart(9)}`);
    }
  }
} finally {
  stopOperator();
  await kwok.stop();
  await cp.stop();
  await rm(benchDir, { recursive: true, force: true });
}
