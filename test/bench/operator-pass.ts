/**
 * What one reconcile pass of the operator costs at N nodes, stage by stage, in process: the pure work between the
 * caches and the API calls (the controller's node pass, operator/nodes/pass.ts: Node and Job facts, the node plan,
 * the Node patches; then the status), on trimmed objects shaped as the informers keep them. Two states: steady
 * (every node prepared, no Job left) and a rollout (half the nodes with a finished Job, a tenth with a running one,
 * 1% of Nodes and Jobs changed before each pass). A pass runs after every batch of events, so while 5,000 nodes are
 * prepared this is paid back to back (`npm run bench:operator` measures the whole operator on kwok).
 *
 *   npm run build && npm run bench:operator:pass -- [--nodes 1000,5000] [--passes 40] [--source] [--v8-flags '...']
 *
 * The pass runs as the operator runs it: the compiled JavaScript (`dist/`), in a process started with the install's
 * V8 flags (OPERATOR_NODE_OPTIONS; `--v8-flags` replaces them). `--source` times the TypeScript through tsx instead,
 * which is about twice as slow: tsx keeps function names by wrapping every closure the plan makes per node.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { NodeStatus } from '../../api/generated/types.js';
import type * as StorageConfigModule from '../../lib/storage-config.js';
import { initConfigHash, resolveNodeConfig } from '../../lib/storage-config.js';
import { formatResult } from '../../node-agent/prepare-vg/result.js';
import type { CachedNode } from '../../operator/cache-trim.js';
import type { PrepareVgPod } from '../../operator/caches.js';
import { NODE_BOOT_ID_ANNOTATION, NODE_UID_ANNOTATION } from '../../operator/nodes/facts.js';
import type * as PassModule from '../../operator/nodes/pass.js';
import type { NodeMemory, NodePassStage } from '../../operator/nodes/pass.js';
import type * as ConditionsModule from '../../operator/status/conditions.js';
import { formatRecord, NODE_STATE_ANNOTATION } from '../../operator/nodes/record.js';
import { OPERATOR_NODE_OPTIONS } from '../../synth/install/operator-install.js';
import { resolveSpec } from '../../synth/resolved-spec.js';
import { STORAGE_READY_LABEL } from '../../synth/names.js';
import { CONFIG_HASH_ANNOTATION, NODE_NAME_ANNOTATION } from '../../synth/stack/prepare-vg-job.js';
import { loadExample } from '../fixtures/examples.js';
import type { KubeObject } from '../../lib/kube-object.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '1000,5000' },
    passes: { type: 'string', default: '40' },
    source: { type: 'boolean', default: false },
    'v8-flags': { type: 'string', default: OPERATOR_NODE_OPTIONS.join(' ') },
  },
});
const v8Flags = values['v8-flags'].split(' ').filter((f) => f !== '');
const root = resolve(import.meta.dirname, '..', '..');

// The first process only starts the measuring one with the V8 flags (they must be on node's command line).
if (process.env.OPEN_LOCAL_PASS_BENCH !== 'measure') {
  const child = spawnSync(process.execPath, [...v8Flags, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, OPEN_LOCAL_PASS_BENCH: 'measure' } });
  process.exit(child.status ?? 1);
}

/** The measured modules: compiled (as the image runs them) or, with --source, the TypeScript. */
async function measured<T>(path: string): Promise<T> {
  const file = resolve(root, ...(values.source ? [`${path}.ts`] : ['dist', `${path}.js`]));
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build first (the bench times the compiled operator, as the image runs it)`);
  return (await import(pathToFileURL(file).href)) as T;
}
const { nodePass } = await measured<typeof PassModule>('operator/nodes/pass');
const { computeStatus } = await measured<typeof ConditionsModule>('operator/status/conditions');
const { canonicalJson } = await measured<typeof StorageConfigModule>('lib/storage-config');

const CLUSTER_UID = 'c0ffee00-0000-4000-8000-000000000001';
const spec = resolveSpec(loadExample('full.yaml'));
const now = new Date('2026-12-01T12:00:00Z');
type Job = KubeObject & { status?: { active?: number; succeeded?: number; conditions?: { type: string; status: string; lastTransitionTime?: string }[] } };

/** The config hash of what the spec asks of this node (its nodesConfig entry, or the global one). */
const hashOf = (n: CachedNode): string => initConfigHash(resolveNodeConfig(spec.storage, n.metadata.labels ?? {}).resourceToBeInited);

const readyStatus = (name: string, configHash: string): NodeStatus => ({
  name, uid: `uid-${name}`, phase: 'Ready', reason: 'VolumeGroupsReady', message: 'open-local-pool-0 ready (1 device)', configHash, attempts: 0,
  volumeGroups: [{ name: 'open-local-pool-0', state: 'Created', devices: ['/dev/vdb'], size: '10733223936' }], bootID: `boot-${name}`, lastTransitionTime: '2026-12-01T11:00:00.000Z',
});

/** A Node as the informer keeps it (cache-trim.ts): labels like a cloud node's, the record, boot ID, Ready. */
function node(i: number, prepared: boolean): CachedNode {
  const name = `node-${String(i).padStart(5, '0')}`;
  const n: CachedNode = {
    apiVersion: 'v1', kind: 'Node',
    metadata: {
      name, uid: `uid-${name}`, resourceVersion: String(1000 + i),
      labels: {
        'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/instance-type': 'm6i.2xlarge', 'topology.kubernetes.io/region': 'eu-west-1', 'topology.kubernetes.io/zone': `eu-west-1${'abc'[i % 3] ?? 'a'}`,
        'storage.example.com/local': 'true',
        ...(i % 10 === 0 ? { 'node-role.example.com/database': '' } : {}),
        ...(prepared ? { [STORAGE_READY_LABEL]: 'true' } : {}),
      },
    },
    status: { nodeInfo: { bootID: `boot-${name}` }, conditions: [{ type: 'Ready', status: 'True' }] },
  };
  if (prepared) n.metadata.annotations = { [NODE_STATE_ANNOTATION]: formatRecord(CLUSTER_UID, readyStatus(name, hashOf(n))) };
  return n;
}

function job(n: CachedNode, succeeded: boolean): { job: Job; pod: PrepareVgPod } {
  const name = n.metadata.name ?? '';
  const uid = `job-${name}`;
  const hash = hashOf(n);
  const job: Job = {
    apiVersion: 'batch/v1', kind: 'Job',
    metadata: {
      name: `prepare-vg-${name}-${hash.slice(0, 8)}`, namespace: 'open-local', uid, creationTimestamp: '2026-12-01T11:59:00Z',
      annotations: { [NODE_NAME_ANNOTATION]: name, [CONFIG_HASH_ANNOTATION]: hash, [NODE_UID_ANNOTATION]: n.metadata.uid ?? '', [NODE_BOOT_ID_ANNOTATION]: n.status?.nodeInfo?.bootID ?? '' },
      ownerReferences: [{ apiVersion: 'csi.aliyun.com/v1alpha1', kind: 'OpenLocalCluster', name: 'open-local', uid: CLUSTER_UID }],
    },
    status: succeeded ? { succeeded: 1, conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: '2026-12-01T11:59:30Z' }] } : { active: 1 },
  };
  const message = formatResult({ version: 1, node: name, configHash: hash, volumeGroups: [{ name: 'open-local-pool-0', state: 'Created', devices: ['/dev/vdb'], size: '10733223936', message: '' }], mountPoints: [] });
  const pod: PrepareVgPod = {
    metadata: { name: `${job.metadata?.name ?? ''}-abcde`, namespace: 'open-local', labels: { 'batch.kubernetes.io/controller-uid': uid } },
    spec: { nodeName: name },
    status: succeeded
      ? { phase: 'Succeeded', containerStatuses: [{ name: 'prepare-vg', state: { terminated: { exitCode: 0, message } } }] }
      : { phase: 'Running', containerStatuses: [{ name: 'prepare-vg', state: { running: {} } }] },
  } as PrepareVgPod;
  return { job, pod };
}

interface World { readonly nodes: CachedNode[]; readonly jobs: Job[]; readonly pods: PrepareVgPod[] }

function world(size: number, state: 'steady' | 'rollout'): World {
  const nodes = Array.from({ length: size }, (_, i) => node(i, state === 'steady' || i % 2 === 0));
  const made = state === 'steady' ? [] : nodes.flatMap((n, i) => (i % 2 === 1 ? [job(n, true)] : i % 10 === 0 ? [job(n, false)] : []));
  return { nodes, jobs: made.map((m) => m.job), pods: made.map((m) => m.pod) };
}

/**
 * Mid-rollout, every pass follows a batch of events: 1% of the Nodes and Jobs arrive as new objects (the informer
 * stores a new object per change), so what is kept per object is rebuilt for them.
 */
function churn(w: World, pass: number): void {
  const every = 100;
  for (let i = pass % every; i < w.nodes.length; i += every) w.nodes[i] = { ...w.nodes[i]!, metadata: { ...w.nodes[i]!.metadata } };
  for (let i = pass % every; i < w.jobs.length; i += every) w.jobs[i] = { ...w.jobs[i]!, metadata: { ...w.jobs[i]!.metadata } };
}

type Stage = NodePassStage | 'status';

/** One pass's pure work: the controller's own node pass (operator/nodes/pass.ts), then the status, timing each stage. */
function pass(w: World, memory: { last: NodeMemory | undefined }, t: Record<Stage, number>): number {
  let t0 = performance.now();
  const lap = (stage: Stage) => {
    const t1 = performance.now();
    t[stage] += t1 - t0;
    t0 = t1;
  };
  // The first pass resumes from the Nodes' records, as a started operator does; later ones from the last plan.
  const p = nodePass({ clusterUid: CLUSTER_UID, spec, nodes: w.nodes, jobs: w.jobs, pods: w.pods, memory: memory.last, volumesByNode: () => new Map(), now, lap });
  memory.last = p.memory;
  const status = computeStatus({
    generation: 1, deleting: false, specErrors: [], applyErrors: [], nodes: p.plan.statuses, components: [], extenderEnabled: true, storageWarnings: [],
    unreachableNodes: [...p.unreachable],
  }, undefined, now);
  const same = canonicalJson(status) === canonicalJson({});
  lap('status');
  return p.patches.length + p.actions.length + Number(same);
}

const percentile = (xs: readonly number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? 0;

function main(): void {
  const sizes = values.nodes.split(',').map(Number);
  const passes = Number(values.passes);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1) || !Number.isInteger(passes) || passes < 1) throw new Error('--nodes takes whole numbers (comma-separated), --passes a whole number');
  console.log(`node ${process.version} ${values.source ? 'TypeScript through tsx' : 'compiled (dist/)'}, V8 flags: ${v8Flags.join(' ') || 'none'}; ${passes} passes per row after 5 warm-up passes; ms per pass`);
  console.log('nodes  state    pass p50  pass p95  nodeFacts  jobFacts  plan   patches  status  work');
  for (const size of sizes) {
    for (const state of ['steady', 'rollout'] as const) {
      const w = world(size, state);
      const memory: { last: NodeMemory | undefined } = { last: undefined };
      const t: Record<Stage, number> = { nodeFacts: 0, jobFacts: 0, plan: 0, patches: 0, status: 0 };
      for (let i = 0; i < 5; i++) pass(w, memory, t);
      for (const k of Object.keys(t) as Stage[]) t[k] = 0;
      const times: number[] = [];
      let work = 0;
      for (let i = 0; i < passes; i++) {
        if (state === 'rollout') churn(w, i);
        const t0 = performance.now();
        work = pass(w, memory, t);
        times.push(performance.now() - t0);
      }
      const per = (k: Stage) => (t[k] / passes).toFixed(2).padStart(9);
      console.log(`${String(size).padStart(5)}  ${state.padEnd(7)}  ${percentile(times, 0.5).toFixed(2).padStart(8)}  ${percentile(times, 0.95).toFixed(2).padStart(8)}  ${per('nodeFacts')}  ${per('jobFacts')}  ${per('plan')}  ${per('patches')}  ${per('status')}  ${work}`);
    }
  }
}

main();
