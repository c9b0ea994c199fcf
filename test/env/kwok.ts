// kwok (sigs.k8s.io/kwok) against a test control plane: it keeps fake Nodes alive as kubelets would (a Lease
// renewed every few seconds, Node status re-reported every few minutes) and plays their pods through our Stages
// (test/env/kwok/*.yaml): bound pods run, Job pods complete, prepare-VG pods end with a prepare-vg result, deleted
// pods go. With the real kube-controller-manager (KWOK_CONTROLLER_MANAGER) and kube-scheduler, Jobs, DaemonSets
// and Deployments then roll out as in a real cluster of that many nodes, without a kubelet or a container.
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import type { KubeApi } from '../../lib/kube-api.js';
import type { ControlPlane } from './control-plane.js';
import { kubeletNode, type KubeletNodeOptions } from './kwok/kubelet-node.js';
import { freePorts, httpGet, waitFor } from './net.js';
import { peerPath } from './peers.js';
import { startProcess, tailFile, type ManagedProcess } from './processes.js';

const STAGES_DIR = join(import.meta.dirname, 'kwok');

export interface KwokStageOptions {
  /**
   * How often a Ready Node's status is re-reported (the node-heartbeat Stage's delay; kwok adds up to as much
   * again of jitter). @default 300000, the kubelet's nodeStatusReportFrequency
   */
  readonly nodeStatusReportMs?: number;
}

/** Our Stage files (test/env/kwok/*.yaml) as one multi-document YAML for `kwok -c`, with `opts` applied. */
export function kwokStages(files: readonly { name: string; text: string }[], opts: KwokStageOptions = {}): string {
  const docs = files
    .filter((f) => f.name.endsWith('.yaml'))
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((f) => parseAllDocuments(f.text).map((d) => {
      if (d.errors.length > 0) throw new Error(`test/env/kwok/${f.name}: ${d.errors.map((e) => e.message).join('; ')}`);
      return d.toJS() as { kind?: string; metadata?: { name?: string }; spec?: { delay?: Record<string, number> } };
    }));
  const names = new Set<string>();
  for (const doc of docs) {
    if (doc.kind !== 'Stage' || !doc.metadata?.name) throw new Error(`a kwok stage file holds something that is not a named Stage: ${JSON.stringify(doc).slice(0, 120)}`);
    if (names.has(doc.metadata.name)) throw new Error(`two kwok Stages are named ${doc.metadata.name}`);
    names.add(doc.metadata.name);
    if (doc.metadata.name === 'node-heartbeat' && opts.nodeStatusReportMs !== undefined && doc.spec) {
      doc.spec.delay = { durationMilliseconds: opts.nodeStatusReportMs, jitterDurationMilliseconds: opts.nodeStatusReportMs };
    }
  }
  return docs.map((d) => stringify(d)).join('---\n');
}

/** The Stage files shipped in test/env/kwok/. */
export function stageFiles(): { name: string; text: string }[] {
  return readdirSync(STAGES_DIR)
    .filter((n) => n.endsWith('.yaml'))
    .map((name) => ({ name, text: readFileSync(join(STAGES_DIR, name), 'utf8') }));
}

/** The Node Lease duration a kubelet takes by default (renewed every quarter of it), and so kwok's here. */
export const KWOK_NODE_LEASE_SECONDS = 40;
/** kwok's Stage plays at once (KwokOptions.playParallelism). */
export const KWOK_PLAY_PARALLELISM = 32;
/** kwok's Lease renewals at once (KwokOptions.leaseParallelism). */
export const KWOK_LEASE_PARALLELISM = 16;

export interface KwokOptions extends KwokStageOptions {
  /** kwok's Lease duration; it renews each Lease every quarter of it, as a kubelet does. @default 40 */
  readonly nodeLeaseDurationSeconds?: number;
  /**
   * How many pod and node Stage plays kwok runs at once. kwok's default is 4 for the whole fleet, where each real
   * node has its own kubelet starting its pods: with 4, a 1,000-node rollout (a DaemonSet pod and a prepare-VG pod
   * a node, each played twice) queues in kwok for seconds a pod, and the benchmark measured kwok, not the operator.
   * @default 32
   */
  readonly playParallelism?: number;
  /**
   * How many Node Leases kwok renews at once. Each real node's kubelet renews its own; kwok's default 4 serves the
   * whole fleet, and at 5,000 Nodes (one renewal per Node every quarter of the lease) four renewals in flight on a
   * busy kube-apiserver fall behind: Leases expire, and the node lifecycle controller takes Nodes NotReady that a
   * kubelet would have kept Ready. @default 16
   */
  readonly leaseParallelism?: number;
  /** How long kwok may take to answer /healthz. @default 60000 */
  readonly startTimeoutMs?: number;
}

export interface Kwok {
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

/**
 * kwok's own configuration document (config.kwok.x-k8s.io), which `kwok -c` reads beside the Stages. kwok applies
 * none of its defaults to a document it is given (a missing lease parallelism stops it at start), so every option
 * its defaulting sets is here, at kwok's default unless said otherwise; flags (CIDR, node IP, ...) override these.
 */
export function kwokConfiguration(opts: Pick<KwokOptions, 'playParallelism' | 'leaseParallelism'> = {}): string {
  const parallelism = opts.playParallelism ?? KWOK_PLAY_PARALLELISM;
  const leases = opts.leaseParallelism ?? KWOK_LEASE_PARALLELISM;
  for (const [what, n] of [['play', parallelism], ['lease', leases]] as const) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`kwok ${what} parallelism must be a whole number ≥ 1, not ${n}`);
  }
  return stringify({
    apiVersion: 'config.kwok.x-k8s.io/v1alpha1',
    kind: 'KwokConfiguration',
    options: {
      podPlayStageParallelism: parallelism,
      nodePlayStageParallelism: parallelism,
      nodeLeaseParallelism: leases,
      podsOnNodeSyncParallelism: 1,
      enableDebuggingHandlers: true,
      enableContentionProfiling: false,
      enableProfilingHandler: true,
      enablePodsOnNodeSyncListPager: true,
      enablePodsOnNodeSyncStreamWatch: false,
    },
  });
}

