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
 * Also prints where the time to Ready went (operator-timeline.ts: each node's Job created → pod created → bound →
 * ended → Job Complete → Node marked) and the operator's heap over the run (sampled from its /metrics). The
 * operator runs as the image runs it: the compiled JavaScript (`dist/`, from `npm run build`) with the install's
 * V8 flags (`--v8-flags="..."` tries others); `--source` runs the TypeScript through tsx instead.
 * `--heap-snapshots DIR` writes two V8 heap snapshots there (when half the nodes are Ready and after the steady
 * window) for operator-heap.ts; taking one pauses the operator and doubles its RSS for a moment, so that run's time
 * and RSS figures are not the ones to report.
 *
 *   npm run build && npm run bench:operator -- [--nodes 1000] [--concurrency 50] [--steady-seconds 300]
 *     [--v8-flags="--max-old-space-size=384 --max-semi-space-size=4"] [--source] [--heap-snapshots DIR]
 *     [--kwok-parallelism 32] [--lease-seconds 40] [--kwok-lease-parallelism 16]
 */
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { crdManifests } from '../../api/generated/crds.js';
import { CSI_DRIVER_NAME } from '../../api/group.js';
import type { OpenLocalCluster } from '../../api/generated/types.js';
import { KubeApi } from '../../lib/kube-api.js';
import type { KubeObject } from '../../lib/kube-object.js';
import { loadKubeConfig } from '../../lib/kube-config.js';
import { OPERATOR_ENV, OPERATOR_NODE_OPTIONS } from '../../synth/install/operator-install.js';
import { KWOK_CONTROLLER_MANAGER, SCALE_API_SERVER_FLAGS, SCALE_SCHEDULER, startControlPlane } from '../env/control-plane.js';
import { createKwokNodes, KWOK_LEASE_PARALLELISM, KWOK_NODE_LEASE_SECONDS, KWOK_PLAY_PARALLELISM, startKwok, waitKwokNodesReady } from '../env/kwok.js';
import { freePorts } from '../env/net.js';
import { startProcess } from '../env/processes.js';
import { loadExample, withField } from '../fixtures/examples.js';
import { installCrds, rawApi } from '../integration/support/raw-api.js';
import { volumeSnapshotClassCrd } from '../integration/support/snapshot-crds.js';
import { describeTimelines, nodeTimelines, type AuditEvent, type TimelineJob, type TimelinePod } from './operator-timeline.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '50' },
    'steady-seconds': { type: 'string', default: '300' },
    source: { type: 'boolean', default: false },
    'v8-flags': { type: 'string', default: OPERATOR_NODE_OPTIONS.join(' ') },
    'heap-snapshots': { type: 'string' },
    // kwok's Stage plays at once (test/env/kwok.ts: where a real node has its own kubelet, kwok's default 4 serves
    // the whole fleet); 4 shows how the figures looked when kwok queued every pod.
    'kwok-parallelism': { type: 'string', default: String(KWOK_PLAY_PARALLELISM) },
    // The Node Leases' duration; kwok renews each at a quarter of it, as a kubelet does (40 s: every 10 s). At
    // 5,000 Nodes that is 500 Lease writes a second, more than this 2-core machine's kube-apiserver keeps up with
    // beside anything else: Nodes go NotReady before the operator starts. A longer lease (the node lifecycle
    // controller's grace period grows with it) measures the operator there.
    'lease-seconds': { type: 'string', default: String(KWOK_NODE_LEASE_SECONDS) },
    // How many Leases kwok renews at once (test/env/kwok.ts: kwok's own default, 4, falls behind at 5,000 Nodes).
    'kwok-lease-parallelism': { type: 'string', default: String(KWOK_LEASE_PARALLELISM) },
  },
});
const nodeCount = Number(values.nodes);
const concurrency = Number(values.concurrency);
const steadySeconds = Number(values['steady-seconds']);
const kwokParallelism = Number(values['kwok-parallelism']);
const leaseSeconds = Number(values['lease-seconds']);
const leaseParallelism = Number(values['kwok-lease-parallelism']);
const v8Flags = values['v8-flags'].split(' ').filter((f) => f !== '');
for (const [flag, v] of [['--nodes', nodeCount], ['--concurrency', concurrency], ['--steady-seconds', steadySeconds], ['--kwok-parallelism', kwokParallelism], ['--lease-seconds', leaseSeconds], ['--kwok-lease-parallelism', leaseParallelism]] as const) {
  if (!Number.isInteger(v) || v < 0) throw new Error(`${flag} must be a whole number, got ${String(v)}`);
}
const GV = 'csi.aliyun.com/v1alpha1';
const cli = resolve(import.meta.dirname, '..', '..', ...(values.source ? ['bin', 'open-local.js'] : ['dist', 'bin', 'open-local.js']));
if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first (the bench runs the compiled operator, as the image does)`);
const snapshotDir = values['heap-snapshots'] === undefined ? undefined : resolve(values['heap-snapshots']);
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

/**
 * The whole machine's CPU time so far (/proc/stat's first line, in seconds): busy (everything but idle and iowait)
 * and the cores' total. Beside each process's own seconds it shows when the machine, not one process, was the limit.
 */
function machineCpu(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: (total - idle) / CLK_TCK, total: total / CLK_TCK };
}

/** kube-apiserver's audit events so far (only the operator's are logged). */
function auditEvents(logPath: string): AuditEvent[] {
  let text: string;
  try {
    text = readFileSync(logPath, 'utf8');
  } catch {
    return []; // nothing audited yet
  }
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as AuditEvent);
}

/** The operator's requests by verb (get, list, watch, create, patch, ...) in kube-apiserver's audit log. */
function auditedRequests(logPath: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of auditEvents(logPath)) {
    if (e.user?.username !== OPERATOR_USER || !e.verb) continue;
    // A watch is counted when it starts (it may never complete); everything else when it completes.
    if (e.stage === (e.verb === 'watch' ? 'ResponseStarted' : 'ResponseComplete')) out.set(e.verb, (out.get(e.verb) ?? 0) + 1);
  }
  return out;
}

/** The operator's writes received since `since` (ms since the epoch), one line each: when, verb, object; at most 20. */
function writesSince(logPath: string, since: number): string[] {
  const writes = auditEvents(logPath).filter((e) => e.user?.username === OPERATOR_USER && e.stage === 'ResponseComplete' && WRITE_VERBS.has(e.verb ?? '') && Date.parse(e.requestReceivedTimestamp ?? '') >= since);
  return writes.slice(0, 20).map((e) => {
    const r = e.objectRef ?? {};
    return `+${((Date.parse(e.requestReceivedTimestamp ?? '') - since) / 1000).toFixed(1)} s: ${e.verb ?? ''} ${r.resource ?? ''}${r.subresource ? `/${r.subresource}` : ''} ${r.namespace ? `${r.namespace}/` : ''}${r.name ?? ''} (HTTP ${e.responseStatus?.code ?? '?'})`;
  });
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

/** The operator's reconciles so far (open_local_operator_reconcile_duration_seconds): how many, and their seconds. */
async function reconciles(port: number): Promise<{ count: number; seconds: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const total = (suffix: string) => [...text.matchAll(new RegExp(`^open_local_operator_reconcile_duration_seconds_${suffix}\\{[^}]*\\} (\\S+)`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
  return { count: total('count'), seconds: total('sum') };
}

/** The operator's heap figures (bytes) from its /metrics: prom-client's default Node.js metrics. */
async function operatorHeap(port: number): Promise<{ used: number; total: number; external: number } | undefined> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
    return { used: value('nodejs_heap_size_used_bytes'), total: value('nodejs_heap_size_total_bytes'), external: value('nodejs_external_memory_bytes') };
  } catch {
    return undefined; // not serving yet, or exited
  }
}

/** Asks the operator (started with --heapsnapshot-signal=SIGUSR2) for a heap snapshot; waits until it is written. */
async function heapSnapshot(pid: number, cwd: string, label: string): Promise<void> {
  if (!snapshotDir) return;
  const before = new Set(await readdir(cwd));
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + 300_000;
  for (;;) {
    const file = (await readdir(cwd)).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    // V8 writes the file in one go and closes it; its size stops changing when it is done.
    if (file) {
      let last = -1;
      for (;;) {
        const size = readFileSync(join(cwd, file)).length;
        if (size === last && size > 0) break;
        last = size;
        await new Promise((r) => setTimeout(r, 2000));
      }
      await mkdir(snapshotDir, { recursive: true });
      await copyFile(join(cwd, file), join(snapshotDir, `operator-${label}.heapsnapshot`));
      console.log(`  heap snapshot (${label}) written to ${join(snapshotDir, `operator-${label}.heapsnapshot`)}; load ${load()}`);
      return;
    }
    if (Date.now() > deadline) throw new Error('the operator wrote no heap snapshot within 5 min');
    await new Promise((r) => setTimeout(r, 1000));
  }
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
console.log(`open-local operator benchmark: ${nodeCount} kwok nodes, prepare-VG concurrency ${concurrency}, steady window ${steadySeconds} s, kwok playing ${kwokParallelism} Stages and renewing ${leaseParallelism} Leases at once, Node Leases of ${leaseSeconds} s, operator ${values.source ? 'TypeScript through tsx' : 'compiled'} with ${v8Flags.join(' ')} and ${Object.entries(OPERATOR_ENV).map(([k, v]) => `${k}=${v}`).join(' ')}; load ${load()}`);
const cp = await startControlPlane({
  // The grace period before a Node whose Lease is not renewed goes NotReady: kube-controller-manager's 50 s for
  // 40 s leases, as long again as a longer lease for longer ones.
  withControllerManager: leaseSeconds === KWOK_NODE_LEASE_SECONDS ? KWOK_CONTROLLER_MANAGER : { ...KWOK_CONTROLLER_MANAGER, flags: [...(KWOK_CONTROLLER_MANAGER.flags ?? []), `--node-monitor-grace-period=${Math.round(leaseSeconds * 1.25)}s`] },
  withScheduler: SCALE_SCHEDULER,
  apiServerFlags: [...SCALE_API_SERVER_FLAGS, `--audit-policy-file=${auditPolicy}`, `--audit-log-path=${auditLog}`, '--audit-log-format=json', '--audit-log-maxsize=0'],
});
const kwok = await startKwok(cp, { playParallelism: kwokParallelism, leaseParallelism, nodeLeaseDurationSeconds: leaseSeconds });
let stopOperator = (): Promise<void> => Promise.resolve();
try {
  await installCrds(rawApi(cp), [...crdManifests, volumeSnapshotClassCrd]);
  const api = new KubeApi(loadKubeConfig(cp.kubeconfigPath));
  const t = Date.now();
  await createKwokNodes(api, nodeCount, { csiDrivers: [CSI_DRIVER_NAME] });
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
  const snapshotFlags = snapshotDir ? ['--heapsnapshot-signal=SIGUSR2'] : [];
  // Tracked like the control plane: an interrupted bench leaves no operator behind. Its log keeps errors only.
  const operator = startProcess({
    name: 'operator',
    command: process.execPath,
    args: [...v8Flags, ...snapshotFlags, cli, 'operator', `--kubeconfig=${opKubeconfig}`, '--leader-elect=false', `--http-addr=127.0.0.1:${port}`, '--log-level=error'],
    logPath: join(cp.dir, 'logs', 'operator.log'),
    cwd: benchDir,
    env: { ...process.env, ...OPERATOR_ENV },
  });
  const operatorPid = operator.pid;
  stopOperator = async () => {
    await operator.stop();
  };
  await new Promise((r) => setTimeout(r, 3000));

  const peers = [...cp.processes, kwok.process].map((p) => ({ name: p.name, pid: p.pid, cpu0: usage(p.pid)?.cpu ?? 0 }));
  const opCpu0 = usage(operatorPid)?.cpu ?? 0;
  const opRss0 = usage(operatorPid)?.peakRss ?? 0;
  const machine0 = machineCpu();
  const cluster = withField(loadExample('minimal.yaml'), 'spec.prepareVolumeGroups.concurrency', concurrency);
  const start = Date.now();
  // The heap over the run: its peak and when it came, to tell a peak from a steady level.
  let heapPeak = { used: 0, total: 0, external: 0, at: 0 };
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const h = await operatorHeap(port);
      if (h && h.used > heapPeak.used) heapPeak = { ...h, at: (Date.now() - start) / 1000 };
      await new Promise((r) => setTimeout(r, 2000));
    }
  })();
  console.log(`  OpenLocalCluster created; load ${load()}`);
  await api.request('POST', `/apis/${GV}/openlocalclusters`, { body: cluster });
  let available: number | undefined;
  let ready: OpenLocalCluster | undefined;
  let lastReport = start;
  let halfSnapshot = false;
  // Generous: on the shared 2-core machine other work can slow everything several times over.
  const limitMs = Math.max(1_800_000, nodeCount * 1200);
  while (!ready) {
    const c = await api.get<OpenLocalCluster>(GV, 'OpenLocalCluster', 'open-local');
    const status = (type: string) => c?.status?.conditions?.find((x) => x.type === type)?.status;
    if (available === undefined && status('ComponentsAvailable') === 'True') available = Date.now() - start;
    if (status('Ready') === 'True') ready = c;
    else {
      if (!halfSnapshot && (c?.status?.nodeCounts?.ready ?? 0) >= nodeCount / 2) {
        halfSnapshot = true;
        await heapSnapshot(operatorPid, benchDir, 'half-ready');
      }
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
  const heapAtReady = heapPeak;
  const loadAtReady = load();
  const opAtReady = usage(operatorPid);
  const machineAtReady = machineCpu();
  const peersAtReady = peers.map((p) => ({ ...p, at: usage(p.pid) }));
  await new Promise((r) => setTimeout(r, 2000)); // the audit log is written in the background
  const toReady = auditedRequests(auditLog);
  const countedUntil = Date.now();
  const ownToReady = await operatorMetrics(port);
  const reconciled = await reconciles(port);
  const statusBytes = Buffer.byteLength(JSON.stringify(ready.status));
  const jobs = (await api.list<KubeObject & { status?: { succeeded?: number } }>('batch/v1', 'Job', { namespace: 'open-local' })).items;
  const ds = await api.get<KubeObject & { status?: { numberAvailable?: number } }>('apps/v1', 'DaemonSet', 'open-local-node', 'open-local');
  const pods = (await api.list<KubeObject>('v1', 'Pod', { namespace: 'open-local', labelSelector: 'app.kubernetes.io/component=open-local-prepare-vg' })).items;
  const timelines = nodeTimelines({ start, jobs: jobs as unknown as TimelineJob[], pods: pods as unknown as TimelinePod[], audit: auditEvents(auditLog), user: OPERATOR_USER });

  console.log(`\nopen-local operator, ${nodeCount} kwok nodes, prepare-VG concurrency ${concurrency} (load at Ready: ${loadAtReady})`);
  console.log(`  CR created → ComponentsAvailable: ${available === undefined ? 'never' : `${(available / 1000).toFixed(1)} s`}`);
  console.log(`  CR created → Ready:               ${(readyMs / 1000).toFixed(1)} s`);
  console.log(`  prepare-VG Jobs succeeded:        ${jobs.filter((j) => (j.status?.succeeded ?? 0) > 0).length}/${jobs.length}; open-local-node DaemonSet available ${ds?.status?.numberAvailable ?? 0}`);
  console.log(`  API requests by the operator until Ready (kube-apiserver audit log, user ${OPERATOR_USER}):`);
  console.log(`    ${fmt(toReady)}; total ${sum(toReady)} (${(sum(toReady) / Math.max(1, nodeCount)).toFixed(2)} per node), writes ${sum(toReady, (v) => WRITE_VERBS.has(v))}`);
  console.log(`    the operator's own open_local_kube_requests_total (HTTP methods, since start): ${fmt(ownToReady)}; total ${sum(ownToReady)}`);
  console.log(`  operator peak RSS:                ${mib(opAtReady?.peakRss ?? 0)} (${mib(opRss0)} before the CR); CPU until Ready ${((opAtReady?.cpu ?? 0) - opCpu0).toFixed(1)} s`);
  console.log(`  operator reconciles until Ready:  ${reconciled.count}, ${reconciled.seconds.toFixed(1)} s in all (${((reconciled.seconds / Math.max(1, reconciled.count)) * 1000).toFixed(0)} ms each on average)`);
  console.log(`  operator heap peak (2 s samples): ${mib(heapAtReady.used)} used of ${mib(heapAtReady.total)}, ${mib(heapAtReady.external)} external, ${heapAtReady.at.toFixed(0)} s after the CR`);
  console.log(`  status size:                      ${(statusBytes / 1024).toFixed(1)} KiB (${statusBytes} bytes)`);
  console.log('  control plane, CR created → Ready (CPU seconds; peak RSS since start):');
  for (const p of peersAtReady) console.log(`    ${p.name.padEnd(24)} ${((p.at?.cpu ?? 0) - p.cpu0).toFixed(1).padStart(7)} s  ${mib(p.at?.peakRss ?? 0).padStart(9)}`);
  const busy = machineAtReady.busy - machine0.busy;
  const capacity = machineAtReady.total - machine0.total;
  const opShare = (opAtReady?.cpu ?? 0) - opCpu0;
  console.log(`  the machine, CR created → Ready:  ${busy.toFixed(0)} of ${capacity.toFixed(0)} CPU seconds busy (${((100 * busy) / Math.max(1, capacity)).toFixed(0)}%, all processes); the operator's share ${((100 * opShare) / Math.max(1, busy)).toFixed(0)}%`);
  console.log('  where the time went (each prepared node, s after the CR):');
  for (const line of describeTimelines(timelines)) console.log(`    ${line}`);

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
    for (const line of writesSince(auditLog, countedUntil)) console.log(`      ${line}`);
    console.log(`    operator CPU ${((opAfter?.cpu ?? 0) - (opBefore?.cpu ?? 0)).toFixed(1)} s, peak RSS ${mib(opAfter?.peakRss ?? 0)}; heap used now ${mib((await operatorHeap(port))?.used ?? 0)}`);
    for (const p of peersBefore) {
      const after = usage(p.pid);
      console.log(`    ${p.name.padEnd(24)} ${((after?.cpu ?? 0) - (p.at?.cpu ?? 0)).toFixed(1).padStart(7)} s  ${mib(after?.peakRss ?? 0).padStart(9)}`);
    }
  }
  sampling = false;
  await sampler;
  await heapSnapshot(operatorPid, benchDir, 'steady');
} finally {
  await stopOperator();
  await kwok.stop();
  await cp.stop();
  await rm(benchDir, { recursive: true, force: true });
}