/** Starts kwok with the admin kubeconfig of `cp`, managing every Node; its log and stages live in `cp.dir`. */
export async function startKwok(cp: ControlPlane, opts: KwokOptions = {}): Promise<Kwok> {
  const bin = peerPath('kwok');
  const stagesPath = join(cp.dir, 'kwok-stages.yaml');
  await writeFile(stagesPath, `${kwokConfiguration(opts)}---\n${kwokStages(stageFiles(), opts)}`);
  const [port = 0] = await freePorts(1);
  const proc = startProcess({
    name: 'kwok',
    command: bin,
    logPath: join(cp.dir, 'logs', 'kwok.log'),
    args: [
      `--kubeconfig=${cp.kubeconfigPath}`, `--config=${stagesPath}`, '--manage-all-nodes=true',
      '--cidr=10.244.0.0/16', '--node-ip=10.1.0.1', `--node-lease-duration-seconds=${opts.nodeLeaseDurationSeconds ?? KWOK_NODE_LEASE_SECONDS}`,
      `--server-address=127.0.0.1:${port}`,
    ],
    // No $HOME/.kwok config may add to ours.
    env: { ...process.env, HOME: cp.dir },
  });
  try {
    await waitFor('kwok /healthz', async () => (await httpGet(`http://127.0.0.1:${port}/healthz`, { timeoutMs: 2000 })).status === 200, {
      timeoutMs: opts.startTimeoutMs ?? 60_000,
      intervalMs: 200,
      abort: () => {
        const info = proc.exitInfo();
        return info && `exited early (code ${info.code ?? 'none'}, signal ${info.signal ?? 'none'})`;
      },
    });
  } catch (err) {
    await proc.stop();
    throw new Error(`kwok did not start: ${err instanceof Error ? err.message : String(err)}\n--- ${proc.logPath} (tail) ---\n${tailFile(proc.logPath, 40)}`, { cause: err });
  }
  return {
    process: proc,
    async stop() {
      await proc.stop(10_000);
    },
  };
}

/** `node-00000`, `node-00001`, ...: names that sort in creation order. */
export const kwokNodeName = (index: number): string => `node-${String(index).padStart(5, '0')}`;

/** Registers `count` kubelet-shaped Nodes (kubeletNode) for kwok, `parallel` at a time; returns their names. */
export async function createKwokNodes(api: KubeApi, count: number, opts: KubeletNodeOptions & { parallel?: number; first?: number } = {}): Promise<string[]> {
  const first = opts.first ?? 0;
  const names = Array.from({ length: count }, (_, i) => kwokNodeName(first + i));
  const parallel = opts.parallel ?? 50;
  for (let i = 0; i < names.length; i += parallel) {
    await Promise.all(names.slice(i, i + parallel).map((name, k) => api.request('POST', '/api/v1/nodes', { body: kubeletNode(name, first + i + k, opts) })));
  }
  return names;
}

interface NodeTable {
  columnDefinitions: { name: string }[];
  rows: { cells: unknown[] }[];
  metadata?: { continue?: string };
}

/** One page of `kubectl get nodes` as the server renders it (Table), with the admin's token. */
function nodeTablePage(cp: ControlPlane, cont: string | undefined): Promise<NodeTable> {
  const token = cp.adminKubeConfig().getCurrentUser()?.token ?? '';
  const url = new URL('/api/v1/nodes', cp.server);
  url.searchParams.set('limit', '1000');
  if (cont) url.searchParams.set('continue', cont);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca: cp.caCert, headers: { authorization: `Bearer ${token}`, accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' }, timeout: 30_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        if (res.statusCode === 200) resolve(JSON.parse(text) as NodeTable);
        else reject(new Error(`GET /api/v1/nodes (Table): ${res.statusCode ?? 0} ${text.slice(0, 200)}`));
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('GET /api/v1/nodes (Table) timed out')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * How many Nodes report Ready, read as the server-side Table `kubectl get nodes` shows (about a hundred bytes a
 * Node instead of the ~18 KB of each whole Node), page by page.
 */
export async function countReadyNodes(cp: ControlPlane): Promise<{ total: number; ready: number }> {
  let total = 0;
  let ready = 0;
  let cont: string | undefined;
  do {
    const table = await nodeTablePage(cp, cont);
    const status = table.columnDefinitions.findIndex((c) => c.name === 'Status');
    for (const row of table.rows) {
      total++;
      if (String(row.cells[status]).split(',').includes('Ready')) ready++;
    }
    cont = table.metadata?.continue || undefined;
  } while (cont);
  return { total, ready };
}

/** Waits until `count` Nodes report Ready (kwok's node-initialize Stage has run on each). */
export async function waitKwokNodesReady(cp: ControlPlane, count: number, timeoutMs: number): Promise<void> {
  let last = { total: 0, ready: 0 };
  await waitFor(`${count} kwok Nodes Ready`, async () => {
    last = await countReadyNodes(cp);
    return last.ready >= count;
  }, { timeoutMs, intervalMs: 1000 }).catch((err: unknown) => {
    throw new Error(`${err instanceof Error ? err.message : String(err)} (last seen: ${last.ready} of ${last.total} Ready)`, { cause: err });
  });
}
